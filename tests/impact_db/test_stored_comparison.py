"""The full pass's comparison of stored node results, a column at a time
(dependencies.recompute.stored), held to a field-by-field comparison of the same rows."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from dependencies.impact import ImpactResult, State
from dependencies.recompute.stored import StoredNodes, differing_nodes
from tests.impact.builders import T0, organisations

LATER = T0 + timedelta(hours=1)


def _jsonb_text(causes: list[str]) -> str:
    """As PostgreSQL prints a jsonb list (`root_causes::text`): `["a", "b"]`."""
    return json.dumps(causes, ensure_ascii=False)


# Ways a stored set of root causes can be written: the writer's own form, and forms that
# a field-by-field comparison reads as equal or as different.
def _stored_causes(causes: tuple[str, ...], how: str) -> Any:
    if how == "unsorted" and len(causes) > 1:
        return _jsonb_text(list(reversed(causes)))
    if how == "repeated" and causes:
        return _jsonb_text([causes[0], *causes])
    if how == "unknown":
        return _jsonb_text(sorted([*causes, "no-such-node"]))
    if how == "escaped":
        return _jsonb_text(sorted([*causes, 'quo"ted']))
    if how == "spaced":  # equal, not in jsonb's own layout
        return "[ " + ",".join(json.dumps(c) for c in causes) + " ]"
    if how == "parsed":  # off PostgreSQL the driver may give the list itself
        return list(causes)
    if how == "dropped" and causes:
        return _jsonb_text(list(causes[1:]))
    return _jsonb_text(list(causes))


def _stored_from(result: ImpactResult, data: st.DataObject, *, reverse: bool) -> StoredNodes:
    slugs, pks, states, intrinsics, sinces, causes = [], [], [], [], [], []
    for pk, new in enumerate(result.nodes.values()):
        slugs.append(new.slug)
        pks.append(pk)
        states.append(data.draw(st.sampled_from([new.state] * 3 + list(State))))
        intrinsics.append(data.draw(st.sampled_from([new.intrinsic_state] * 3 + list(State))))
        sinces.append(data.draw(st.sampled_from([new.blocked_since] * 3 + [None, T0, LATER])))
        how = data.draw(
            st.sampled_from(
                ["as written"] * 4
                + ["unsorted", "repeated", "unknown", "escaped", "spaced", "parsed", "dropped"]
            )
        )
        causes.append(_stored_causes(new.root_causes, how))
    order = list(range(len(slugs)))
    if reverse:  # not the graph's order: compared row by row
        order.reverse()
    return StoredNodes(
        index={slugs[i]: position for position, i in enumerate(order)},
        slugs=[slugs[i] for i in order],
        pks=[pks[i] for i in order],
        states=[states[i] for i in order],
        intrinsic_states=[intrinsics[i] for i in order],
        blocked_since=[sinces[i] for i in order],
        root_causes=[causes[i] for i in order],
    )


@settings(max_examples=300, deadline=None)
@given(organisations(), st.data(), st.booleans())
def test_the_columns_differ_exactly_where_the_rows_do(
    org: Any, data: st.DataObject, reverse: bool
) -> None:
    result = org.compute(now=LATER)
    stored = _stored_from(result, data, reverse=reverse)
    expected = [
        new.slug
        for new in result.nodes.values()
        if (new.state, new.intrinsic_state, new.blocked_since, new.root_causes)
        != (
            stored[new.slug].state,
            stored[new.slug].intrinsic_state,
            stored[new.slug].blocked_since,
            stored[new.slug].root_causes,
        )
    ]
    assert differing_nodes(result, stored) == expected


def test_a_stored_row_is_made_on_lookup() -> None:
    stored = StoredNodes(
        index={"a": 0, "b": 1},
        slugs=["a", "b"],
        pks=[7, 8],
        states=[State.BLOCKED, State.OPERATIONAL],
        intrinsic_states=[State.OPERATIONAL, State.OPERATIONAL],
        blocked_since=[T0, None],
        root_causes=['["x", "y"]', "[]"],
    )
    assert stored["a"] == (7, State.BLOCKED, T0, ("x", "y"), State.OPERATIONAL)
    assert list(stored) == ["a", "b"] and len(stored) == 2 and "c" not in stored
    assert stored.kept_blocked_since() == [T0, None]
