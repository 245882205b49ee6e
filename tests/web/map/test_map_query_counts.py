"""The leadership pages' queries do not grow with the organisation."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dependencies.map.drawing import forget_map_cache, map_graph
from dependencies.map.query import MapFilters
from dependencies.recompute.runner import forget_cache
from tests.web.map.support import client_for, grow

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/map/",
        "/map/?view=all&team=team-a",
        "/map/?objective=OBJ-1&q=o",
        "/map/graph.json?view=all",
        "/map/table/",
        "/map/table/?format=csv",
        "/bottlenecks/",
        "/bottlenecks/?format=csv",
        "/dashboard/",
        "/single-points-of-failure/",
        "/map/nodes/api/",
        "/map/objectives/OBJ-1/",
        "/whatif/?block=ledger",
    ],
)
def test_query_count_does_not_grow_with_the_organisation(
    url: str, people: dict[str, Any], lending: Any
) -> None:
    client = client_for(people["leadership"])

    def count() -> int:
        forget_cache()
        forget_map_cache()
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    grow(people, 0, 3)
    count()  # warm up: roles and content types are cached once
    few = count()
    grow(people, 3, 25)
    assert count() == few


def test_grouped_map_query_count_does_not_grow(people: dict[str, Any], lending: Any) -> None:
    def count() -> int:
        forget_map_cache()
        with CaptureQueriesContext(connection) as ctx:
            graph = map_graph(MapFilters(view="all", expand=("team-b",)), budget=5)
        assert graph.mode == "grouped"
        return len(ctx.captured_queries)

    grow(people, 0, 3)
    few = count()
    grow(people, 3, 25)
    assert count() == few
