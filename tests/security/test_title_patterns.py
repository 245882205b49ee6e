"""Title patterns from users are matched by RE2: a catastrophic pattern cannot stall a worker.

`(a+a+)+b` against a title of thirty or more "a"s backtracks for minutes in Python's `re`;
these tests would hang (and be killed) rather than fail fast if any path still used it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from django.test import Client

from integrations.linking import link_tickets, rules_for, tickets_matching
from integrations.models import Connector, LinkRule, Ticket
from integrations.services import link_rule_save
from integrations.title_patterns import BadPattern, TitlePattern
from tests.factories import ConnectorFactory, NodeFactory, TicketFactory

CATASTROPHIC = "(a+a+)+b"
HOSTILE_TITLE = "a" * 40


def test_a_catastrophic_pattern_matches_in_linear_time() -> None:
    pattern = TitlePattern(CATASTROPHIC)
    assert pattern.matches(HOSTILE_TITLE) is False
    assert pattern.matches("a" * 50) is False
    assert pattern.matches("a" * 50 + "b") is True
    assert pattern.matches("x" + "a" * 10_000 + "!") is False


def test_patterns_match_case_insensitively_anywhere_in_the_title() -> None:
    assert TitlePattern(r"\bcore-db\b").matches("Replica of CORE-DB is lagging")
    assert TitlePattern("été").matches("Panne d'ÉTÉ")
    assert not TitlePattern("^db").matches("core db")


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"(a)\1", "invalid escape sequence"),  # a backreference: RE2 cannot match it linearly
        ("foo(?=bar)", "invalid perl operator"),  # lookahead
        ("(?<!x)y", "invalid perl operator"),  # lookbehind
        ("(unclosed", "missing )"),
        ("\ud800", "no valid text"),  # a lone surrogate, as JSON can send
    ],
)
def test_what_re2_cannot_compile_is_a_bad_pattern(pattern: str, reason: str) -> None:
    with pytest.raises(BadPattern, match="Not a valid regular expression") as error:
        TitlePattern(pattern)
    assert reason in str(error.value)


@pytest.mark.django_db
def test_the_api_preview_answers_a_catastrophic_pattern(client_as: Any) -> None:
    TicketFactory(key="INC1", title=HOSTILE_TITLE)
    TicketFactory(key="INC2", title="a" * 40 + "b")
    admin = client_as("admin")  # who may preview is the permission policy's matter
    response = admin.get("/api/link-rules/preview/", {"field": "title", "pattern": CATASTROPHIC})
    assert response.status_code == 200, response.json()
    assert [t["key"] for t in response.json()] == ["INC2"]


@pytest.mark.django_db
@pytest.mark.parametrize("pattern", [r"(a)\1", "a(?=b)", "x" * 301])
def test_the_api_refuses_what_re2_cannot_compile_naming_pattern(
    client_as: Any, pattern: str
) -> None:
    NodeFactory(slug="db")
    admin = client_as("admin")
    preview = admin.get("/api/link-rules/preview/", {"field": "title", "pattern": pattern})
    assert preview.status_code == 400 and "pattern" in preview.json()
    saved = admin.post(
        "/api/link-rules/", {"field": "title", "pattern": pattern, "node": "db"}, format="json"
    )
    assert saved.status_code == 400 and "pattern" in saved.json()
    assert not LinkRule.objects.exists()


@pytest.mark.django_db
def test_the_rule_form_and_page_preview_refuse_a_backreference(people: Any) -> None:
    connector = ConnectorFactory(slug="snow")
    TicketFactory(connector=connector, key="INC1", title=HOSTILE_TITLE)
    NodeFactory(slug="core-db")
    client = Client()
    client.force_login(people["admin"])
    preview = client.get(
        "/connectors/snow/rules/preview/", {"field": "title", "pattern": r"(a)\1"}
    ).content.decode()
    assert "Not a valid regular expression" in preview and "backreferences" in preview
    slow = client.get(
        "/connectors/snow/rules/preview/", {"field": "title", "pattern": CATASTROPHIC}
    ).content.decode()
    assert "No ticket of this connector matches" in slow
    refused = client.post(
        "/connectors/snow/rules/", {"field": "title", "pattern": r"(a)\1", "node": "core-db"}
    )
    assert refused.status_code == 400
    # Said next to the pattern field, which keeps what was typed (issue 18, item 8).
    page = refused.content.decode()
    error_at = page.index('id="id_pattern_error"')
    assert "Not a valid regular expression" in page[error_at : error_at + 400]
    assert 'value="(a)\\1"' in page
    assert not LinkRule.objects.exists()


@pytest.mark.django_db
def test_saving_a_catastrophic_rule_relinks_and_the_sync_link_step_completes() -> None:
    connector = ConnectorFactory(slug="snow")
    stuck = TicketFactory(connector=connector, key="INC1", title=HOSTILE_TITLE)
    matching = TicketFactory(connector=connector, key="INC2", title="a" * 30 + "b")
    node = NodeFactory(slug="core-db")
    rule = link_rule_save(
        rule=LinkRule(),
        changes={"field": "title", "pattern": CATASTROPHIC, "node": node},
        actor=None,
    )
    assert list(rule.links.values_list("ticket__key", flat=True)) == ["INC2"]

    changes = link_tickets([stuck.pk, matching.pk], connector=connector, rules=rules_for(connector))
    assert changes.added == 0 and changes.removed == 0
    assert not stuck.links.exists() and matching.links.get().node == node
    found = tickets_matching(
        Ticket.objects.order_by("key"), field="title", pattern=CATASTROPHIC, limit=5
    )
    assert [t.key for t in found] == ["INC2"]


@pytest.mark.django_db
def test_a_stored_rule_re2_cannot_compile_is_skipped_not_fatal(caplog: Any) -> None:
    """A rule saved before patterns were checked with RE2 links nothing; syncs go on."""
    connector = ConnectorFactory(slug="snow")
    node = NodeFactory(slug="core-db")
    LinkRule.objects.create(field="title", pattern=r"(a)\1", node=node)  # skips clean()
    good = LinkRule.objects.create(field="title", pattern="down", node=node)
    assert [rule.pk for rule in rules_for(connector)] == [good.pk]
    assert "is skipped" in caplog.text


@pytest.mark.django_db
def test_a_webhook_meeting_a_catastrophic_rule_completes() -> None:
    secret = "whsec-test"
    connector = Connector(
        slug="rt-hook", name="RT", kind="rt", base_url="https://rt.example.com", username="bot"
    )
    connector.set_secret("token")
    connector.set_webhook_secret(secret)
    connector.save()
    node = NodeFactory(slug="core-db")
    LinkRule.objects.create(field="title", pattern=CATASTROPHIC, node=node)
    for external_id, title in (("1", HOSTILE_TITLE), ("2", "a" * 45 + "b")):
        body = json.dumps(
            {
                "external_id": external_id,
                "title": title,
                "status_category": "open",
                "priority": 1,
                "updated_at": "2026-11-26T09:00:00Z",
            }
        ).encode()
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        response = Client().post(
            "/hooks/rt-hook/",
            data=body,
            content_type="application/json",
            headers={"X-Cataligent-Signature": signature},
        )
        assert response.status_code == 200, response.json()
    linked = Ticket.objects.filter(links__node=node).values_list("external_id", flat=True)
    assert list(linked) == ["2"]


def test_titles_are_read_as_unicode_text() -> None:
    assert TitlePattern("^.$").matches("é")  # one character, two bytes in UTF-8
    assert TitlePattern("CAFÉ").matches("le café est fermé")
    assert TitlePattern("x").matches("\ud800x")  # a lone surrogate does not raise
