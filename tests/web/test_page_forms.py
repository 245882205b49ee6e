"""Page forms people can use (issue 18, item 8): labels people read, each error beside its
field, and nothing they typed emptied by a validation error."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from integrations.models import LinkRule
from objectives.models import StatusUpdate
from tests.factories import ConnectorFactory, NodeFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_bad_title_regex_keeps_the_link_rule_form(people: Any) -> None:
    ConnectorFactory(slug="snow")
    NodeFactory(slug="core-db")
    response = _client(people["admin"]).post(
        "/connectors/snow/rules/",
        {"field": "title", "pattern": "core(db", "node": "core-db", "scope": "all"},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert re.search(r'<option value="title"[^>]*selected', body)
    assert 'name="pattern" required value="core(db"' in body
    assert 'name="node" value="core-db"' in body
    assert '<option value="all" selected>' in body
    assert 'id="id_pattern_error" role="alert"' in body  # beside the pattern
    assert 'aria-describedby="id_pattern_error"' in body
    assert not LinkRule.objects.exists()


def test_a_missing_node_is_said_beside_the_node_field(people: Any) -> None:
    ConnectorFactory(slug="snow")
    body = (
        _client(people["admin"])
        .post("/connectors/snow/rules/", {"field": "ci", "pattern": "x", "node": "ghost"})
        .content.decode()
    )
    assert 'id="id_node_error" role="alert">No node' in body
    assert 'name="node" value="ghost"' in body


def test_the_status_update_form_spells_out_rag_and_keeps_what_was_typed(people: Any) -> None:
    ObjectiveFactory(key="OBJ-5", owner=people["lead_a"], team=people["team_a"])
    client = _client(people["lead_a"])
    page = client.get("/objectives/OBJ-5/").content.decode()
    assert ">Red / amber / green status</label>" in page
    assert ">Rag<" not in page and ">RAG<" not in page
    response = client.post(
        "/objectives/OBJ-5/updates/", {"rag": "", "summary": "Vendor late", "blockers": "VPN"}
    )
    body = response.content.decode()
    assert 'id="id_rag_error" role="alert"' in body
    assert "Vendor late</textarea>" in body and "VPN</textarea>" in body
    assert not StatusUpdate.objects.exists()
