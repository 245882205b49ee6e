"""Which share of each month's cost a window counts. Pure.

Costs are monthly (`CostLine.month`); a window that cuts a month counts the month's cost pro
rata by days: a window of 1-10 June counts 10/30 of June.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def days_in_month(month: dt.date) -> int:
    return calendar.monthrange(month.year, month.month)[1]


def month_weights(first_day: dt.date, last_day: dt.date) -> dict[dt.date, Decimal]:
    """For each month the window [first_day, last_day] touches (inclusive days): the share of
    that month's days inside the window."""
    weights: dict[dt.date, Decimal] = {}
    month = first_of_month(first_day)
    while month <= last_day:
        length = days_in_month(month)
        month_end = month.replace(day=length)
        inside = (min(month_end, last_day) - max(month, first_day)).days + 1
        weights[month] = Decimal(inside) / Decimal(length)
        month = month_end + dt.timedelta(days=1)
    return weights
