"""The leadership pages: sign-in required, every role reads them, helpful when empty."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.web.map.support import ROLES, client_for

pytestmark = pytest.mark.django_db

PAGES = [
    "/map/",
    "/map/graph.json",
    "/map/table/",
    "/map/nodes/api/",
    "/map/objectives/OBJ-1/",
    "/bottlenecks/",
    "/dashboard/",
    "/whatif/?block=ledger",
    "/single-points-of-failure/",
]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_login(url: str, lending: Any) -> None:
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_every_page(role: str, people: dict[str, Any], lending: Any) -> None:
    client = client_for(people[role])
    for url in PAGES:
        assert client.get(url).status_code == 200, url
        assert client.get(url, HTTP_HX_REQUEST="true").status_code == 200, url


def test_leadership_starts_on_the_map(people: dict[str, Any]) -> None:
    assert client_for(people["leadership"]).get("/")["Location"] == "/map/"
    assert client_for(people["member"]).get("/")["Location"] == "/objectives/"


def test_empty_states_are_helpful(people: dict[str, Any]) -> None:
    client = client_for(people["leadership"])
    assert "seed_demo" in client.get("/map/?view=all").content.decode()
    assert "Nothing is blocked or degraded" in client.get("/map/").content.decode()
    assert "No bottlenecks" in client.get("/bottlenecks/").content.decode()
    assert "No ITSM connector is configured yet" in client.get("/dashboard/").content.decode()
    assert "No single point of failure" in (
        client.get("/single-points-of-failure/").content.decode()
    )
