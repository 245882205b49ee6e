""" "Blocked since" people can trust (issue 18, item 6), defined once for the node page, the
map's panel and the bottleneck table.

`blocked_since` (DESIGN §2.6) is when the recompute first saw the effective state become
blocked. A ticket opened before that recompute (the connector was added later, the
ticket linked later) has kept the item blocked for longer than that says, and a page that
shows "blocked 0 minutes" beside a blocking ticket opened last week contradicts itself. So
where the blockage rests on tickets, the pages say "blocked since at least <the ticket was
opened>". It is a lower bound that holds whatever the redundancy: each root cause has been
blocked since its earliest blocking ticket at the latest, and the item since the latest of
those (if it needs every cause to block, it is blocked since the last one; if any one is
enough, since the first, which is earlier still).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db.models import Min

from dependencies.choices import State
from dependencies.models import Node
from integrations.models import TicketLink


def causes_started(slugs: Iterable[str]) -> dict[str, dt.datetime]:
    """For each of these root causes that is blocked itself: when its blockage began at the
    latest (the earliest of its recorded `blocked_since` and, unless a manual override
    blocks it, the opening of its earliest blocking ticket). Two queries."""
    slugs = set(slugs)
    if not slugs:
        return {}
    causes = {
        row["slug"]: row
        for row in Node.objects.filter(slug__in=slugs, intrinsic_state=State.BLOCKED).values(
            "id", "slug", "blocked_since", "manual_state"
        )
    }
    by_tickets = {
        row["node_id"]: row["opened"]
        for row in TicketLink.objects.filter(
            node_id__in=[c["id"] for c in causes.values() if c["manual_state"] != State.BLOCKED],
            ticket__is_blocking=True,
            ticket__opened_at__isnull=False,
        )
        .values("node_id")
        .annotate(opened=Min("ticket__opened_at"))
    }
    started = {}
    for slug, cause in causes.items():
        times = [t for t in (cause["blocked_since"], by_tickets.get(cause["id"])) if t]
        if times:
            started[slug] = min(times)
    return started


def blocked_at_least_since(
    blocked_since: dt.datetime | None,
    root_causes: Sequence[str],
    started: dict[str, dt.datetime],
) -> dt.datetime | None:
    """The earlier time the item has been blocked since at least, or None when the recorded
    `blocked_since` is already the best that can be said (or it is not blocked)."""
    if blocked_since is None:
        return None
    times = [started[s] for s in root_causes if s in started]
    if not times:
        return None
    bound = max(times)
    return bound if bound < blocked_since else None


def blocked_at_least_since_of(item: object) -> dt.datetime | None:
    """The same for one node or objective (its own `blocked_since` and `root_causes`)."""
    root_causes = list(getattr(item, "root_causes", None) or [])
    blocked_since = getattr(item, "blocked_since", None)
    if blocked_since is None:
        return None
    return blocked_at_least_since(blocked_since, root_causes, causes_started(root_causes))
