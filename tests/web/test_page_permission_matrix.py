"""The permission matrix of DESIGN §2 for the pages, generated from the URLconf.

Every page URL (all but /api/, /admin/ and /static/) must have a `Route` here: the
first test fails otherwise, so a new page cannot skip the matrix. Each route is
requested by every role with real objects in its URL: anonymous → the login page,
connector pages → admins only, the rest as the policy says. Every write form is posted
by every role with valid values, including values that point at another team's objects;
a refusal is a 403 (or the form shown again with an error) and the row is unchanged.

Team A owns the objects in the URLs: `lead_a` leads the owning team, `lead_b` another.
The world and the expectations are in tests/web/page_matrix/world.py, the routes by area
beside it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.web.page_matrix.connector_routes import CONNECTOR_ROUTES
from tests.web.page_matrix.governance_routes import GOVERNANCE_ROUTES
from tests.web.page_matrix.leadership_routes import LEADERSHIP_ROUTES
from tests.web.page_matrix.session_routes import SESSION_ROUTES
from tests.web.page_matrix.world import LOGIN, ROLES, Route, make_world

pytestmark = pytest.mark.django_db

ROUTES_BY_AREA: tuple[dict[str, Route], ...] = (
    SESSION_ROUTES,
    CONNECTOR_ROUTES,
    LEADERSHIP_ROUTES,
    GOVERNANCE_ROUTES,
)
ROUTES: dict[str, Route] = {name: route for area in ROUTES_BY_AREA for name, route in area.items()}


# --- The URLconf walk ----------------------------------------------------------------------


def _page_patterns(
    patterns: Any = None, prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str | None]]:
    """(route, name) of every page; a namespaced name as `reverse` takes it (`reports:orphans`)."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith(("api/", "admin/", "static/")):
            continue
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _page_patterns(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            yield route, f"{namespace}{pattern.name}" if pattern.name else None


def test_every_page_is_in_the_matrix() -> None:
    pages = list(_page_patterns())
    unnamed = [route for route, name in pages if not name]
    assert not unnamed, f"name these URL patterns so the matrix can list them: {unnamed}"
    names = {name for _route, name in pages}
    assert names - set(ROUTES) == set(), "add a Route for the new pages"
    assert set(ROUTES) - names == set(), "remove the Routes of pages that are gone"


def test_no_page_is_in_two_areas() -> None:
    assert sum(len(area) for area in ROUTES_BY_AREA) == len(ROUTES)


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_every_route_lists_its_write_forms_or_says_why_it_has_none(name: str) -> None:
    route = ROUTES[name]
    assert set(route.get) == set(ROLES), name
    assert bool(route.writes) != bool(route.no_writes), name
    # A POST-only URL is a write form (signing out aside).
    assert route.get["member"] != 405 or route.writes or name == "logout", name


# --- The matrix ----------------------------------------------------------------------------


def _client(role: str, people: dict[str, Any]) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(people[role])
    return client


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(ROUTES))
def test_get(name: str, role: str, people: dict[str, Any]) -> None:
    world = make_world(people)
    route = ROUTES[name]
    url = reverse(name, kwargs=route.kwargs(world))
    response = _client(role, people).get(url)
    want = route.get[role]
    if want == LOGIN:
        assert response.status_code == 302, (url, response.status_code)
        assert response["Location"].startswith("/login/"), response["Location"]
    else:
        assert response.status_code == want, (url, response.content[:300])


WRITES = [(name, label) for name, route in sorted(ROUTES.items()) for label in route.writes]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "label"), WRITES)
def test_post(name: str, label: str, role: str, people: dict[str, Any]) -> None:
    world = make_world(people)
    route, write = ROUTES[name], ROUTES[name].writes[label]
    url = reverse(name, kwargs=(write.kwargs or route.kwargs)(world))
    data = write.data(world)
    before = write.snapshot(world)
    headers = {"HTTP_HX_REQUEST": "true"} if write.htmx else {}
    response = _client(role, people).post(url, data, **headers)
    body = response.content.decode(errors="replace")
    after = write.snapshot(world)

    if role in write.allowed:
        assert response.status_code in (200, 302), (url, response.status_code, body[:2000])
        if response.status_code == 302:
            assert not response["Location"].startswith("/login/")
        if write.writes:
            assert after != before, f"{role}: {label} was accepted but wrote nothing"
        return
    assert after == before, f"{role}: {label} was refused but written"
    if role == "anonymous" and name != "webhook":
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    elif role in write.form_error:
        assert response.status_code == 200, (url, response.status_code, body[:2000])
        assert "not one of the available choices" in body, "refused without saying why"
    else:
        assert response.status_code == write.refused, (url, response.status_code, body[:2000])
