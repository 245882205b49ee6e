"""The node page for team leads (issue 18, items 6, 8 and 9): owner, escalation policy and
dependencies edited with the API's rules, errors beside their field with nothing emptied;
the node's tickets paged, active first, with the status label; "blocked since at least"
the blocking ticket's opening when it predates the first recompute that saw it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from cataligent.models import AuditEntry
from dependencies.map.drawing import forget_map_cache
from dependencies.models import Edge
from dependencies.recompute.runner import forget_cache, impact_recompute
from tests.factories import (
    EdgeFactory,
    EscalationPolicyFactory,
    NodeFactory,
    UserFactory,
    link_ticket,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_engine_cache(monkeypatch: pytest.MonkeyPatch) -> Any:
    # Each test has its own database; a result cached by an earlier test is not its, nor
    # is one this test caches the next test's.
    monkeypatch.setattr("dependencies.escalations.gaps._exposure_cache", None)
    forget_cache()
    forget_map_cache()
    yield
    forget_cache()
    forget_map_cache()


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def ledger(people: dict[str, Any]) -> Any:
    return NodeFactory(slug="ledger", name="Core ledger", team=people["team_a"])


def test_the_lead_sets_owner_and_policy_audited_and_shown_by_name(
    people: dict[str, Any], ledger: Any
) -> None:
    noah = UserFactory(username="noah", first_name="Noah", last_name="Berg")
    policy = EscalationPolicyFactory(name="Ledger on-call", team=people["team_a"])
    client = _client(people["lead_a"])
    response = client.post(
        "/nodes/ledger/owner/", {"owner": "noah", "escalation_policy": policy.pk}
    )
    assert response.status_code == 302
    ledger.refresh_from_db()
    assert ledger.owner == noah and ledger.escalation_policy == policy
    fields = set(AuditEntry.objects.filter(actor=people["lead_a"]).values_list("field", flat=True))
    assert {"owner", "escalation_policy"} <= fields
    body = client.get("/nodes/ledger/").content.decode()
    assert "<dd>Noah Berg</dd>" in body
    assert "set the owner to Noah Berg" in body  # history as a sentence, by name


def test_another_teams_policy_is_not_offered(people: dict[str, Any], ledger: Any) -> None:
    theirs = EscalationPolicyFactory(name="Team B only", team=people["team_b"])
    client = _client(people["lead_a"])
    assert "Team B only" not in client.get("/nodes/ledger/").content.decode()
    response = client.post("/nodes/ledger/owner/", {"owner": "", "escalation_policy": theirs.pk})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_escalation_policy_error"' in body and "not one of the available" in body
    ledger.refresh_from_db()
    assert ledger.escalation_policy is None


def test_the_lead_adds_a_dependency_audited(people: dict[str, Any], ledger: Any) -> None:
    NodeFactory(slug="mainframe", name="Mainframe")
    response = _client(people["lead_a"]).post(
        "/nodes/ledger/dependencies/",
        {"target": "mainframe", "criticality": "soft", "min_operational": "1"},
    )
    assert response.status_code == 302
    edge = Edge.objects.get(source=ledger)
    assert edge.target.slug == "mainframe" and edge.criticality == "soft"
    entry = AuditEntry.objects.get(field="depends_on")
    assert entry.actor == people["lead_a"] and entry.new_value["target"] == "mainframe"


def _add(client: Client, **data: str) -> str:
    values = {"criticality": "soft", "redundancy_group": "db", "min_operational": "1"} | data
    response = client.post("/nodes/ledger/dependencies/", values)
    assert response.status_code == 200
    return response.content.decode()


def _kept(body: str) -> None:
    """Nothing the user typed is emptied by the error."""
    assert re.search(r'<option value="soft"[^>]*selected', body)
    assert re.search(r'name="redundancy_group"[^>]*value="db"', body)


def test_a_self_dependency_is_refused_beside_the_field_with_the_apis_words(
    people: dict[str, Any], ledger: Any, client_as: Any
) -> None:
    body = _add(_client(people["lead_a"]), target="ledger")
    api = client_as("lead_a").post(
        "/api/v1/edges/", {"source": "ledger", "target": "ledger"}, format="json"
    )
    assert api.status_code == 400
    assert api.json()["target"] == ["A node cannot depend on itself."]
    assert 'id="id_target_error"' in body and "A node cannot depend on itself." in body
    assert 'value="ledger"' in body
    _kept(body)
    assert not Edge.objects.exists()


def test_an_existing_dependency_is_refused_with_the_apis_words(
    people: dict[str, Any], ledger: Any
) -> None:
    EdgeFactory(source=ledger, target=NodeFactory(slug="mainframe"))
    body = _add(_client(people["lead_a"]), target="mainframe")
    assert "This edge already exists: source already depends on target." in body
    _kept(body)
    assert Edge.objects.count() == 1


def test_an_unknown_node_and_a_bad_minimum_are_said_beside_their_fields(
    people: dict[str, Any], ledger: Any
) -> None:
    body = _add(_client(people["lead_a"]), target="nowhere", min_operational="0")
    assert "No node has the slug “nowhere”." in body
    assert not Edge.objects.exists()
    NodeFactory(slug="mainframe")
    body = _add(_client(people["lead_a"]), target="mainframe", min_operational="0")
    assert 'id="id_min_operational_error"' in body and "Must be at least 1." in body
    _kept(body)
    assert not Edge.objects.exists()


def test_the_lead_removes_a_dependency_audited(people: dict[str, Any], ledger: Any) -> None:
    edge = EdgeFactory(source=ledger, target=NodeFactory(slug="mainframe"))
    client = _client(people["lead_a"])
    assert (
        f"/nodes/ledger/dependencies/{edge.pk}/remove/"
        in client.get("/nodes/ledger/").content.decode()
    )
    assert client.post(f"/nodes/ledger/dependencies/{edge.pk}/remove/").status_code == 302
    assert not Edge.objects.exists()
    entry = AuditEntry.objects.get(field="depends_on")
    assert entry.old_value["target"] == "mainframe" and entry.new_value is None


def test_an_edge_of_another_node_cannot_be_removed_through_this_one(
    people: dict[str, Any], ledger: Any
) -> None:
    other = EdgeFactory(source=NodeFactory(team=people["team_a"]), target=ledger)
    assert (
        _client(people["lead_a"]).post(f"/nodes/ledger/dependencies/{other.pk}/remove/").status_code
        == 404
    )
    assert Edge.objects.filter(pk=other.pk).exists()


def test_readers_get_no_edit_forms(people: dict[str, Any], ledger: Any) -> None:
    for role in ("member", "lead_b", "leadership"):
        body = _client(people[role]).get("/nodes/ledger/").content.decode()
        assert "Add the dependency" not in body and "Save owner and escalation policy" not in body


def test_tickets_are_paged_active_first_with_the_status_label(
    people: dict[str, Any], ledger: Any
) -> None:
    for n in range(12):
        link_ticket(
            ledger,
            key=f"OLD-{n}",
            status_category="closed",
            status_raw="7",
            is_blocking=False,
            updated_at=timezone.now() - dt.timedelta(days=1),
        )
    link_ticket(ledger, key="LIVE-1", status_category="in_progress", is_blocking=False)
    client = _client(people["member"])
    body = client.get("/nodes/ledger/").content.decode()
    assert "LIVE-1" in body  # active first, though it is the newest row of thirteen
    assert "Page 1 of 2 · 13 tickets" in body
    assert "<td>Closed</td>" in body and "<td>In progress</td>" in body
    assert '<span class="muted">7</span>' not in body  # the source's code, not a label
    second = client.get("/nodes/ledger/?tickets_page=2").content.decode()
    assert "LIVE-1" not in second and "Page 2 of 2" in second
    fragment = client.get("/map/nodes/ledger/tickets/?page=2", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    panel = client.get("/map/nodes/ledger/", HTTP_HX_REQUEST="true").content.decode()
    assert "LIVE-1" in panel and "/map/nodes/ledger/tickets/?page=2" in panel


def test_blocked_since_at_least_the_ticket_opened_before_the_first_recompute(
    people: dict[str, Any],
) -> None:
    card = NodeFactory(slug="card-processor", name="Card processor", team=people["team_a"])
    app = NodeFactory(slug="lending-app", name="Lending app", kind="capability")
    EdgeFactory(source=app, target=card)
    opened = timezone.now() - dt.timedelta(days=24)
    link_ticket(card, key="INC0000013", priority=2, opened_at=opened)
    impact_recompute(force=True)
    card.refresh_from_db()
    assert card.blocked_since is not None and card.blocked_since > opened  # the first recompute
    client = _client(people["member"])
    stamp = timezone.localtime(opened).strftime("%Y-%m-%d %H:%M")
    for url in ("/nodes/card-processor/", "/map/nodes/card-processor/", "/nodes/lending-app/"):
        body = client.get(url).content.decode()
        assert 'at least since <time datetime="' in body and stamp in body, url
    bottlenecks = client.get("/bottlenecks/").content.decode()
    assert "at least since" in bottlenecks and stamp in bottlenecks


def test_blocked_since_is_plain_when_the_ticket_came_after(people: dict[str, Any]) -> None:
    card = NodeFactory(slug="card-processor", team=people["team_a"])
    link_ticket(card, priority=1, opened_at=timezone.now() + dt.timedelta(minutes=1))
    impact_recompute(force=True)
    body = _client(people["member"]).get("/nodes/card-processor/").content.decode()
    assert "Blocked since" in body and "at least since" not in body


def test_a_manual_block_is_not_dated_by_an_older_ticket(people: dict[str, Any]) -> None:
    card = NodeFactory(
        slug="card-processor", team=people["team_a"], manual_state="blocked", manual_reason="x"
    )
    link_ticket(card, priority=1, opened_at=timezone.now() - dt.timedelta(days=9))
    impact_recompute(force=True)
    body = _client(people["member"]).get("/nodes/card-processor/").content.decode()
    assert "Blocked since" in body and "at least since" not in body
