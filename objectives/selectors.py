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


def update_due_at(objective: Objective) -> dt.datetime | None:
    """When the owner's next structured update is due: one cadence after the latest
    update, or after creation when there has been none (DESIGN §2). Done objectives owe none.

    Reads `latest_update_at` from `with_latest_update`.
    """
    if objective.declared_status == "done":
        return None
    reference = getattr(objective, "latest_update_at", None) or objective.created_at
    if reference is None:
        return None
    return reference + dt.timedelta(days=objective.update_cadence_days)


def is_update_overdue(objective: Objective, *, now: dt.datetime | None = None) -> bool:
    due = update_due_at(objective)
    return due is not None and due < (now or timezone.now())


def update_overview(*, now: dt.datetime | None = None) -> dict[str, object]:
    """The dashboard's status-update figures: the overdue objectives, soonest due first,
    and how many open objectives have had no update at all yet."""
    objectives = list(with_latest_update(Objective.objects.exclude(declared_status="done")))
    overdue = [o for o in objectives if is_update_overdue(o, now=now)]
    overdue.sort(key=lambda o: update_due_at(o) or o.created_at)
    return {
        "overdue": overdue,
        "never_updated": sum(1 for o in objectives if o.latest_update_at is None),
    }


def contradicts_graph(objective: Objective) -> bool:
    """A green declaration (or latest update) over a graph that says blocked."""
    if objective.state != "blocked":
        return False
    latest = getattr(objective, "latest_rag", None)
    return latest == "green" or (latest is None and objective.declared_status == "on_track")
