"""The map's counts by team carried over by the worker (dependencies/recompute/team_counts.py).

An incremental pass moves the counts it holds for the previous version by the nodes whose
state changed and the edges that came or went, reading nothing back from the database.
These hold what it stores, on random graphs, teams and changes, to a count of every node
and edge in SQL.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cataligent.services import team_delete
from dependencies.graph.changes import impact_changed
from dependencies.graph.services import node_update
from dependencies.impact import State
from dependencies.models import Edge, Node, TeamCounts
from dependencies.recompute import loader, runner
from dependencies.recompute.runner import forget_cache, impact_recompute
from objectives.models import Objective
from tests.impact.builders import Organisation, organisations
from tests.impact_db.test_update_writer import OVERRIDE, _store
from tests.team_counts import counted_now, stored_now

# Toggled between rounds: an override, an edge, or (audited, with no recompute of its
# own) a node's team.
CHANGES = st.lists(
    st.tuples(st.sampled_from(["state", "edge", "team"]), st.integers(0, 99), st.integers(0, 99)),
    min_size=1,
    max_size=6,
)


# Committed, as in production: each change is noted when it commits, and the pass sees
# them all (a test transaction would merge the notes of later changes into the first).
@pytest.mark.django_db(transaction=True)
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(organisations(), st.data())
def test_the_counts_carried_over_are_the_counts(
    people: Any, recompute_left_to_the_test: Any, org: Organisation, data: st.DataObject
) -> None:
    # Each example starts from an empty graph and a worker holding nothing.
    forget_cache()
    Node.objects.all().delete()
    Objective.objects.all().delete()
    TeamCounts.objects.all().delete()
    _check(org, data, people)


def _check(org: Organisation, data: st.DataObject, people: Any) -> None:
    ids = _store(org)
    teams = [None, people["team_a"], people["team_b"]]
    for pk in ids.values():
        Node.objects.filter(pk=pk).update(team=data.draw(st.sampled_from(teams)))
    assert not impact_recompute(force=True).incremental  # this process now holds the counts
    assert stored_now() == counted_now()
    nodes = sorted(ids.values())
    for _round in range(data.draw(st.integers(1, 3))):
        for kind, a, b in data.draw(CHANGES):
            source, target = nodes[a % len(nodes)], nodes[b % len(nodes)]
            if kind == "state":
                override = OVERRIDE[data.draw(st.sampled_from(list(State)))]
                Node.objects.filter(pk=source).update(manual_state=override)
                impact_changed(nodes=[source], reason="test")
            elif kind == "edge" and source != target:
                edge = Edge.objects.filter(source_id=source, target_id=target).first()
                if edge is not None:
                    edge.delete()
                else:
                    Edge.objects.create(source_id=source, target_id=target)
                impact_changed(edges_of=[source], reason="test")
            elif kind == "team":
                node_update(
                    node=Node.objects.get(pk=source),
                    changes={"team": teams[b % 3]},
                    actor=people["admin"],
                )
        _passed()
    # A ticket's change at the end: a round that only moved teams ran no pass, and the
    # next one counts with the teams the worker holds.
    impact_changed(nodes=[nodes[0]], reason="test")
    _passed()


def _passed() -> None:
    """The next pass, if anything was noted: incremental, and what it stored is the count."""
    outcome = impact_recompute()
    if outcome.ran:
        assert outcome.incremental
        assert stored_now() == counted_now()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("recompute_left_to_the_test")
def test_a_team_moved_while_a_full_pass_loaded_is_not_carried_over(
    lending: Any, people: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The full pass keeps the node teams it loaded for the passes after it: a team moved
    after the load and before the counts are stored is read again, not carried over."""
    nodes, _objective = lending
    Node.objects.filter(slug="ledger").update(manual_state="blocked")

    def load_then_move_a_team() -> loader.LoadedGraph:
        loaded = loader.load_graph()
        node_update(node=nodes["app"], changes={"team": people["team_b"]}, actor=people["admin"])
        return loaded

    monkeypatch.setattr(runner, "load_graph", load_then_move_a_team)
    impact_recompute(force=True)
    monkeypatch.undo()
    assert stored_now() == counted_now()
    # A ticket's change, not audited: the pass carries the counts over with the teams it
    # holds, which must be the ones after the move.
    Node.objects.filter(slug="app").update(manual_state="blocked")
    impact_changed(nodes=[nodes["app"].pk], reason="test")
    assert impact_recompute().incremental
    assert stored_now() == counted_now()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("recompute_left_to_the_test")
def test_a_team_deleted_makes_the_next_pass_count_again(lending: Any, people: Any) -> None:
    """Deleting a team leaves its nodes without one (audited on the team, not the nodes):
    the next pass reads the teams again before carrying anything over."""
    nodes, _objective = lending
    Node.objects.filter(slug="ledger").update(manual_state="blocked")
    impact_recompute(force=True)
    team_delete(team=people["team_b"], actor=people["admin"])
    for slug in ("ledger", "app"):  # a ticket's change each, not audited
        Node.objects.filter(slug=slug).update(manual_state="" if slug == "ledger" else "blocked")
        impact_changed(nodes=[nodes[slug].pk], reason="test")
        assert impact_recompute().incremental
        assert stored_now() == counted_now()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("recompute_left_to_the_test")
def test_a_kept_edge_of_a_rewired_node_to_a_node_that_moved_is_counted_once(
    lending: Any,
) -> None:
    """cap → app stays while cap gains an edge and app goes blocked, in one pass: the edge
    is counted with cap's rewired edges, not again with app's."""
    nodes, _objective = lending
    Node.objects.filter(slug="cap").update(manual_state="blocked")
    impact_recompute(force=True)
    Edge.objects.create(source=nodes["cap"], target=nodes["ledger"])
    impact_changed(edges_of=[nodes["cap"].pk], reason="test")
    Node.objects.filter(slug="app").update(manual_state="blocked")
    impact_changed(nodes=[nodes["app"].pk], reason="test")
    assert impact_recompute().incremental
    assert stored_now() == counted_now()


@pytest.mark.django_db
def test_the_links_are_kept_as_uncompressed_text() -> None:
    """Written whole with every version: PostgreSQL neither parses them (jsonb) nor
    compresses them (migration 0015); they read back as they were written."""
    links = [[None, 3, 4, 1], [3, None, 2, 0]]
    row = TeamCounts.objects.create(version=1, structure=1, marker=1, links=links)
    row.refresh_from_db()
    assert row.links == links
    if connection.vendor != "postgresql":
        return  # SQLite keeps every JSON value as text
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT format_type(atttypid, atttypmod), attstorage FROM pg_attribute "
            "WHERE attrelid = 'dependencies_teamcounts'::regclass AND attname = 'links'"
        )
        assert cursor.fetchone() == ("text", "e")
