"""The incremental pass's writer (`store_update`) against a full pass, on random graphs.

It writes the rows the engine found changed, from the engine's lists, without comparing
results with stored rows again: these properties hold it to what a full pass stores and
to the rows that really differ, with their state transitions.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dependencies.graph.changes import impact_changed
from dependencies.impact import State
from dependencies.models import Edge, Node, StateTransition
from dependencies.recompute.runner import forget_cache, impact_recompute
from objectives.models import Objective
from tests.impact.builders import Organisation, organisations

# A manual override for each intrinsic state the engine draws ("" is no override).
OVERRIDE = {State.OPERATIONAL: "", State.DEGRADED: "degraded", State.BLOCKED: "blocked"}


def _store(org: Organisation) -> dict[str, int]:
    """The organisation as rows (the database refuses self-loops and repeated pairs)."""
    ids = {
        n.slug: Node.objects.create(
            slug=n.slug, name=n.slug, kind=n.kind, manual_state=OVERRIDE[n.intrinsic_state]
        ).pk
        for n in org.nodes
    }
    pairs: set[tuple[str, str]] = set()
    for edge in org.edges:
        if edge.source != edge.target and (edge.source, edge.target) not in pairs:
            pairs.add((edge.source, edge.target))
            Edge.objects.create(
                source_id=ids[edge.source],
                target_id=ids[edge.target],
                criticality=str(edge.criticality),
                redundancy_group=edge.redundancy_group or "",
                min_operational=edge.min_operational,
            )
    for objective in org.objectives:
        row = Objective.objects.create(
            key=objective.key, title=objective.key, value_at_stake=objective.value_at_stake
        )
        for node in dict.fromkeys(r.node for r in objective.requires):
            criticality = next(r.criticality for r in objective.requires if r.node == node)
            row.requirements.create(node_id=ids[node], criticality=str(criticality))
    return ids


def _rows() -> dict[str, tuple[Any, ...]]:
    rows = {
        slug: rest
        for slug, *rest in Node.objects.values_list(
            "slug", "intrinsic_state", "state", "root_causes", "blocked_since"
        )
    }
    rows.update(
        (f"objective {key}", tuple(rest))
        for key, *rest in Objective.objects.values_list(
            "key", "state", "root_causes", "blocked_since"
        )
    )
    return {key: tuple(value) for key, value in rows.items()}


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(organisations(), st.data())
def test_an_incremental_pass_writes_exactly_what_a_full_pass_would(
    db: Any,
    recompute_left_to_the_test: Any,
    django_capture_on_commit_callbacks: Any,
    org: Organisation,
    data: st.DataObject,
) -> None:
    forget_cache()
    try:
        with transaction.atomic():  # undone below, with the on-commit callbacks it queued
            _check(org, data, django_capture_on_commit_callbacks)
            raise _Undo
    except _Undo:
        pass
    finally:
        forget_cache()


class _Undo(Exception):
    """Rolls an example back: each starts from an empty graph."""


def _check(org: Organisation, data: st.DataObject, on_commit: Any) -> None:
    ids = _store(org)
    assert not impact_recompute(force=True).incremental  # this process now holds it
    before = _rows()
    changes = data.draw(st.dictionaries(st.sampled_from(sorted(ids)), st.sampled_from(list(State))))
    for slug, state in changes.items():
        Node.objects.filter(slug=slug).update(manual_state=OVERRIDE[state])
    with on_commit(execute=True):
        impact_changed(nodes=[ids[slug] for slug in changes], reason="test")
    transitions_before = StateTransition.objects.count()

    outcome = impact_recompute()

    assert outcome.incremental
    after = _rows()
    differing = {key for key in after if after[key] != before[key]}
    # Exactly the rows that differ are written, no more (equal rows are left alone).
    assert outcome.nodes_written == len({k for k in differing if k in ids})
    assert outcome.objectives_written == len(differing - ids.keys())
    # A transition for each item whose state moved, with its new root causes.
    recorded = {
        (t.node.slug if t.node else f"objective {t.objective.key}"): (
            t.from_state,
            t.to_state,
            t.root_causes,
        )
        for t in StateTransition.objects.select_related("node", "objective").order_by("id")[
            transitions_before:
        ]
    }
    state_at = {key: 1 if key in ids else 0 for key in after}  # the column of `state`
    assert recorded == {
        key: (before[key][state_at[key]], after[key][state_at[key]], after[key][-2])
        for key in after
        if before[key][state_at[key]] != after[key][state_at[key]]
    }
    # A new worker, comparing every row with a full recompute, finds nothing to write.
    forget_cache()
    full = impact_recompute(force=True)
    assert not full.incremental
    assert (full.nodes_written, full.objectives_written) == (0, 0)
