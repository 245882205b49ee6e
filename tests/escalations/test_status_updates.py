"""Structured status updates: overdue reminders and green-over-blocked flags."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core import mail

from dependencies.escalations.delivery import notifications_send
from dependencies.escalations.reminders import remind_overdue_updates
from objectives.models import Objective, StatusUpdate
from tests.factories import ObjectiveFactory

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def test_overdue_updates_are_reminded_once_a_day(people: Any) -> None:
    with time_machine.travel(START, tick=False):
        objective = ObjectiveFactory(key="OBJ-5", owner=people["lead_a"], update_cadence_days=7)
        fresh = ObjectiveFactory(key="OBJ-6", owner=people["lead_b"], update_cadence_days=7)
    with time_machine.travel(START + dt.timedelta(days=6), tick=False):
        assert remind_overdue_updates() == 0
        StatusUpdate.objects.create(objective=fresh, rag="green", summary="fine")
    with time_machine.travel(START + dt.timedelta(days=8), tick=False):
        assert remind_overdue_updates() == 2  # inbox and email for OBJ-5 only
        assert remind_overdue_updates() == 0  # not twice a day
    with time_machine.travel(START + dt.timedelta(days=8, minutes=2), tick=False):
        notifications_send()  # the sweep (in production the on-commit task sends at once)
    assert len(mail.outbox) == 1
    assert "OBJ-5" in mail.outbox[0].subject
    assert "/objectives/OBJ-5/" in mail.outbox[0].body
    with time_machine.travel(START + dt.timedelta(days=9), tick=False):
        assert remind_overdue_updates() == 2  # the next day, again
    from dependencies.models import Notification

    assert Notification.objects.filter(recipient=objective.owner).count() == 4
    assert not Notification.objects.filter(recipient=fresh.owner).exists()


def test_green_over_blocked_is_flagged_in_the_api(people: Any, client_as: Any) -> None:
    objective = ObjectiveFactory(key="OBJ-9", owner=people["lead_a"], team=people["team_a"])
    Objective.objects.filter(pk=objective.pk).update(state="blocked")
    client = client_as("lead_a")
    response = client.post(
        "/api/status-updates/",
        {"objective": "OBJ-9", "rag": "green", "summary": "all good", "blockers": ""},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["contradicts_graph"] is True
    body = client.get("/api/objectives/OBJ-9/").json()
    assert body["contradicts_graph"] is True
    assert body["latest_update"]["rag"] == "green"
    assert body["update_overdue"] is False
    client.post(
        "/api/status-updates/",
        {
            "objective": "OBJ-9",
            "rag": "red",
            "summary": "blocked on the API",
            "decisions_needed": "fund a team",
        },
        format="json",
    )
    assert client.get("/api/objectives/OBJ-9/").json()["contradicts_graph"] is False


def test_status_update_bad_input(client_as: Any, people: Any) -> None:
    ObjectiveFactory(key="OBJ-3", team=people["team_a"])
    response = client_as("lead_a").post(
        "/api/status-updates/",
        {"objective": "OBJ-3", "rag": "purple", "summary": ""},
        format="json",
    )
    assert response.status_code == 400
    assert {"rag", "summary"} <= set(response.json())
