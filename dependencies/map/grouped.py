"""The map grouped by owning team, for maps larger than the drawing budget.

Each team's items are one element (its state the worst of theirs, with the counts), except
the teams the user expanded, drawn item by item; links between elements are counted.

Two ways to read the nodes and edges, with the same drawing:
- the whole map (the affected view or every item, no filter): **counted**, each team's
  states and the edges between teams, so a 250,000-node map costs one row per team pair
  rather than a read of every edge. The counts are those the recompute stored with the
  results (`TeamCounts`, dependencies/recompute/team_counts.py); when it has none for the
  version, structure and audit marker read, they are counted here in SQL with GROUP BY. Only
  the edges of expanded teams are then grouped per request;
- a filtered map (team, objective, period, kind, search): from the items the filters chose
  (`shown`, already read in Python: the filters add the root causes of what they show,
  which SQL does not know), walking the edges in Python.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, When

from cataligent.models import Team
from dependencies.choices import State
from dependencies.map.query import NO_TEAM
from dependencies.map.shapes import STATE_ICON, worst
from dependencies.models import Edge, ImpactState, Node, TeamCounts


def team_slugs() -> tuple[dict[int, str], dict[str, str]]:
    """Team id -> slug, and slug -> name."""
    rows = list(Team.objects.values_list("id", "slug", "name"))
    return {pk: slug for pk, slug, _ in rows}, {slug: name for _, slug, name in rows}


def slug_of(slugs: dict[int, str], team_id: int | None) -> str:
    return slugs.get(team_id, NO_TEAM) if team_id is not None else NO_TEAM


def stored_counts(state: ImpactState, marker: int) -> TeamCounts | None:
    """The counts the recompute stored for exactly these results, or None (one row)."""
    return TeamCounts.objects.filter(
        version=state.version, structure=state.structure, marker=marker
    ).first()


def nodes_counted(counts: TeamCounts, *, affected_only: bool) -> int:
    return sum(n for _team, s, n in counts.states if not affected_only or s != State.OPERATIONAL)


def team_states_stored(
    counts: TeamCounts, slugs: dict[int, str], *, affected_only: bool
) -> dict[str, Counter[str]]:
    """What `team_states_in_sql` counts, from the stored counts."""
    states: dict[str, Counter[str]] = defaultdict(Counter)
    for team_id, s, n in counts.states:
        if not affected_only or s != State.OPERATIONAL:
            states[slug_of(slugs, team_id)][s] += n
    return states


def team_states_in_sql(nodes: QuerySet[Node], slugs: dict[int, str]) -> dict[str, Counter[str]]:
    """How many of the nodes each team has in each state: one GROUP BY."""
    states: dict[str, Counter[str]] = defaultdict(Counter)
    for team_id, state, n in (
        nodes.order_by().values_list("team_id", "state").annotate(n=Count("id"))
    ):
        states[slug_of(slugs, team_id)][state] += n
    return states


def team_members_in_sql(nodes: QuerySet[Node], slugs: dict[int, str], teams: set[str]) -> set[int]:
    """The ids of the nodes of these teams (the ones drawn item by item)."""
    if not teams:
        return set()
    ids = [pk for pk, slug in slugs.items() if slug in teams]
    chosen = Q(team_id__in=ids) | (Q(team__isnull=True) if NO_TEAM in teams else Q(pk__in=[]))
    return set(nodes.filter(chosen).values_list("id", flat=True))


def team_states_in_python(
    shown: Iterable[tuple[int, int | None, str]], slugs: dict[int, str]
) -> tuple[dict[str, Counter[str]], dict[str, list[int]]]:
    states: dict[str, Counter[str]] = defaultdict(Counter)
    members: dict[str, list[int]] = defaultdict(list)
    for pk, team_id, state in shown:
        states[slug_of(slugs, team_id)][state] += 1
        members[slug_of(slugs, team_id)].append(pk)
    return states, members


# A link between two elements: how many edges it stands for, and whether any carries a bad
# state (both ends not operational).
Links = dict[tuple[str, str], tuple[int, bool]]


def links_stored(
    counts: TeamCounts, *, affected_only: bool, slugs: dict[int, str], expanded: set[str]
) -> Links:
    """The links between teams not expanded, from the stored counts: in the affected view
    an edge is shown when both its ends are affected, which is also when it carries a bad
    state, so the one count serves both views."""
    links: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for source_team, target_team, n, n_bad in counts.links:
        source, target = slug_of(slugs, source_team), slug_of(slugs, target_team)
        if source == target or source in expanded or target in expanded:
            continue
        link = links[(f"gn:{source}", f"gn:{target}")]
        link[0] += n_bad if affected_only else n
        link[1] += n_bad
    return {pair: (n, n_bad > 0) for pair, (n, n_bad) in links.items() if n}


def links_in_sql(
    *,
    affected_only: bool,
    slugs: dict[int, str],
    expanded_team_ids: list[int],
    expanded_no_team: bool,
    element_of_node: Callable[[int], str],
    expanded_only: bool = False,
) -> Links:
    """Edges between the nodes shown, counted per pair of elements in SQL: one row per pair
    of teams (or of an expanded team's node and a team), whatever the number of edges.
    `expanded_only`: just the edges with an end in an expanded team (the rest is stored)."""
    edges = Edge.objects.order_by()
    if expanded_only:
        touching = Q(source__team_id__in=expanded_team_ids) | Q(
            target__team_id__in=expanded_team_ids
        )
        if expanded_no_team:
            touching |= Q(source__team__isnull=True) | Q(target__team__isnull=True)
        edges = edges.filter(touching)
    if affected_only:
        edges = edges.exclude(source__state=State.OPERATIONAL).exclude(
            target__state=State.OPERATIONAL
        )

    def drawn_alone(side: str) -> Case:
        expanded = Q(**{f"{side}__team_id__in": expanded_team_ids})
        if expanded_no_team:
            expanded |= Q(**{f"{side}__team__isnull": True})
        return Case(When(expanded, then=F(f"{side}_id")), output_field=IntegerField())

    bad = ~Q(source__state=State.OPERATIONAL) & ~Q(target__state=State.OPERATIONAL)
    rows = (
        edges.annotate(
            source_team=F("source__team_id"),
            target_team=F("target__team_id"),
            source_alone=drawn_alone("source"),
            target_alone=drawn_alone("target"),
        )
        .values_list("source_team", "target_team", "source_alone", "target_alone")
        .annotate(n=Count("id"), bad=Count("id", filter=bad))
    )
    links: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for source_team, target_team, source_alone, target_alone, n, n_bad in rows:
        source = (
            element_of_node(source_alone)
            if source_alone is not None
            else f"gn:{slug_of(slugs, source_team)}"
        )
        target = (
            element_of_node(target_alone)
            if target_alone is not None
            else f"gn:{slug_of(slugs, target_team)}"
        )
        if source != target:
            links[(source, target)][0] += n
            links[(source, target)][1] += n_bad
    return {pair: (n, n_bad > 0) for pair, (n, n_bad) in links.items()}


def links_in_python(element_of: dict[int, str], state_of: dict[int, str]) -> Links:
    """The same from every edge, for the items a filter chose."""
    links: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [0, False])
    for source, target in (
        Edge.objects.order_by().values_list("source_id", "target_id").iterator(chunk_size=20000)
    ):
        if source in element_of and target in element_of:
            pair = (element_of[source], element_of[target])
            if pair[0] != pair[1]:
                links[pair][0] += 1
                if state_of[source] != State.OPERATIONAL and state_of[target] != (
                    State.OPERATIONAL
                ):
                    links[pair][1] = True
    return {pair: (n, bad) for pair, (n, bad) in links.items()}


def group_element(
    slug: str, counts: Counter[str], team_names: dict[str, str], *, objectives: bool
) -> dict[str, Any]:
    total = sum(counts.values())
    s = worst(s for s, n in counts.items() if n)
    name = team_names.get(slug, "No owning team")
    what = "objectives" if objectives else "capabilities and dependencies"
    return {
        "id": f"{'go' if objectives else 'gn'}:{slug}",
        "type": "group",
        "kind": "group",
        "team_slug": slug,
        "name": f"{name}: {total} {what}",
        "state": s,
        "root": False,
        "label": (
            f"{STATE_ICON[State(s)]} {State(s).label.upper()} · TEAM\n{name}\n"
            f"{total} {what} · {counts[State.BLOCKED]} blocked · "
            f"{counts[State.DEGRADED]} degraded"
        ),
        "count": total,
        "blocked": counts[State.BLOCKED],
        "degraded": counts[State.DEGRADED],
    }


def link_element(source: str, target: str, count: int, bad: bool) -> dict[str, Any]:
    return {
        "data": {
            "id": f"x:{source}:{target}",
            "source": source,
            "target": target,
            "criticality": "hard",
            "carries": bad,
            "count": count,
            "label": str(count) if count > 1 else "",
            # To or from a group: shown when one end is pointed at, not laid out
            # (dozens of teams all depend on each other; drawn at once it is a hairball).
            "aux": source.startswith("g") or target.startswith("g"),
            "state": State.BLOCKED if bad else State.OPERATIONAL,
        }
    }
