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


def test_the_latest_update_becomes_the_declared_status(people: Any) -> None:
    """A red update clears the green-red mismatch honestly: the owner now says off track."""
    objective = ObjectiveFactory(
        key="OBJ-1", owner=people["lead_a"], team=people["team_a"], declared_status="on_track"
    )
    Objective.objects.filter(pk=objective.pk).update(state="blocked")
    client = _client(people["lead_a"])
    assert "mismatch" in client.get("/objectives/").content.decode()

    client.post("/objectives/OBJ-1/updates/", {"rag": "red", "summary": "Blocked on the API"})
    objective.refresh_from_db()
    assert objective.declared_status == "off_track"
    page = client.get("/objectives/OBJ-1/").content.decode()
    assert "Off track" in page
    assert "Reported green while the graph says blocked" not in page
    assert "mismatch" not in client.get("/objectives/").content.decode()
    history = client.get("/api/objectives/OBJ-1/history/").json()
    assert any(e["field"] == "declared_status" for e in history["results"]), history

    client.post("/objectives/OBJ-1/updates/", {"rag": "amber", "summary": "A team is on it"})
    objective.refresh_from_db()
    assert objective.declared_status == "at_risk"


def test_a_green_update_leaves_a_done_objective_done(people: Any) -> None:
    objective = ObjectiveFactory(
        key="OBJ-2", owner=people["lead_a"], team=people["team_a"], declared_status="done"
    )
    _client(people["lead_a"]).post("/objectives/OBJ-2/updates/", {"rag": "green", "summary": "ok"})
    objective.refresh_from_db()
    assert objective.declared_status == "done"
