"""Periods and key results through the API (DESIGN §3): periods by name, key results on an
objective's create and update (the list is replaced), errors naming the field and item."""

from __future__ import annotations

from typing import Any

import pytest

from cataligent.models import AuditEntry
from objectives.models import KeyResult, Objective, Period
from tests.factories import ObjectiveFactory, PeriodFactory

pytestmark = pytest.mark.django_db


def test_periods_are_read_by_everyone_and_written_by_leadership(client_as: Any) -> None:
    PeriodFactory(name="2026-Q4")
    member, leader = client_as("member"), client_as("leadership")
    assert [p["name"] for p in member.get("/api/periods/").json()["results"]] == ["2026-Q4"]
    assert member.get("/api/v1/periods/2026-Q4/").json() == {
        "name": "2026-Q4",
        "start": "2026-10-01",
        "end": "2026-12-31",
    }
    created = leader.post(
        "/api/v1/periods/", {"name": "2027-Q1", "start": "2027-01-01", "end": "2027-03-31"},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    assert AuditEntry.objects.filter(object_repr="2027-Q1", action="create").exists()
    refused = member.post(
        "/api/periods/", {"name": "2027-Q2", "start": "2027-04-01", "end": "2027-06-30"},
        format="json",
    )  # fmt: skip
    assert refused.status_code == 403 and "leadership" in refused.json()["detail"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "2027-Q1", "start": "2027-03-31", "end": "2027-01-01"}, "end"),
        ({"name": "2026-Q4", "start": "2027-01-01", "end": "2027-03-31"}, "name"),
        ({"name": "", "start": "2027-01-01", "end": "2027-03-31"}, "name"),
        ({"name": "2027-Q1", "start": "soon", "end": "2027-03-31"}, "start"),
    ],
)
def test_bad_periods_are_refused_naming_the_field(
    client_as: Any, payload: dict[str, Any], field: str
) -> None:
    PeriodFactory(name="2026-Q4")
    response = client_as("admin").post("/api/periods/", payload, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()


def test_a_period_change_is_checked_against_its_stored_start(client_as: Any) -> None:
    PeriodFactory(name="2026-Q4")
    response = client_as("admin").patch(
        "/api/periods/2026-Q4/", {"end": "2026-09-01"}, format="json"
    )
    assert response.status_code == 400 and "end" in response.json()
    assert Period.objects.get(name="2026-Q4").end.isoformat() == "2026-12-31"


KRS = [
    {"title": "Loans originated", "start_value": "0", "target_value": "4000",
     "current_value": "310", "unit": "loans"},
    {"title": "Time to decision", "start_value": "48", "target_value": "0.05"},
]  # fmt: skip


def test_key_results_on_create_and_replaced_on_update(client_as: Any, people: Any) -> None:
    lead = client_as("lead_a")
    created = lead.post(
        "/api/objectives/",
        {"title": "Lend", "team": "team-a", "value_at_stake": "10.00", "key_results": KRS},
        format="json",
    )
    assert created.status_code == 201, created.json()
    key = created.json()["key"]
    krs = created.json()["key_results"]
    assert [k["title"] for k in krs] == ["Loans originated", "Time to decision"]
    assert krs[0]["progress"] == pytest.approx(310 / 4000)
    assert krs[1]["current_value"] == "0.00" and krs[1]["unit"] == ""

    updated = lead.patch(
        f"/api/v1/objectives/{key}/",
        {"key_results": [{"title": "Loans originated", "target_value": "5000"}]},
        format="json",
    )
    assert updated.status_code == 200, updated.json()
    objective = Objective.objects.get(key=key)
    assert list(objective.key_results.values_list("title", "target_value")) == [
        ("Loans originated", 5000)
    ]
    entry = AuditEntry.objects.filter(object_id=str(objective.pk), field="key_results").latest("at")
    assert "Time to decision" in str(entry.old_value)
    assert "Time to decision" not in str(entry.new_value)
    # The same list again changes nothing (and writes no history).
    before = AuditEntry.objects.count()
    again = lead.patch(
        f"/api/objectives/{key}/",
        {"key_results": [{"title": "Loans originated", "target_value": "5000"}]},
        format="json",
    )
    assert again.status_code == 200 and AuditEntry.objects.count() == before
    # An empty list removes them all.
    emptied = lead.patch(f"/api/objectives/{key}/", {"key_results": []}, format="json")
    assert emptied.status_code == 200
    assert not objective.key_results.exists()


def test_key_results_follow_the_objectives_permission(client_as: Any, people: Any) -> None:
    objective = ObjectiveFactory(team=people["team_a"])
    url = f"/api/objectives/{objective.key}/"
    body = {"key_results": KRS}
    assert client_as("lead_b").patch(url, body, format="json").status_code == 403
    assert client_as("member").patch(url, body, format="json").status_code == 403
    assert client_as("lead_a").patch(url, body, format="json").status_code == 200
    assert objective.key_results.count() == 2


@pytest.mark.parametrize(
    ("items", "needle"),
    [
        ([KRS[0], {"title": "No target"}], "target_value"),
        ([KRS[0], {"title": "Flat", "start_value": "5", "target_value": "5"}], "target_value"),
        ([KRS[0], {**KRS[1], "title": KRS[0]["title"]}], "Item 1"),
        ([{"title": "", "target_value": "1"}], "title"),
        ("not a list", "key_results"),
    ],
)
def test_bad_key_results_are_refused_naming_the_field_and_item(
    client_as: Any, people: Any, items: Any, needle: str
) -> None:
    objective = ObjectiveFactory(team=people["team_a"])
    response = client_as("lead_a").patch(
        f"/api/objectives/{objective.key}/", {"key_results": items}, format="json"
    )
    assert response.status_code == 400, response.json()
    assert "key_results" in response.json()
    errors = response.json()["key_results"]
    assert needle in str(errors) or needle == "key_results"
    if isinstance(items, list) and len(items) == 2 and needle == "target_value":
        assert list(errors) == ["1"] and "target_value" in errors["1"]  # the item's index
    assert not KeyResult.objects.filter(objective=objective).exists()
