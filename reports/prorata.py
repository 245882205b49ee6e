"""Which share of each month's cost a window counts. Pure.

Costs are monthly (`CostLine.month`); a window that cuts a month counts the month's cost pro
rata by days: a window of 1-10 June counts 10/30 of June, and a window that starts or ends
within a day counts that part of the day (the last 7 x 24 hours count 7 days, not 8).
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
    start = dt.datetime.combine(first_day, dt.time.min)
    end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time.min)
    return month_weights_between(start, end)


def month_weights_between(start: dt.datetime, end: dt.datetime) -> dict[dt.date, Decimal]:
    """The same for [start, end), two moments in local time (naive or with the same zone)."""
    weights: dict[dt.date, Decimal] = {}
    month = first_of_month(start.date())
    day = dt.timedelta(days=1)
    while dt.datetime.combine(month, dt.time.min, tzinfo=start.tzinfo) < end:
        length = days_in_month(month)
        month_start = dt.datetime.combine(month, dt.time.min, tzinfo=start.tzinfo)
        month_end = month_start + length * day
        inside = min(month_end, end) - max(month_start, start)
        weights[month] = Decimal(inside.days * 86400 + inside.seconds) / Decimal(length * 86400)
        month = (month_start + length * day).date()
    return weights
