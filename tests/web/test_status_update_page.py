from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from objectives.models import Objective, StatusUpdate
from tests.factories import ObjectiveFactory

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_owner_posts_an_update_from_the_objective_page(people: Any) -> None:
    objective = ObjectiveFactory(key="OBJ-4", owner=people["member"], team=people["team_b"])
    Objective.objects.filter(pk=objective.pk).update(state="blocked")
    client = _client(people["member"])
    assert "Post an update" in client.get("/objectives/OBJ-4/").content.decode()
    response = client.post(
        "/objectives/OBJ-4/updates/",
        {"rag": "green", "summary": "All fine", "blockers": "", "decisions_needed": ""},
    )
    assert response.status_code == 302
    update = StatusUpdate.objects.get()
    assert (update.author, update.rag) == (people["member"], "green")
    page = client.get("/objectives/OBJ-4/").content.decode()
    assert "Reported green while the graph says blocked" in page


def test_others_cannot_post_and_bad_input_is_shown(people: Any) -> None:
    ObjectiveFactory(key="OBJ-5", owner=people["lead_a"], team=people["team_a"])
    other = _client(people["lead_b"])
    assert "Post an update" not in other.get("/objectives/OBJ-5/").content.decode()
    assert (
        other.post("/objectives/OBJ-5/updates/", {"rag": "red", "summary": "x"}).status_code == 403
    )
    bad = _client(people["lead_a"]).post(
        "/objectives/OBJ-5/updates/", {"rag": "purple", "summary": ""}
    )
    assert bad.status_code == 200
    assert "purple" in bad.content.decode() or "valid choice" in bad.content.decode()
    assert not StatusUpdate.objects.exists()
