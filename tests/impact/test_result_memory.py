"""A result is freed as soon as it is dropped, without the cyclic garbage collector: the
full recompute holds that collector off while it loads and computes the next one."""

from __future__ import annotations

import gc
import weakref

from dependencies.impact import build_graph, compute_impact, update_impact, what_if
from dependencies.impact.model import State
from tests.impact.builders import T0, edges_of, nodes_of, objectives_of


def test_a_result_read_every_way_is_freed_by_reference_counting_alone() -> None:
    graph = build_graph(
        nodes_of("lending:capability api db!"),
        edges_of([("lending", "api"), ("api", "db")]),
        objectives_of([("OBJ-1", 1000, ["lending"])]),
    )
    result = compute_impact(graph, now=T0)
    assert result.nodes["lending"].state == State.BLOCKED
    assert result.objectives["OBJ-1"].root_causes == ("db",)
    assert result.bottlenecks and result.value_at_risk
    updated = update_impact(result, now=T0, intrinsic={"db": State.OPERATIONAL}).result
    assert updated.bottlenecks == ()
    scenario = what_if(result, block=["api"]).scenario
    refs = [weakref.ref(item) for item in (result, updated, scenario)]
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        del result, updated, scenario
        assert [ref() for ref in refs] == [None, None, None]
    finally:
        if was_enabled:
            gc.enable()
