"""The whole map's counts by owning team, stored with each version of the results.

The grouped map (dependencies/map/grouped.py) draws a team as one element and the edges
between two teams as one link with their count. Grouping the 1,245,930 edges of a 250,000
node organisation by their nodes' teams took 0.6 s of SQL on the first request after every
change; the recompute counts them instead, in the transaction that stores the results:

- a full pass counts everything with two GROUP BY statements (nodes by team and state, edges
  by the teams of their two ends);
- an incremental pass starts from the counts the worker holds for the previous version and
  moves them by the nodes whose state changed and the edges that came or went, read from
  the engine's graph and the node teams it holds: nothing is read back from the database
  (a ticket moves hundreds of nodes and touches thousands of edges, not a million).

Each row is valid for its version, structure and audit marker: a node's team moves with an
audit entry and no recompute, and the map then counts in SQL until the next pass. A pass
carries counts over across audited changes that move no team (an edge, an owner) and across
the edges it rewired; after one that moved a team it counts everything again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Count, Q

from cataligent.models import AuditEntry, Team
from dependencies import impact
from dependencies.choices import State
from dependencies.impact.gc_pause import garbage_collector_paused
from dependencies.models import Edge, Node, TeamCounts

OPERATIONAL = State.OPERATIONAL.value  # as stored
ENGINE_OPERATIONAL = impact.State.OPERATIONAL  # in the engine's lists
StateKey = tuple[int | None, str]
LinkKey = tuple[int | None, int | None]


@dataclass(frozen=True, eq=False)
class HeldCounts:
    """The counts stored for one version of the results, as the worker that stored them
    keeps them for its next pass, with the team of each node vertex of its graph."""

    version: int
    structure: int
    marker: int  # the newest audit entry when counted
    teams: Sequence[int | None]  # by node vertex
    states: Counter[StateKey]
    links: dict[LinkKey, list[int]]  # [edges, edges with both ends affected]


def audit_marker() -> int:
    """The newest audit entry (what dependencies.map.drawing.change_marker reads)."""
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


@garbage_collector_paused()  # the worker holds a 250,000-node result: no full collections
def counts_of_full_pass(
    version: int,
    structure: int,
    graph: impact.DependencyGraph,
    teams: Sequence[int | None],
    *,
    teams_as_of: int,
) -> HeldCounts:
    """The counts of `version` (computed on `graph`, of `structure`), stored inside the
    transaction that stored the results: counted in SQL, or read back when this version
    already has them (a pass that changed nothing).

    `teams` are the node vertices' teams as the pass loaded them, when the newest audit
    entry was `teams_as_of`: read again if a team moved since."""
    marker, teams_moved = _marker_and_teams_moved(since=teams_as_of)
    if teams_moved:
        teams = _teams_now(graph)
    row = TeamCounts.objects.filter(version=version, structure=structure, marker=marker).first()
    if row is not None:
        return HeldCounts(
            version,
            structure,
            marker,
            teams,
            Counter({(team, s): n for team, s, n in row.states}),
            {(source, target): [n, bad] for source, target, n, bad in row.links},
        )
    states, links = _counted()
    held = HeldCounts(version, structure, marker, teams, states, links)
    _store(held)
    return held


def counts_of_update(
    held: HeldCounts,
    *,
    before: impact.ImpactResult,
    after: impact.ImpactResult,
    changed: Collection[int],
    rewired: Collection[int],
    version: int,
    structure: int,
) -> HeldCounts:
    """The counts of `version`, the result `after` of an incremental pass from `before`
    (the version `held` counts), stored inside the transaction that stored the results.

    `changed` are the vertices whose results the pass changed and `rewired` the node
    vertices whose edges it replaced. When a team changed since `held` was counted (an
    audited edit, no recompute) the teams are read again and everything is counted."""
    marker, teams_moved = _marker_and_teams_moved(since=held.marker)
    if teams_moved:
        states, links = _counted()
        counts = HeldCounts(version, structure, marker, _teams_now(after.graph), states, links)
    else:
        if (version, structure, marker) == (held.version, held.structure, held.marker):
            return held  # nothing changed in this pass: the version and its counts hold
        states, links = _carried(held, before, after, changed, rewired)
        counts = HeldCounts(version, structure, marker, held.teams, states, links)
    _store(counts)
    return counts


def _marker_and_teams_moved(*, since: int) -> tuple[int, bool]:
    """The newest audit entry, and whether a node may have changed team after `since`: its
    team edited, or a team changed (a team deleted leaves its nodes without one). Other
    audited changes (an edge, an owner) leave the counts by team as they were. One
    statement: a ticket change's pass counts its round trips."""
    node, team = ContentType.objects.get_for_models(Node, Team).values()
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MAX(id) FROM {table}), EXISTS (SELECT 1 FROM {table} "
            "WHERE id > %s AND ((content_type_id = %s AND field = %s) OR content_type_id = %s))",
            [since, node.pk, "team", team.pk],
        )
        newest, moved = cursor.fetchone()
    return newest or 0, bool(moved)


