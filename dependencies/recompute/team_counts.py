"""The whole map's counts by owning team, stored with each version of the results.

The grouped map (dependencies/map/grouped.py) draws a team as one element and the edges
between two teams as one link with their count. Grouping the 1,245,930 edges of a 250,000
node organisation by their nodes' teams took 0.6 s of SQL on the first request after every
change; the recompute counts them instead, in the transaction that stores the results:

- a full pass counts everything with two GROUP BY statements (nodes by team and state, edges
  by the teams of their two ends);
- an incremental pass starts from the previous version's counts and recounts only the edges
  of the nodes whose state moved (a ticket moves hundreds of nodes, not a million edges).

Each row is valid for its version, structure and audit marker: a node's team moves with an
audit entry and no recompute, and the map then counts in SQL until the next pass.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from django.db.models import Count, Q

from cataligent.models import AuditEntry
from dependencies.choices import State
from dependencies.impact.gc_pause import garbage_collector_paused
from dependencies.models import Edge, Node, TeamCounts

OPERATIONAL = State.OPERATIONAL.value
StateKey = tuple[int | None, str]
LinkKey = tuple[int | None, int | None]


def audit_marker() -> int:
    """The newest audit entry (what dependencies.map.drawing.change_marker reads)."""
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


@garbage_collector_paused()  # the worker holds a 250,000-node result: no full collections
def store_team_counts(
    version: int,
    structure: int,
    *,
    previous: int | None = None,
    before: Mapping[int, str] | None = None,
) -> None:
    """Count for `version` of the results, computed on the graph of `structure`, inside the
    transaction that stored it.

    `previous` is the version the pass started from and `before` the states (by node id)
    the nodes that changed had in it: the counts are then carried over from that version's
    when it has them for the same structure and marker. Otherwise everything is counted."""
    marker = audit_marker()
    rows = TeamCounts.objects.filter(structure=structure, marker=marker)
    if rows.filter(version=version).exists():
        return  # nothing changed in this pass: the version and its counts hold
    base = rows.filter(version=previous).first() if previous is not None else None
    if base is None:
        states, links = _counted()
    else:
        states, links = _carried(base, before or {})
    TeamCounts.objects.create(
        version=version,
        structure=structure,
        marker=marker,
        states=[[team, s, n] for (team, s), n in states.items() if n],
        links=[[source, target, n, n_bad] for (source, target), (n, n_bad) in links.items() if n],
    )
    # The page reads the current version's; the one before serves a page mid-change.
    TeamCounts.objects.filter(version__lt=version - 1).delete()


def _counted() -> tuple[Counter[StateKey], dict[LinkKey, list[int]]]:
    states: Counter[StateKey] = Counter()
    for team, s, n in (
        Node.objects.order_by().values_list("team_id", "state").annotate(n=Count("id"))
    ):
        states[(team, s)] += n
    affected = ~Q(source__state=OPERATIONAL) & ~Q(target__state=OPERATIONAL)
    links: dict[LinkKey, list[int]] = {}
    for source, target, n, n_bad in (
        Edge.objects.order_by()
        .values_list("source__team_id", "target__team_id")
        .annotate(n=Count("id"), bad=Count("id", filter=affected))
    ):
        links[(source, target)] = [n, n_bad]
    return states, links


def _carried(
    base: TeamCounts, before: Mapping[int, str]
) -> tuple[Counter[StateKey], dict[LinkKey, list[int]]]:
    """The previous version's counts, moved by the nodes whose state changed: their own
    count, and every edge of theirs whose "both ends affected" changed (read with the
    states just stored, the old ones from `before`)."""
    states: Counter[StateKey] = Counter({(team, s): n for team, s, n in base.states})
    links: dict[LinkKey, list[int]] = {
        (source, target): [n, n_bad] for source, target, n, n_bad in base.links
    }
    if not before:
        return states, links
    ids = list(before)
    for pk, team, now in Node.objects.filter(id__in=ids).values_list("id", "team_id", "state"):
        states[(team, before[pk])] -= 1
        states[(team, now)] += 1
    touching = Edge.objects.order_by().filter(Q(source_id__in=ids) | Q(target_id__in=ids))
    for source, target, source_team, target_team, source_now, target_now in touching.values_list(
        "source_id",
        "target_id",
        "source__team_id",
        "target__team_id",
        "source__state",
        "target__state",
    ):
        was = before.get(source, source_now) != OPERATIONAL and (
            before.get(target, target_now) != OPERATIONAL
        )
        now = source_now != OPERATIONAL and target_now != OPERATIONAL
        if was != now:
            links.setdefault((source_team, target_team), [0, 0])[1] += 1 if now else -1
    return states, links
