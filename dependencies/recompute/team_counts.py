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
audit entry and no recompute, and the map then counts in SQL until the next pass. A pass
carries counts over across audited changes that move no team (an edge, an owner) and across
the edges it rewired.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Count, Q

from cataligent.models import AuditEntry, Team
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
    previous_structure: int | None = None,
    before: Mapping[int, str] | None = None,
    rewired: Mapping[int, set[int]] | None = None,
) -> None:
    """Count for `version` of the results, computed on the graph of `structure`, inside the
    transaction that stored it.

    `previous` is the version the pass started from (on the graph of `previous_structure`,
    the same by default) and `before` the states (by node id) the nodes that changed had in
    it; `rewired` maps each node whose edges the pass replaced to the ids it depended on
    before. The counts are then carried over from that version's when it has them for that
    structure and the same marker. Otherwise everything is counted."""
    marker = audit_marker()
    if TeamCounts.objects.filter(version=version, structure=structure, marker=marker).exists():
        return  # nothing changed in this pass: the version and its counts hold
    base = (
        TeamCounts.objects.filter(
            version=previous,
            structure=structure if previous_structure is None else previous_structure,
        ).first()
        if previous is not None
        else None
    )
    if base is not None and base.marker != marker and _teams_moved_since(base.marker):
        base = None
    if base is None:
        states, links = _counted()
    else:
        states, links = _carried(base, before or {}, rewired or {})
    TeamCounts.objects.create(
        version=version,
        structure=structure,
        marker=marker,
        states=[[team, s, n] for (team, s), n in states.items() if n],
        links=[[source, target, n, n_bad] for (source, target), (n, n_bad) in links.items() if n],
    )
    # The page reads the current version's; the one before serves a page mid-change.
    TeamCounts.objects.filter(version__lt=version - 1).delete()


def _teams_moved_since(marker: int) -> bool:
    """Whether a node may have changed team since that audit entry: its team edited, or a
    team changed (a team deleted leaves its nodes without one). Other audited changes (an
    edge, an owner) leave the counts by team as they were."""
    node, team = ContentType.objects.get_for_models(Node, Team).values()
    return (
        AuditEntry.objects.filter(id__gt=marker)
        .filter(Q(content_type=node, field="team") | Q(content_type=team))
        .exists()
    )


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
    base: TeamCounts, before: Mapping[int, str], rewired: Mapping[int, set[int]]
) -> tuple[Counter[StateKey], dict[LinkKey, list[int]]]:
    """The previous version's counts, moved by the nodes whose state changed and the edges
    that came or went: every edge touching such a node (or leaving a rewired one) is
    counted out as it was (the old states from `before`) and back in as it is now."""
    states: Counter[StateKey] = Counter({(team, s): n for team, s, n in base.states})
    links: dict[LinkKey, list[int]] = {
        (source, target): [n, n_bad] for source, target, n, n_bad in base.links
    }
    ids = set(before) | set(rewired)
    if not ids:
        return states, links
    # Two bare reads, each served by an index (the edges by their source and target index,
    # the nodes by primary key): joining the edges to both their nodes in one statement
    # took 30-280 ms at 250,000 nodes, where these take a few.
    touching = _edges_touching(list(ids))
    removed_pairs = [(s, t) for s, targets in rewired.items() for t in targets]
    ends = {pk for pair in (*touching, *removed_pairs) for pk in pair} | set(before)
    node = _teams_and_states(list(ends))
    for pk in before:
        team, now = node[pk]
        states[(team, before[pk])] -= 1
        states[(team, now)] += 1

    def bad(source: int, target: int, *, then: bool) -> int:
        source_now, target_now = node[source][1], node[target][1]
        if then:
            source_now, target_now = before.get(source, source_now), before.get(target, target_now)
        return int(source_now != OPERATIONAL and target_now != OPERATIONAL)

    def moved(source: int, target: int, by: int, *, then: bool) -> None:
        link = links.setdefault((node[source][0], node[target][0]), [0, 0])
        link[0] += by
        link[1] += by * bad(source, target, then=then)

    kept: dict[int, set[int]] = {source: set() for source in rewired}
    for source, target in touching:
        moved(source, target, +1, then=False)  # as it is now
        if source in rewired:
            kept[source].add(target)
            if target not in rewired[source]:
                continue  # added by this pass: not in the previous counts
        moved(source, target, -1, then=True)  # as it was
    for source, target in removed_pairs:
        if target not in kept[source]:
            moved(source, target, -1, then=True)  # gone with this pass, counted out as it was
    return states, links


# The ids go to PostgreSQL as one array parameter: thousands of ids as placeholders took
# longer to turn into a statement (psycopg parses it) than the statement took to run.


def _edges_touching(ids: list[int]) -> list[tuple[int, int]]:
    """(source, target) of every edge from or to these nodes."""
    if connection.vendor != "postgresql":
        return list(
            Edge.objects.order_by()
            .filter(Q(source_id__in=ids) | Q(target_id__in=ids))
            .values_list("source_id", "target_id")
        )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT source_id, target_id FROM {connection.ops.quote_name(Edge._meta.db_table)} "
            "WHERE source_id = ANY(%s) OR target_id = ANY(%s)",
            [ids, ids],
        )
        return cursor.fetchall()


def _teams_and_states(ids: list[int]) -> dict[int, tuple[int | None, str]]:
    """Each node's team id and state, by node id."""
    if connection.vendor != "postgresql":
        rows = Node.objects.filter(id__in=ids).values_list("id", "team_id", "state")
        return {pk: (team, now) for pk, team, now in rows}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, team_id, state FROM {connection.ops.quote_name(Node._meta.db_table)} "
            "WHERE id = ANY(%s)",
            [ids],
        )
        return {pk: (team, now) for pk, team, now in cursor.fetchall()}
