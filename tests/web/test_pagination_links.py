"""Page and export links keep every value of a repeated filter (issue 13).

`/nodes/?kind=service&kind=data` used to link page 2 as `?kind=data&page=2`: the
pagination template rebuilt the query from `request.GET.items()`, one value a key.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _link(body: str, label: str) -> dict[str, list[str]]:
    match = re.search(rf'<a [^>]*href="([^"]*)"[^>]*>{label}', body)
    assert match, f"no {label!r} link in the page"
    return parse_qs(urlsplit(unescape(match.group(1))).query)


def test_page_links_keep_both_values_of_a_repeated_filter(people: dict[str, Any]) -> None:
    NodeFactory.create_batch(30, kind="service")
    NodeFactory.create_batch(30, kind="data")
    NodeFactory.create_batch(5, kind="vendor")  # filtered out
    client = _client(people["member"])

    first = client.get("/nodes/?kind=service&kind=data&q=node").content.decode()
    assert "Page 1 of 2 · 60 in all" in first
    following = _link(first, "Next")
    assert following == {"kind": ["service", "data"], "q": ["node"], "page": ["2"]}

    second = client.get("/nodes/", following).content.decode()
    assert "Page 2 of 2 · 60 in all" in second
    assert _link(second, "← Previous") == {
        "kind": ["service", "data"],
        "q": ["node"],
        "page": ["1"],
    }


def test_the_htmx_table_links_keep_them_too(people: dict[str, Any]) -> None:
    NodeFactory.create_batch(26, kind="service")
    NodeFactory.create_batch(26, kind="data")
    body = (
        _client(people["member"])
        .get("/nodes/?kind=service&kind=data", HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert _link(body, "Next")["kind"] == ["service", "data"]


def test_bottlenecks_csv_link_keeps_the_filters_and_drops_the_page(people: dict[str, Any]) -> None:
    body = _client(people["member"]).get("/bottlenecks/?team=team-a&q=core&page=3").content.decode()
    assert _link(body, "Export CSV") == {"team": ["team-a"], "q": ["core"], "format": ["csv"]}


def test_map_csv_link_carries_the_filters(people: dict[str, Any]) -> None:
    """Without JavaScript the map's CSV link is the table of the same filters (it used to
    carry a Python dict's repr)."""
    body = _client(people["member"]).get("/map/?team=team-a&view=all&expand=x").content.decode()
    match = re.search(r'href="([^"]*)" id="map-csv"', body)
    assert match
    url = urlsplit(unescape(match.group(1)))
    assert url.path == "/map/table/"
    assert parse_qs(url.query) == {"team": ["team-a"], "view": ["all"], "format": ["csv"]}
