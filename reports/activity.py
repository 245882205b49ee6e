"""The ticket activity of a window: tickets created, updated or resolved in it (DESIGN §2)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from integrations.models import Ticket
from reports.window import Window


def tickets_active_in(window: Window) -> QuerySet[Ticket]:
    return Ticket.objects.filter(
        Q(opened_at__gte=window.start, opened_at__lt=window.end)
        | Q(updated_at__gte=window.start, updated_at__lt=window.end)
        | Q(resolved_at__gte=window.start, resolved_at__lt=window.end)
    )


def moments_in(window: Window, *moments: dt.datetime | None) -> list[dt.datetime]:
    """The given moments (created, updated, resolved) that fall inside the window."""
    return [m for m in moments if m is not None and window.start <= m < window.end]


def week_of(moment: dt.datetime) -> dt.date:
    """The Monday of the moment's week, in the configured time zone."""
    day = timezone.localtime(moment).date()
    return day - dt.timedelta(days=day.weekday())


def weeks_of(window: Window) -> list[dt.date]:
    """Every week the window touches, Mondays in order."""
    first, last = week_of(window.start), week_of(window.end - dt.timedelta(microseconds=1))
    return [first + dt.timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]


def pct(part: int, whole: int) -> float | None:
    """A share in percent to one decimal; None when there is nothing to share (not 0/0)."""
    return round(100 * part / whole, 1) if whole else None
