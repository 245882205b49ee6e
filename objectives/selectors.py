"""Reads about objectives: latest status updates, overdue updates, contradictions."""

from __future__ import annotations

import datetime as dt

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from objectives.models import Objective, StatusUpdate


def with_latest_update(queryset: QuerySet[Objective]) -> QuerySet[Objective]:
    """Annotate `latest_rag` and `latest_update_at` (one query, no N+1)."""
    latest = StatusUpdate.objects.filter(objective=OuterRef("pk")).order_by("-created_at", "-id")
    return queryset.annotate(
        latest_rag=Subquery(latest.values("rag")[:1]),
        latest_update_at=Subquery(latest.values("created_at")[:1]),
    )


def objectives_update_overdue(*, now: dt.datetime | None = None) -> list[Objective]:
    """Objectives whose owner has not posted an update within its cadence.

    A new objective is not overdue before one cadence has passed since it was created.
    (Objectives number in the hundreds, so the cadence is compared here, not in SQL,
    which keeps it the same on SQLite and PostgreSQL.)
    """
    now = now or timezone.now()
    queryset = with_latest_update(Objective.objects.exclude(declared_status="done"))
    return [o for o in queryset.select_related("owner") if is_update_overdue(o, now=now)]


def is_update_overdue(objective: Objective, *, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    if objective.declared_status == "done":
        return False
    last = getattr(objective, "latest_update_at", None)
    reference = last or objective.created_at
    return bool(reference and reference < now - dt.timedelta(days=objective.update_cadence_days))


def contradicts_graph(objective: Objective) -> bool:
    """A green declaration (or latest update) over a graph that says blocked."""
    if objective.state != "blocked":
        return False
    latest = getattr(objective, "latest_rag", None)
    return latest == "green" or (latest is None and objective.declared_status == "on_track")
