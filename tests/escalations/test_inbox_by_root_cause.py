"""The escalation inbox shows one row per root cause per episode, listing the items it
blocks (issue 18, item 10: eleven rows for one cause before), and acknowledging the row
acknowledges its escalations, each audited on its item."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cataligent.models import AuditEntry
from dependencies.models import Escalation
from tests.factories import NodeFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _fire(item: Any, *, causes: list[str], level: int = 1, **fields: Any) -> Escalation:
    is_node = item.__class__.__name__ == "Node"
    values = {
        "node": item if is_node else None,
        "objective": None if is_node else item,
        "episode_started_at": START,
        "level": level,
        "target_display": "leadership",
        "target_role": "leadership",
        "fired_at": START + dt.timedelta(hours=1),
        "root_causes": causes,
    } | fields
    return Escalation.objects.create(**values)


def _rows(body: str) -> list[str]:
    return re.findall(r'<tr id="escalation-\d+">.*?</tr>', body, re.S)


@pytest.fixture
def one_cause(people: dict[str, Any]) -> list[Escalation]:
    """The card processor blocks two capabilities and an objective: three escalations."""
    NodeFactory(slug="card-processor", name="Card processor")
    fired = [
        _fire(NodeFactory(slug=f"cap-{n}", name=f"Capability {n}"), causes=["card-processor"])
        for n in (1, 2)
    ]
    objective = ObjectiveFactory(key="OBJ-1", title="Launch lending")
    fired.append(_fire(objective, causes=["card-processor"]))
    fired.append(_fire(objective, causes=["card-processor"], level=2))
    return fired


def test_one_row_per_root_cause_listing_what_it_blocks(
    people: dict[str, Any], one_cause: list[Escalation]
) -> None:
    _fire(NodeFactory(slug="ledger", name="Ledger"), causes=["ledger"])
    body = _client(people["leadership"]).get("/escalations/").content.decode()
    rows = _rows(body)
    assert len(rows) == 2, rows
    (card,) = [r for r in rows if "Card processor" in r]
    assert "3 items:" in card
    assert "Capability 1" in card and "Capability 2" in card and "OBJ-1 Launch lending" in card
    assert "Acknowledge all 4" in card


def test_acknowledging_the_row_acknowledges_its_escalations_audited(
    people: dict[str, Any], one_cause: list[Escalation]
) -> None:
    client = _client(people["leadership"])
    body = client.get("/escalations/").content.decode()
    action = re.search(r'hx-post="(/escalations/(\d+)/acknowledge/)"', body)
    assert action is not None
    also = re.findall(r'name="also" value="(\d+)"', body)
    response = client.post(
        action.group(1), {"note": "vendor engaged", "also": also}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    row = response.content.decode()
    assert f'id="escalation-{action.group(2)}"' in row  # swaps the same row
    assert "Acknowledged" in row and "vendor engaged" in row
    for e in one_cause:
        e.refresh_from_db()
        assert e.status == "acknowledged" and e.note == "vendor engaged"
        assert e.acknowledged_by == people["leadership"]
    audited = AuditEntry.objects.filter(field="escalation", actor=people["leadership"])
    assert audited.count() == 4


def test_the_row_acknowledges_only_what_the_user_may(people: dict[str, Any]) -> None:
    NodeFactory(slug="card-processor", name="Card processor")
    mine = _fire(
        NodeFactory(slug="cap-a", team=people["team_a"]),
        causes=["card-processor"],
        target_role="",
        target_team=people["team_a"],
    )
    theirs = _fire(
        NodeFactory(slug="cap-b", team=people["team_b"]),
        causes=["card-processor"],
        target_role="",
        target_team=people["team_b"],
    )
    client = _client(people["lead_a"])
    body = client.get("/escalations/").content.decode()
    assert len(_rows(body)) == 1
    # Even when the other one is posted, only the lead's own is acknowledged.
    client.post(f"/escalations/{mine.pk}/acknowledge/", {"note": "ok", "also": [theirs.pk]})
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.status == "acknowledged" and theirs.status == "open"


def test_a_later_episode_of_the_same_cause_is_a_row_of_its_own(people: dict[str, Any]) -> None:
    NodeFactory(slug="card-processor", name="Card processor")
    cap = NodeFactory(slug="cap-1")
    _fire(
        cap,
        causes=["card-processor"],
        status="resolved",
        resolved_at=START + dt.timedelta(days=1),
    )
    _fire(
        cap,
        causes=["card-processor"],
        episode_started_at=START + dt.timedelta(days=3),
        fired_at=START + dt.timedelta(days=3, hours=1),
    )
    url = "/escalations/?status=open&status=resolved"
    body = _client(people["leadership"]).get(url).content.decode()
    assert len(_rows(body)) == 2


def test_the_inbox_reads_in_a_fixed_number_of_queries(people: dict[str, Any]) -> None:
    client = _client(people["leadership"])
    NodeFactory(slug="card-processor")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/escalations/").status_code == 200
        return len(ctx.captured_queries)

    _fire(NodeFactory(), causes=["card-processor"])
    few = count()
    for n in range(8):
        cause = NodeFactory(slug=f"cause-{n}")
        _fire(NodeFactory(), causes=[cause.slug])
        _fire(ObjectiveFactory(), causes=[cause.slug])
    assert count() == few
