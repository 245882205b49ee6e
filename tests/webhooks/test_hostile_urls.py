"""A signed webhook whose ticket links to `javascript:…`: mirrored, but never as a link."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

import pytest
from django.test import Client

from integrations.models import Connector, Ticket, TicketLink
from tests.factories import NodeFactory, TicketFactory

pytestmark = pytest.mark.django_db

SECRET = "whsec-test"
HOSTILE = "javascript:alert(document.cookie)//"


def _connector() -> Connector:
    connector = Connector(
        slug="rt-hook",
        name="RT",
        kind="rt",
        base_url="https://rt.example.com",
        username="bot",
    )
    connector.set_secret("token")
    connector.set_webhook_secret(SECRET)
    connector.save()
    return connector


def _post(slug: str, payload: dict[str, Any]) -> Any:
    raw = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return Client().post(
        f"/hooks/{slug}/",
        data=raw,
        content_type="application/json",
        headers={"X-Cataligent-Signature": signature},
    )


def _signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_ticket_is_mirrored_without_the_link(
    people: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    _connector()
    node = NodeFactory(slug="core-db")
    with caplog.at_level(logging.WARNING, logger="integrations.connectors.normalizing"):
        response = _post(
            "rt-hook",
            {
                "external_id": "77",
                "key": "RT#77",
                "title": "Database refuses connections",
                "status_category": "open",
                "priority": 1,
                "updated_at": "2026-11-26T09:00:00Z",
                "url": HOSTILE,
            },
        )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "created"
    ticket = Ticket.objects.get(key="RT#77")
    assert ticket.url == ""
    assert ticket.raw["url"] == HOSTILE  # what was sent is kept, as data
    assert "RT#77" in caplog.text and "not an http(s) address" in caplog.text
    TicketLink.objects.create(ticket=ticket, node=node, via="manual")

    client = _signed_in(people["member"])
    panel = client.get(f"/map/nodes/{node.slug}/")
    assert panel.status_code == 200
    html = panel.content.decode()
    assert "RT#77" in html
    assert "javascript:" not in html

    api = client.get("/api/tickets/")
    assert api.status_code == 200
    [row] = [r for r in api.json()["results"] if r["key"] == "RT#77"]
    assert row["url"] == ""


def test_a_link_stored_before_the_check_is_not_shown(people: dict[str, Any]) -> None:
    """Rows mirrored before URLs were checked (or written by other means) still hold one:
    the pages and the API never hand it out."""
    connector = _connector()
    node = NodeFactory(slug="core-db")
    ticket = TicketFactory(connector=connector, key="RT#78", ci="core-db", url=HOSTILE)
    good = TicketFactory(
        connector=connector, key="RT#79", ci="core-db", url="https://rt.example/79"
    )
    for t in (ticket, good):
        TicketLink.objects.create(ticket=t, node=node, via="manual")

    member = _signed_in(people["member"])
    html = member.get(f"/map/nodes/{node.slug}/").content.decode()
    assert "RT#78" in html and "javascript:" not in html
    assert 'href="https://rt.example/79"' in html

    admin = _signed_in(people["admin"])
    preview = admin.get(
        f"/connectors/{connector.slug}/rules/preview/", {"field": "ci", "pattern": "core-db"}
    )
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "RT#78" in html and "javascript:" not in html
    assert 'href="https://rt.example/79"' in html

    rows = {r["key"]: r for r in member.get("/api/tickets/").json()["results"]}
    assert rows["RT#78"]["url"] == ""
    assert rows["RT#79"]["url"] == "https://rt.example/79"
    detail = member.get(f"/api/tickets/{ticket.pk}/")
    assert detail.status_code == 200 and detail.json()["url"] == ""