def _teams_now(graph: impact.DependencyGraph) -> list[int | None]:
    """Each node vertex's team, read from the database."""
    team_of = dict(Node.objects.values_list("slug", "team_id"))
    return [team_of[slug] for slug in graph.slugs[: graph.node_count]]


def _store(counts: HeldCounts) -> None:
    links = counts.links.items()
    TeamCounts.objects.bulk_create(
        [
            TeamCounts(
                version=counts.version,
                structure=counts.structure,
                marker=counts.marker,
                states=[[team, s, n] for (team, s), n in counts.states.items() if n],
                links=[[source, target, n, bad] for (source, target), (n, bad) in links if n],
            )
        ],
        ignore_conflicts=True,  # another worker's pass stored the same counts
    )
    # The page reads the current version's; the one before serves a page mid-change.
    TeamCounts.objects.filter(version__lt=counts.version - 1).delete()


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
    held: HeldCounts,
    before: impact.ImpactResult,
    after: impact.ImpactResult,
    changed: Collection[int],
    rewired: Collection[int],
) -> tuple[Counter[StateKey], dict[LinkKey, list[int]]]:
    """`held`'s counts moved by the nodes whose state changed and the edges that came or went.

    An edge (a row of Edge: between two nodes; an objective's requirements are not
    counted) is counted out as it was and in as it is now when its source was rewired;
    any other edge exists before and after, and only whether both its ends are affected
    can have moved, which only a node whose state changed can do."""
    teams = held.teams
    old, new = before.propagation.states, after.propagation.states
    nodes = after.graph.node_count
    states = Counter(held.states)
    # Copied on write: `held` stays as it was (the worker's until this pass stores), and a
    # change touches a few dozen of tens of thousands of pairs.
    links = dict(held.links)

    moved = {v for v in changed if v < nodes and old[v] != new[v]}
    for v in moved:
        states[(teams[v], impact.State(old[v]).label)] -= 1
        states[(teams[v], impact.State(new[v]).label)] += 1

    def counted(source: int, target: int, by: int, source_state: int, target_state: int) -> None:
        key = (teams[source], teams[target])
        n, bad = links.get(key, (0, 0))
        if source_state != ENGINE_OPERATIONAL and target_state != ENGINE_OPERATIONAL:
            bad += by
        links[key] = [n + by, bad]

    for source in rewired:  # every edge of a rewired source: out as it was, in as it is
        for target in before.graph.dependencies(source):
            counted(source, target, -1, old[source], old[target])
        for target in after.graph.dependencies(source):
            counted(source, target, +1, new[source], new[target])

    def affected_moved(source: int, target: int) -> None:
        was = old[source] != ENGINE_OPERATIONAL and old[target] != ENGINE_OPERATIONAL
        now = new[source] != ENGINE_OPERATIONAL and new[target] != ENGINE_OPERATIONAL
        if was != now:
            key = (teams[source], teams[target])
            n, bad = links[key]
            links[key] = [n, bad + (1 if now else -1)]

    graph = after.graph
    for v in moved:
        if v not in rewired:  # a rewired source's edges are counted above
            for target in graph.dependencies(v):
                affected_moved(v, target)
        for source in set(graph.dependents[v]):
            # An edge from another moved node is counted from there, as its own.
            if source < nodes and source not in moved and source not in rewired:
                affected_moved(source, v)
    return states, links
