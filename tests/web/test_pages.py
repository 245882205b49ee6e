"""Pages: sign-in required, the policy decides, queries do not grow with rows."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import NodeFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db

PAGES = ["/objectives/", "/nodes/", "/"]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_login(url: str) -> None:
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("url", ["/login/", "/health/"])
def test_open_pages(url: str) -> None:
    assert Client().get(url).status_code == 200


def test_login_and_logout(people: dict[str, Any]) -> None:
    people["member"].set_password("pw")
    people["member"].save()
    client = Client()
    response = client.post("/login/", {"username": "member", "password": "wrong"})
    assert "do not match" in response.content.decode()
    response = client.post("/login/", {"username": "member", "password": "pw"}, follow=True)
    assert response.redirect_chain[-1][0] == "/objectives/"
    assert client.post("/logout/").status_code == 302
    assert client.get("/objectives/").status_code == 302


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_lists_and_details_render(people: dict[str, Any]) -> None:
    node = NodeFactory(team=people["team_a"], name="Core ledger")
    objective = ObjectiveFactory(title="Launch lending", team=people["team_a"])
    client = _client(people["member"])
    assert "Core ledger" in client.get("/nodes/").content.decode()
    assert "Launch lending" in client.get("/objectives/").content.decode()
    detail = client.get(f"/nodes/{node.slug}/").content.decode()
    assert "no owner" in detail
    assert "History" in detail
    assert "Launch lending" in client.get(f"/objectives/{objective.key}/").content.decode()
    assert client.get("/nodes/no-such-node/").status_code == 404


def test_htmx_filter_returns_only_the_table(people: dict[str, Any]) -> None:
    NodeFactory(name="Alpha service")
    NodeFactory(name="Beta service")
    response = _client(people["member"]).get("/nodes/?q=alpha", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "Alpha service" in body
    assert "Beta service" not in body
    assert "<html" not in body


def test_empty_state_is_helpful(people: dict[str, Any]) -> None:
    body = _client(people["member"]).get("/nodes/").content.decode()
    assert "import_catalog" in body


@pytest.mark.parametrize("url", ["/nodes/", "/objectives/"])
def test_list_query_count_does_not_grow(url: str, people: dict[str, Any]) -> None:
    client = _client(people["member"])

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    NodeFactory.create_batch(3, team=people["team_a"], owner=people["lead_a"])
    ObjectiveFactory.create_batch(3, team=people["team_a"], owner=people["lead_a"])
    few = count()
    NodeFactory.create_batch(20, team=people["team_b"], owner=people["lead_b"])
    ObjectiveFactory.create_batch(20, team=people["team_b"], owner=people["lead_b"])
    assert count() == few


def test_admin_site_is_for_admins(people: dict[str, Any]) -> None:
    assert _client(people["admin"]).get("/admin/dependencies/node/").status_code == 200
    assert _client(people["leadership"]).get("/admin/").status_code == 302


def test_admin_edit_is_audited(people: dict[str, Any]) -> None:
    from cataligent.models import AuditEntry

    node = NodeFactory(team=people["team_a"])
    client = _client(people["admin"])
    response = client.post(
        f"/admin/dependencies/node/{node.pk}/change/",
        {
            "slug": node.slug,
            "name": node.name,
            "kind": "service",
            "owner": people["lead_a"].pk,
            "team": people["team_a"].pk,
            "manual_state": "",
            "dependency_edges-TOTAL_FORMS": "0",
            "dependency_edges-INITIAL_FORMS": "0",
            "cataligent-auditentry-content_type-object_id-TOTAL_FORMS": "0",
            "cataligent-auditentry-content_type-object_id-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.get(field="owner")
    assert entry.actor == people["admin"]
    assert entry.new_value == "lead_a"


def test_admin_edits_of_the_graph_reach_the_impact_engine(
    people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    """The services call impact_changed themselves; the admin must too, or an edge added
    there would stay out of the map until something else changed the graph."""
    from dependencies.models import Edge, ImpactState

    source, target = NodeFactory(), NodeFactory()
    before = ImpactState.objects.get_or_create(pk=1)[0].structure
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(people["admin"]).post(
            "/admin/dependencies/edge/add/",
            {
                "source": source.pk,
                "target": target.pk,
                "criticality": "hard",
                "redundancy_group": "",
                "min_operational": "1",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Edge.objects.filter(source=source, target=target).exists()
    assert ImpactState.objects.get(pk=1).structure == before + 1


def test_a_link_rule_saved_in_the_admin_is_checked_applied_and_audited(
    people: dict[str, Any],
) -> None:
    """The admin goes through the link-rule services: a pattern that does not compile is
    refused (it would fail every sync), a good one links the existing tickets."""
    from cataligent.models import AuditEntry
    from integrations.models import LinkRule
    from tests.factories import TicketFactory

    node = NodeFactory(slug="core-db")
    ticket = TicketFactory(title="core-db refuses connections")
    client = _client(people["admin"])
    form = {"field": "title", "pattern": "(core-db", "node": node.pk, "enabled": "on"}
    refused = client.post("/admin/integrations/linkrule/add/", form)
    assert refused.status_code == 200
    assert "Not a valid regular expression" in refused.content.decode()
    assert not LinkRule.objects.exists()

    response = client.post("/admin/integrations/linkrule/add/", {**form, "pattern": "core-db"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ticket.links.get().node == node
    assert AuditEntry.objects.filter(actor=people["admin"]).exists()


def test_history_reads_as_sentences_with_names(people: dict[str, Any]) -> None:
    from dependencies.graph.services import node_update
    from tests.factories import UserFactory

    sara = UserFactory(username="sara", first_name="Sara", last_name="Lind")
    noah = UserFactory(username="noah", first_name="Noah", last_name="Berg")
    node = NodeFactory(team=people["team_a"], name="Card processor")
    node_update(node=node, changes={"owner": noah}, actor=sara)
    node_update(node=node, changes={"manual_state": "blocked"}, actor=sara)
    client = _client(people["member"])
    for url in (f"/nodes/{node.slug}/", f"/map/nodes/{node.slug}/"):
        page = client.get(url).content.decode()
        assert "<strong>Sara Lind</strong> set the owner to Noah Berg" in page, url
        assert "set the state by hand to blocked" in page, url
        assert "{&#x27;" not in page and "{'" not in page  # no Python dicts


def test_key_result_shows_its_start_target_and_unit(people: dict[str, Any]) -> None:
    """ "30 of 0.05 hours" read as 600 times the target; it is 40 % of the way from 50 to 0.05."""
    from decimal import Decimal

    from objectives.models import KeyResult

    objective = ObjectiveFactory(key="OBJ-8", team=people["team_a"])
    KeyResult.objects.create(
        objective=objective,
        title="Time to decision",
        start_value=Decimal("50"),
        target_value=Decimal("0.05"),
        current_value=Decimal("30"),
        unit="hours",
    )
    page = _client(people["member"]).get("/objectives/OBJ-8/").content.decode()
    assert "<strong>30 hours</strong>" in page
    assert "from 50 toward 0.05 hours" in page
    assert 'value="40"' in page and "40 %" in page


def test_the_admin_says_why_an_edge_to_itself_is_refused(people: dict[str, Any]) -> None:
    """The API's words, not "Constraint edge_no_self_loop is violated" (issue 18)."""
    from dependencies.models import Edge

    node = NodeFactory()
    response = _client(people["admin"]).post(
        "/admin/dependencies/edge/add/",
        {
            "source": node.pk,
            "target": node.pk,
            "criticality": "hard",
            "redundancy_group": "",
            "min_operational": "1",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "A node cannot depend on itself." in body
    assert "edge_no_self_loop" not in body
    assert not Edge.objects.exists()


def test_the_admin_names_webhook_deliveries_in_english(people: dict[str, Any]) -> None:
    body = _client(people["admin"]).get("/admin/").content.decode()
    assert "Webhook deliveries" in body and "deliverys" not in body
