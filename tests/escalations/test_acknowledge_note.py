"""Acknowledging an escalation needs a note saying what was decided (issue 18), in the
inbox page and in the API alike."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from dependencies.models import Escalation
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def escalation(people: dict[str, Any]) -> Escalation:
    now = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    return Escalation.objects.create(
        node=NodeFactory(slug="lending-api", name="Lending API", team=people["team_a"]),
        episode_started_at=now,
        level=1,
        target_team=people["team_a"],
        target_display="Team A's lead",
        fired_at=now,
    )


def _unacknowledged(escalation: Escalation) -> bool:
    escalation.refresh_from_db()
    return escalation.acknowledged_at is None and escalation.status == "open"


@pytest.mark.parametrize("payload", [{}, {"note": ""}, {"note": "   "}])
def test_the_api_asks_for_a_note(
    payload: dict[str, Any], escalation: Escalation, client_as: Any
) -> None:
    url = f"/api/escalations/{escalation.pk}/acknowledge/"
    response = client_as("lead_a").post(url, payload, format="json")
    assert response.status_code == 400, response.content
    assert "Say what was decided" in response.json()["note"][0]
    assert _unacknowledged(escalation)
    # Who may not acknowledge it is told so first, whatever the note.
    assert client_as("lead_b").post(url, payload, format="json").status_code == 403


def test_the_api_keeps_the_note_trimmed(escalation: Escalation, client_as: Any) -> None:
    url = f"/api/escalations/{escalation.pk}/acknowledge/"
    response = client_as("lead_a").post(url, {"note": "  budget approved "}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["note"] == "budget approved"


def test_the_inbox_shows_the_error_next_to_the_note(
    escalation: Escalation, people: dict[str, Any]
) -> None:
    client = Client()
    client.force_login(people["lead_a"])
    url = f"/escalations/{escalation.pk}/acknowledge/"
    inbox = client.get("/escalations/").content.decode()
    assert f'id="note-{escalation.pk}" name="note"' in inbox and " required" in inbox

    response = client.post(url, {"note": "  "}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200  # htmx swaps the row only on a 2xx
    assert f'aria-describedby="note-error-{escalation.pk}"' in body
    assert f'id="note-error-{escalation.pk}" role="alert">Say what was decided' in body
    assert "<button" in body  # the form is still there to try again
    assert _unacknowledged(escalation)

    done = client.post(url, {"note": "team reassigned"}, HTTP_HX_REQUEST="true")
    assert "team reassigned" in done.content.decode()
    assert not _unacknowledged(escalation)


def test_without_javascript_the_inbox_is_shown_again(
    escalation: Escalation, people: dict[str, Any]
) -> None:
    client = Client()
    client.force_login(people["lead_a"])
    url = f"/escalations/{escalation.pk}/acknowledge/"
    refused = client.post(url, {"note": ""}, follow=True)
    assert "Escalation not acknowledged: Say what was decided" in refused.content.decode()
    assert _unacknowledged(escalation)
    done = client.post(url, {"note": "budget approved"}, follow=True)
    assert "Escalation acknowledged." in done.content.decode()
    assert not _unacknowledged(escalation)
