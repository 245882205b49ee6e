"""The orphan queue page and its one-click accept: the same policy, service and audit as
every link made by hand."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cataligent.models import AuditEntry
from dependencies.models import Node
from integrations.models import Ticket, TicketLink
from tests.reports.conftest import Org

pytestmark = pytest.mark.django_db

URL = "/reports/orphans/"
ACCEPT = "/reports/orphans/accept/"


def _client(org: Org, role: str) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(org.people[role])
    return client


def _orphans(org: Org) -> tuple[Ticket, Ticket]:
    now = timezone.now()
    # Suggests team A's `lending-api` and `lending` (title words).
    mine = org.ticket(key="INC1", title="Lending API returns 502", updated_at=now)
    # Suggests team B's `core-ledger` (CI).
    theirs = org.ticket(key="INC2", ci="core-ledger", updated_at=now)
    org.ticket(key="INC3", linked=(org.island,), updated_at=now)  # linked: not an orphan
    return mine, theirs


@pytest.mark.parametrize(
    ("role", "accept_buttons"),
    [("member", 0), ("lead_b", 1), ("lead_a", 2), ("leadership", 0), ("admin", 3)],
)
def test_everyone_reads_the_queue_and_sees_accept_where_the_policy_allows(
    org: Org, role: str, accept_buttons: int
) -> None:
    _orphans(org)
    response = _client(org, role).get(URL)
    body = response.content.decode()
    assert response.status_code == 200
    assert "INC1" in body and "INC2" in body and "INC3" not in body
    assert "Lending API" in body and "Core Ledger" in body  # the suggestions
    assert body.count(">Accept<") == accept_buttons


def test_anonymous_is_sent_to_sign_in(org: Org) -> None:
    response = _client(org, "anonymous").get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    response = _client(org, "anonymous").post(ACCEPT, {"ticket": 1, "node": "lending-api"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def _audit_count(node: Node) -> int:
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Node), object_id=str(node.pk)
    ).count()


def test_a_lead_accepts_for_their_teams_node_one_link_and_one_audit_entry(org: Org) -> None:
    mine, _theirs = _orphans(org)
    links, audits = TicketLink.objects.count(), AuditEntry.objects.count()
    response = _client(org, "lead_a").post(
        ACCEPT, {"ticket": mine.pk, "node": "lending-api"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "no longer an orphan" in response.content.decode()
    assert f'id="orphan-{mine.pk}"' in response.content.decode()  # the row htmx swaps
    assert TicketLink.objects.count() == links + 1
    link = TicketLink.objects.get(ticket=mine)
    assert (link.node, link.via, link.created_by) == (org.api, "manual", org.people["lead_a"])
    assert AuditEntry.objects.count() == audits + 1
    entry = AuditEntry.objects.get(object_id=str(org.api.pk), field="tickets")
    assert (entry.actor, entry.new_value) == (org.people["lead_a"], "INC1")
    # The queue no longer lists it.
    assert "INC1" not in _client(org, "lead_a").get(URL).content.decode()


def test_a_lead_gets_403_for_another_teams_node(org: Org) -> None:
    _mine, theirs = _orphans(org)
    response = _client(org, "lead_a").post(ACCEPT, {"ticket": theirs.pk, "node": "core-ledger"})
    assert response.status_code == 403
    assert not TicketLink.objects.filter(ticket=theirs).exists()
    assert _audit_count(org.ledger) == 0


@pytest.mark.parametrize(("role", "status"), [("member", 403), ("leadership", 403), ("admin", 302)])
def test_others_per_the_policy(org: Org, role: str, status: int) -> None:
    _mine, theirs = _orphans(org)
    response = _client(org, role).post(
        ACCEPT, {"ticket": theirs.pk, "node": "core-ledger", "window": "team=&from=2026-01-01&x=1"}
    )
    assert response.status_code == status
    assert TicketLink.objects.filter(ticket=theirs).exists() == (status == 302)
    if status == 302:  # without htmx: back to the queue, same window
        assert response["Location"] == "/reports/orphans/?from=2026-01-01"


def test_an_objective_suggestion_is_accepted_too(org: Org) -> None:
    ticket = org.ticket(key="RT#9", title="OBJ-1 go-live", updated_at=timezone.now())
    response = _client(org, "lead_a").post(
        ACCEPT, {"ticket": ticket.pk, "objective": "OBJ-1"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert TicketLink.objects.get(ticket=ticket).objective == org.objective


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"node": "lending-api"}, "ticket"),
        ({"ticket": "abc", "node": "lending-api"}, "ticket"),
        ({"ticket": 999999, "node": "lending-api"}, "ticket"),
        ({"ticket": "{mine}"}, "node"),
        ({"ticket": "{mine}", "node": "lending-api", "objective": "OBJ-1"}, "node"),
        ({"ticket": "{mine}", "node": "nope"}, "node"),
        ({"ticket": "{mine}", "objective": "OBJ-99"}, "objective"),
        ({"ticket": "{mine}", "node": "a\x00b"}, "node"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(org: Org, data: dict[str, Any], field: str) -> None:
    mine, _theirs = _orphans(org)
    data = {k: str(mine.pk) if v == "{mine}" else v for k, v in data.items()}
    response = _client(org, "admin").post(ACCEPT, data)
    assert response.status_code == 400
    assert response.content.decode().startswith(f"{field}:"), response.content
    assert not TicketLink.objects.filter(ticket=mine).exists()


def test_accepting_twice_is_a_400(org: Org) -> None:
    mine, _theirs = _orphans(org)
    client = _client(org, "lead_a")
    assert client.post(ACCEPT, {"ticket": mine.pk, "node": "lending-api"}).status_code == 302
    response = client.post(ACCEPT, {"ticket": mine.pk, "node": "lending-api"})
    assert response.status_code == 400 and b"already linked" in response.content
    assert TicketLink.objects.filter(ticket=mine).count() == 1


def test_a_bad_window_is_a_400_naming_the_field(org: Org) -> None:
    response = _client(org, "member").get(URL + "?from=yesterday")
    assert response.status_code == 400
    assert "from: " in response.content.decode()


def test_empty_queue_says_what_to_do(org: Org) -> None:
    body = _client(org, "member").get(URL).content.decode()
    assert "No orphan tickets in this window" in body and "No ticket had any activity" in body


def test_the_page_is_paginated_and_its_queries_do_not_grow(org: Org) -> None:
    client = _client(org, "lead_a")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL).status_code == 200
        return len(ctx.captured_queries)

    _orphans(org)
    count()  # warm up: roles and content types are cached once
    few = count()
    for n in range(40):
        org.ticket(key=f"MORE{n}", ci="lending-api", title="core ledger", updated_at=timezone.now())
    assert count() == few
    body = client.get(URL).content.decode()
    assert "Page 1 of 2" in body and body.count('id="orphan-') == 25
