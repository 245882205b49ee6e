"""The pure parts of the map's read side: no Django, no database (the purity contract in
pyproject.toml keeps it so; tests/impact/test_map_shapes.py tests it with plain data).

Reach along depends-on edges, the worst of some states, which edges carry a blockage, blocked
weeks, and the JSON shapes of the map API's nodes and objectives.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

# States as the database stores them (dependencies.choices.State's values).
STATE_RANK = {"operational": 0, "degraded": 1, "blocked": 2}
STATE_ICON = {"blocked": "■", "degraded": "▲", "operational": "●"}
WEEK = dt.timedelta(weeks=1)


def worst(states: Iterable[str]) -> str:
    return max(states, key=lambda s: STATE_RANK[s], default="operational")


def weeks_since(since: dt.datetime | None, now: dt.datetime) -> Decimal:
    if since is None:
        return Decimal(0)
    return Decimal((now - since) / WEEK).quantize(Decimal("0.0001"))


def reach(start: Iterable[int], adjacency: Mapping[int, Iterable[int]]) -> set[int]:
    """`start` and everything reachable from it along `adjacency` (what it rests on)."""
    seen = set(start)
    queue = deque(seen)
    while queue:
        for target in adjacency.get(queue.popleft(), ()):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def carries(source_causes: Iterable[str], target: Mapping[str, Any]) -> bool:
    """Whether a bad state flows along this edge: the source shares a root cause with
    the target (or has the target itself as a root cause)."""
    causes = set(source_causes)
    if not causes:
        return False
    return target.get("slug") in causes or bool(causes & set(target["root_causes"]))


def iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def owner_line(owner_name: str) -> str:
    """The owner as the map's labels say it: by name (cataligent.people), or the flag."""
    return f"owner {owner_name}" if owner_name else "⚑ NO OWNER"


def api_node(row: Mapping[str, Any], gaps: list[str]) -> dict[str, Any]:
    """A node as `GET /api/v1/map/` gives it (DESIGN §3)."""
    return {
        "slug": row["slug"],
        "name": row["name"],
        "kind": row["kind"],
        "state": row["state"],
        "intrinsic_state": row["intrinsic_state"],
        "root_causes": row["root_causes"],
        "blocked_since": row["blocked_since"],
        "manual_state": row["manual_state"],
        "manual_reason": row["manual_reason"],
        "owner": row["owner__username"],
        "team": row["team__slug"],
        "escalation_policy": row["escalation_policy__name"],
        "ownership_gaps": gaps,
    }


def api_objective(
    row: Mapping[str, Any], requires: list[dict[str, str]], gaps: list[str]
) -> dict[str, Any]:
    """An objective as `GET /api/v1/map/` gives it (DESIGN §3)."""
    return {
        "key": row["key"],
        "title": row["title"],
        "state": row["state"],
        "declared_status": row["declared_status"],
        "root_causes": row["root_causes"],
        "blocked_since": row["blocked_since"],
        "value_at_stake": row["value_at_stake"],
        "owner": row["owner__username"],
        "team": row["team__slug"],
        "escalation_policy": row["escalation_policy__name"],
        "ownership_gaps": gaps,
        "requires": requires,
    }
