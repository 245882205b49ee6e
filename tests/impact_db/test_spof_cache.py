"""The single points of failure are cached per impact result, not per version number alone."""

from __future__ import annotations

from typing import Any

from dependencies.map.drawing import forget_map_cache, result_cache
from dependencies.recompute.loader import impact_state
from dependencies.recompute.runner import impact_recompute


def test_a_cache_left_by_an_earlier_database_with_the_same_version_is_not_served(
    lending: Any, client_as: Any
) -> None:
    impact_recompute(force=True)
    state = impact_state()
    # What a process kept from a database since recreated, whose counters reached the same
    # version (the schema fuzzing suite's database, before this test's).
    forget_map_cache()
    result_cache.get_or_make(("spof", state.version, state.structure, None), list)
    body = client_as("member").get("/api/single-points-of-failure/").json()
    assert {p["node"] for p in body["results"]} == {"cap", "api", "ledger"}
