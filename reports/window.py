"""The window a report covers: a date range, a period, and an optional team (DESIGN §2).

Every surface (page, API, CSV, `manage.py report`) reads its filters through
`parse_window`, so `from`, `to`, `period` and `team` mean the same thing everywhere, and a
bad value is refused with the name of the field that is wrong.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from cataligent.models import Team
from objectives.models import Period


class WindowError(ValueError):
    """A filter that cannot be read; `errors` maps each bad field to what is wrong."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Window:
    """[start, end) in UTC, the period it came from if any, and the team it is narrowed to."""

    start: dt.datetime
    end: dt.datetime
    period: Period | None = None
    team: Team | None = None

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600

    @property
    def first_day(self) -> dt.date:
        return timezone.localtime(self.start).date()

    @property
    def last_day(self) -> dt.date:
        """The last day inside the window (`end` is exclusive)."""
        return timezone.localtime(self.end - dt.timedelta(microseconds=1)).date()

    def as_filters(self) -> dict[str, str]:
        """The query parameters that give this window back (links, CSV names, JSON echo)."""
        filters = {"from": self.first_day.isoformat(), "to": self.last_day.isoformat()}
        if self.period is not None:
            filters = {"period": self.period.name}
        if self.team is not None:
            filters["team"] = self.team.slug
        return filters


# Dates a report may ask for, and how long a window may be: beyond them a daily series or
# a day's arithmetic (9999-12-31 + 1 day) would not fit, and no ticket is dated there.
EARLIEST_DAY = dt.date(1900, 1, 1)
LATEST_DAY = dt.date(8999, 12, 31)
MAX_WINDOW_DAYS = 3660


def _start_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _parse_day(raw: str, field: str, errors: dict[str, str]) -> dt.date | None:
    try:
        day = dt.date.fromisoformat(raw.strip())
    except ValueError:
        errors[field] = f"{raw!r} is not a date; use YYYY-MM-DD."
        return None
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        errors[field] = f"{day} is outside {EARLIEST_DAY} to {LATEST_DAY}."
        return None
    return day


def parse_window(params: Mapping[str, str], *, now: dt.datetime | None = None) -> Window:
    """Read `from`, `to` (inclusive days), `period` (a period's name) and `team` (a slug).

    With no dates and no period the window is the last REPORT_WINDOW_DAYS days up to now.
    A period and explicit dates together are refused: which one would win is a guess.
    """
    now = now or timezone.now()
    errors: dict[str, str] = {}
    raw_from = (params.get("from") or "").strip()
    raw_to = (params.get("to") or "").strip()
    raw_period = (params.get("period") or "").strip()
    raw_team = (params.get("team") or "").strip()

    period = None
    if raw_period:
        period = Period.objects.filter(name=raw_period).first()
        if period is None:
            errors["period"] = f"No period is named {raw_period!r}."
        elif raw_from or raw_to:
            errors["period"] = "Give either a period or from/to dates, not both."
        elif period.start < EARLIEST_DAY or period.end > LATEST_DAY:
            errors["period"] = f"{period.name} runs outside {EARLIEST_DAY} to {LATEST_DAY}."

    team = None
    if raw_team:
        team = Team.objects.filter(slug=raw_team).first()
        if team is None:
            errors["team"] = f"No team has the slug {raw_team!r}."

    first = _parse_day(raw_from, "from", errors) if raw_from else None
    last = _parse_day(raw_to, "to", errors) if raw_to else None
    if first and last and last < first:
        errors["to"] = "The window ends before it starts."
    if errors:
        raise WindowError(errors)

    if period is not None:
        start, end = _start_of_day(period.start), _start_of_day(period.end + dt.timedelta(days=1))
    else:
        end = _start_of_day(last + dt.timedelta(days=1)) if last else now
        start = (
            _start_of_day(first) if first else end - dt.timedelta(days=settings.REPORT_WINDOW_DAYS)
        )
    field = "period" if period is not None else "from"
    if start >= end:
        raise WindowError(
            {field: "The window starts after it ends (a window without `to` ends now)."}
        )
    if (end - start).days > MAX_WINDOW_DAYS:
        raise WindowError(
            {field: f"A window spans at most {MAX_WINDOW_DAYS:,} days (ten years); ask for less."}
        )
    return Window(start=start, end=end, period=period, team=team)
