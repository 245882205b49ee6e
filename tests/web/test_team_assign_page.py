"""The assign-an-owning-team page (issue 18): nothing preselected, a confirmation that names
the team before anything is written, and leadership may correct an owning team."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from cataligent.models import AuditEntry
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_no_team_is_chosen_in_advance(people: dict[str, Any]) -> None:
    gap = NodeFactory(slug="lending-api", team=None)
    body = _client(people["leadership"]).get(f"/map/nodes/{gap.slug}/team/").content.decode()
    select = re.search(r"<select[^>]*name=\"team\".*?</select>", body, re.S)
    assert select is not None
    assert " selected" not in select.group(0)
    first = re.search(r"<option value=\"([^\"]*)\"", select.group(0))
    assert first is not None and first.group(1) == ""  # "Choose a team…"


def test_posting_without_a_team_says_so_next_to_the_field(people: dict[str, Any]) -> None:
    gap = NodeFactory(slug="lending-api", team=None)
    response = _client(people["leadership"]).post(f"/map/nodes/{gap.slug}/team/", {"team": ""})
    body = response.content.decode()
    assert 'id="team-error"' in body and "Choose the team that will own it." in body
    assert 'aria-describedby="team-error"' in body
    gap.refresh_from_db()
    assert gap.team is None


def test_the_team_is_confirmed_by_name_before_it_is_written(people: dict[str, Any]) -> None:
    gap = NodeFactory(slug="lending-api", name="Lending API", team=None)
    client = _client(people["leadership"])
    url = f"/map/nodes/{gap.slug}/team/"

    first = client.post(url, {"team": "team-b"})
    assert first.status_code == 200
    body = first.content.decode()
    assert "Make Team B own Lending API?" in body
    assert 'name="confirmed" value="on"' in body and 'name="team" value="team-b"' in body
    gap.refresh_from_db()
    assert gap.team is None, "one click wrote the team without a confirmation"

    done = client.post(url, {"team": "team-b", "confirmed": "on"})
    assert done.status_code == 302 and done["Location"] == f"/nodes/{gap.slug}/"
    gap.refresh_from_db()
    assert gap.team == people["team_b"]


def test_leadership_corrects_an_owning_team_and_it_is_audited(people: dict[str, Any]) -> None:
    node = NodeFactory(slug="lending-api", name="Lending API", team=people["team_a"])
    client = _client(people["leadership"])
    url = f"/map/nodes/{node.slug}/team/"
    page = client.get(f"/nodes/{node.slug}/").content.decode()
    assert "Change the owning team" in page
    assert "Save state" not in page  # leadership moves items, it does not override states

    confirm = client.post(url, {"team": "team-b"}).content.decode()
    assert "It moves from <strong>Team A</strong> to <strong>Team B</strong>" in confirm
    client.post(url, {"team": "team-b", "confirmed": "on"})
    node.refresh_from_db()
    assert node.team == people["team_b"]
    entry = AuditEntry.objects.filter(field="team").latest("pk")
    assert entry.actor == people["leadership"]


def test_a_team_lead_is_offered_only_the_teams_they_lead(people: dict[str, Any]) -> None:
    node = NodeFactory(slug="ledger", team=people["team_a"])
    client = _client(people["lead_a"])
    body = client.get(f"/map/nodes/{node.slug}/team/").content.decode()
    assert "team-a" in body and "team-b" not in body
    assert (
        client.get(f"/map/nodes/{NodeFactory(team=people['team_b']).slug}/team/").status_code == 403
    )
