"""Small hand-drawn graphs from tuples, and random ones for Hypothesis.

Nodes are written as one string of tokens, `slug[:kind][!|~]`: `!` intrinsically blocked,
`~` intrinsically degraded, kind `service` unless given ("lending:capability db! cache~").
Edges are tuples `(source, target[, criticality[, group[, min_operational]]])`, objectives
`(key, value_at_stake, [node or (node, criticality), ...])`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import strategies as st

from dependencies.impact import (
    Criticality,
    Edge,
    ImpactResult,
    Node,
    Objective,
    Requirement,
    State,
    build_graph,
    compute_impact,
)

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)

EdgeSpec = tuple[str, str] | tuple[str, str, str] | tuple[str, str, str, str, int]
ObjectiveSpec = tuple[str, float | Decimal, Sequence[str | tuple[str, str]]]


def nodes_of(spec: str) -> list[Node]:
    nodes = []
    for token in spec.split():
        state = State.OPERATIONAL
        if token.endswith("!"):
            token, state = token[:-1], State.BLOCKED
        elif token.endswith("~"):
            token, state = token[:-1], State.DEGRADED
        slug, _, kind = token.partition(":")
        nodes.append(Node(slug, kind or "service", state))
    return nodes


def edges_of(specs: Sequence[EdgeSpec]) -> list[Edge]:
    return [_edge(*spec) for spec in specs]


def _edge(
    source: str,
    target: str,
    criticality: str = "hard",
    group: str | None = None,
    min_operational: int = 1,
) -> Edge:
    return Edge(source, target, Criticality(criticality), group, min_operational)


def objectives_of(specs: Sequence[ObjectiveSpec]) -> list[Objective]:
    objectives = []
    for key, value, requires in specs:
        requirements = [
            Requirement(r) if isinstance(r, str) else Requirement(r[0], Criticality(r[1]))
            for r in requires
        ]
        objectives.append(Objective(key, value, tuple(requirements)))
    return objectives


def impact(
    nodes: str,
    edges: Sequence[EdgeSpec] = (),
    objectives: Sequence[ObjectiveSpec] = (),
    *,
    now: datetime = T0,
) -> ImpactResult:
    graph = build_graph(nodes_of(nodes), edges_of(edges), objectives_of(objectives))
    return compute_impact(graph, now=now)


def summary(result: ImpactResult) -> dict[str, str]:
    """{slug or key: "state" or "state: cause cause"}, the form the table tests expect."""
    lines = {}
    for name, state, causes in [
        *((n.slug, n.state, n.root_causes) for n in result.nodes.values()),
        *((o.key, o.state, o.root_causes) for o in result.objectives.values()),
    ]:
        lines[name] = f"{state.label}: {' '.join(causes)}" if causes else state.label
    return lines


# --- random organisations ---------------------------------------------------------------


@dataclass(frozen=True)
class Organisation:
    """Plain inputs, kept so a test can change them and recompute from scratch."""

    nodes: list[Node]
    edges: list[Edge]
    objectives: list[Objective]

    def compute(self, *, now: datetime = T0) -> ImpactResult:
        return compute_impact(build_graph(self.nodes, self.edges, self.objectives), now=now)

    def with_intrinsic(self, changes: dict[str, State]) -> Organisation:
        nodes = [Node(n.slug, n.kind, changes.get(n.slug, n.intrinsic_state)) for n in self.nodes]
        return Organisation(nodes, self.edges, self.objectives)


@st.composite
def organisations(draw: st.DrawFn, max_nodes: int = 9, min_objectives: int = 0) -> Organisation:
    """Random graphs with cycles, self-loops, soft edges, groups and objectives."""
    count = draw(st.integers(1, max_nodes))
    slugs = [f"n{i}" for i in range(count)]
    nodes = [
        Node(
            slug,
            draw(st.sampled_from(["capability", "service", "data"])),
            # Mostly healthy, as in real life; otherwise everything ends up blocked.
            draw(st.sampled_from([State.OPERATIONAL] * 3 + [State.DEGRADED, State.BLOCKED])),
        )
        for slug in slugs
    ]
    criticalities = st.sampled_from(list(Criticality))
    edges = [
        Edge(source, target, criticality)
        for source, target, criticality in draw(
            st.lists(
                st.tuples(st.sampled_from(slugs), st.sampled_from(slugs), criticalities),
                max_size=2 * count,
            )
        )
    ]
    # Redundancy groups of two to four members, now and then one member saying a larger m.
    group_sources = []
    for source, label, members, min_operational, disagreeing in draw(
        st.lists(
            st.tuples(
                st.sampled_from(slugs),
                st.sampled_from(["g1", "g2"]),
                st.lists(st.tuples(st.sampled_from(slugs), criticalities), min_size=2, max_size=4),
                st.sampled_from([1, 1, 1, 2, 3]),  # OR groups are the common case
                st.sampled_from([False, False, False, True]),
            ),
            max_size=3,
        )
    ):
        for i, (target, criticality) in enumerate(members):
            m = min_operational + 1 if disagreeing and i == 0 else min_operational
            edges.append(Edge(source, target, criticality, label, m))
        group_sources.append(source)
    # Objectives lean towards nodes with groups, where most of the rules meet.
    required = st.sampled_from(group_sources * 2 + slugs)
    objectives = [
        Objective(
            f"OBJ-{i}",
            Decimal(draw(st.integers(0, 1000))),
            tuple(
                Requirement(slug, criticality)
                for slug, criticality in draw(
                    st.lists(
                        st.tuples(required, st.sampled_from(list(Criticality))),
                        min_size=1,
                        max_size=3,
                    )
                )
            ),
        )
        for i in range(draw(st.integers(min_objectives, 3)))
    ]
    return Organisation(nodes, edges, objectives)


@st.composite
def layered_organisations(draw: st.DrawFn) -> Organisation:
    """Objectives → capabilities with redundancy groups → members → shared leaves.

    Random graphs seldom put a partly failed group right under an objective; this shape
    does so most of the time, which is where single points of failure get subtle.
    """
    states = st.sampled_from([State.OPERATIONAL] * 2 + [State.DEGRADED, State.BLOCKED])
    capabilities = [f"cap{i}" for i in range(draw(st.integers(1, 3)))]
    members = [f"member{i}" for i in range(draw(st.integers(2, 5)))]
    leaves = [f"leaf{i}" for i in range(draw(st.integers(1, 3)))]
    nodes = [Node(slug, "capability", draw(states)) for slug in capabilities]
    nodes += [Node(slug, "service", draw(states)) for slug in members + leaves]
    criticalities = st.sampled_from([Criticality.HARD, Criticality.HARD, Criticality.SOFT])
    edges: list[Edge] = []
    for capability in capabilities:
        group = draw(st.lists(st.sampled_from(members), min_size=2, max_size=4, unique=True))
        min_operational = draw(st.integers(1, len(group)))
        edges.extend(
            Edge(capability, member, draw(criticalities), "g", min_operational) for member in group
        )
    for member in members:
        for leaf in draw(st.lists(st.sampled_from(leaves), max_size=2, unique=True)):
            edges.append(Edge(member, leaf, draw(criticalities)))
    objectives = [
        Objective(f"OBJ-{i}", Decimal(100), (Requirement(capability),))
        for i, capability in enumerate(capabilities)
    ]
    return Organisation(nodes, edges, objectives)
