"""Each kind's setup guide (integrations/connector_guides.py) on the connector form, and the
form's refusals for each kind: beside the field they concern, never a 500."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from integrations.connector_guides import KINDS, all_guides, check_complete, guide_for
from integrations.connectors import CONNECTORS, ConnectorConfig, connector_for
from integrations.models import Connector, ConnectorKind
from tests.factories import ConnectorFactory

pytestmark = pytest.mark.django_db

# What the guide's placeholders stand for, to try its examples against the connector class.
PLACEHOLDERS = {
    "<instance>": "acme",
    "<site>": "acme",
    "<subdomain>": "acme",
    "<cloud id>": "0e5f2a4c-1f0b-4c57-9a5e-3d1c2b7a8f90",
}
# A user of the shape each kind's guide asks for (Zendesk's API-token sign-in wants /token).
EXAMPLE_USER = {"zendesk": "admin@acme.example/token"}


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(kind: str, **changes: str) -> dict[str, str]:
    """A form for `kind` filled as its guide says, then `changes`."""
    guide = guide_for(kind)
    base_url = guide.base_url
    for placeholder, value in PLACEHOLDERS.items():
        base_url = base_url.replace(placeholder, value)
    return {
        "slug": f"new-{kind}".replace("_", "-"),
        "name": guide.label,
        "kind": kind,
        "base_url": base_url,
        "auth_type": guide.auth[0].auth_type,
        "username": EXAMPLE_USER.get(kind, "someone@acme.example"),
        "new_secret": "s3cret-token",
        "query": guide.query_example,
        "poll_interval": "300",
        "enabled": "on",
        "blocking_priority": "2",
        **changes,
    }


def test_every_kind_has_a_complete_guide() -> None:
    assert set(KINDS) == set(ConnectorKind.values) == set(CONNECTORS)
    assert check_complete() == []
    assert [g.kind for g in all_guides()] == list(ConnectorKind.values)


@pytest.mark.parametrize("kind", ConnectorKind.values)
def test_a_guide_tells_what_the_connector_class_declares(kind: str) -> None:
    klass, guide = CONNECTORS[kind], guide_for(kind)
    assert guide.label == ConnectorKind(kind).label
    assert {way.auth_type for way in guide.auth} == set(klass.auth_types)
    assert all(way.user and way.secret for way in guide.auth)
    assert guide.options == dict(klass.option_help)
    assert guide.status_map == dict(klass.default_status_map)
    assert guide.priority_map == dict(klass.default_priority_map)
    assert guide.page_size == klass.default_page_size
    assert guide.base_url.startswith("https://")
    assert guide.webhook_secret and guide.webhook_header
    # A kind that reads a query gives an example of it; one that takes none says so.
    assert bool(guide.query) == bool(guide.query_example)


@pytest.mark.parametrize("kind", ConnectorKind.values)
def test_the_guides_example_settings_are_ones_its_connector_accepts(kind: str) -> None:
    """Followed to the letter, the guide's base URL, query and auth build the connector."""
    form = _form(kind)
    for way in guide_for(kind).auth:
        config = ConnectorConfig(
            kind=kind,
            base_url=form["base_url"],
            auth_type=way.auth_type,  # type: ignore[arg-type]
            username=form["username"],
            secret="s3cret-token",
            query=form["query"],
        )
        with connector_for(config):
            pass


@pytest.mark.parametrize(
    ("kind", "facts"),
    [
        ("servicenow", ["https://&lt;instance&gt;.service-now.com", "client id", "sla_source"]),
        ("jira", ["JQL", "account&#x27;s email", "sla_fields", "X-Hub-Signature"]),
        ("rt", ["TicketSQL", "time_zone_found", "an RT auth token"]),
        ("pagerduty", ["https://api.pagerduty.com", "REST API key", "X-PagerDuty-Signature"]),
        ("jsm_ops", ["_edge/tenant_info", "team_names", "signs nothing"]),
        ("github", ["owner/name", "acme/widgets", "X-Hub-Signature-256", "/api/v3"]),
        ("gitlab", ["group/subgroup/project", "X-Gitlab-Token", "read_api"]),
        ("zendesk", ["/token", "requests_per_minute", "X-Zendesk-Webhook-Signature"]),
    ],
)
def test_the_new_connector_page_has_each_kinds_guide(
    people: Any, kind: str, facts: list[str]
) -> None:
    html = _client(people["admin"]).get("/connectors/new/").content.decode()
    section = _guide_section(html, kind)
    assert " open" not in section.split(">", 1)[0], "no kind is chosen yet: every guide closed"
    for fact in facts:
        assert fact in section, (kind, fact)
    for option in guide_for(kind).options:
        assert f"<code>{option}</code>" in section


def test_a_kind_without_a_query_says_to_leave_it_empty(people: Any) -> None:
    html = _client(people["admin"]).get("/connectors/new/").content.decode()
    for kind in ("pagerduty", "zendesk"):
        assert "None: leave it empty." in _guide_section(html, kind)
    assert "None: leave it empty." not in _guide_section(html, "github")


def test_the_edit_page_opens_the_connectors_own_guide(people: Any) -> None:
    ConnectorFactory(slug="pd", kind="pagerduty", base_url="https://api.pagerduty.com")
    html = _client(people["admin"]).get("/connectors/pd/edit/").content.decode()
    opened = re.findall(r'<details class="guide" id="guide-(\w+)"[^>]* open>', html)
    assert opened == ["pagerduty"]
    assert "Setting up PagerDuty" in html
    # Every other kind's guide is still there to read (without JavaScript, too).
    assert len(re.findall(r'<details class="guide"', html)) == len(ConnectorKind.values)


def test_field_help_is_kind_neutral() -> None:
    from integrations.forms import ConnectorForm

    form = ConnectorForm()
    names = [label for _, label in ConnectorKind.choices] + ["PagerDuty", "GitHub", "Zendesk"]
    for field in form:
        for name in names:
            assert name not in str(field.help_text), (field.name, name)
        assert len(str(field.help_text)) <= 100, field.name
    for _, label in form.fields["auth_type"].choices:
        assert not any(name in str(label) for name in names), label


def _guide_section(html: str, kind: str) -> str:
    match = re.search(rf'<details class="guide" id="guide-{kind}".*?</details>', html, re.S)
    assert match, kind
    return match.group(0)


def _refused(client: Client, form: dict[str, str], field: str) -> str:
    """Posts `form`; asserts it is refused with an error beside `field`; returns the error."""
    response = client.post("/connectors/new/", form)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    html = response.content.decode()
    # Beside its field: in the field's own block, and the summary links to the field.
    block = re.search(
        rf'<div class="field invalid[^"]*">(?:(?!<div class="field).)*?id="id_{field}"'
        rf'(?:(?!<div class="field).)*',
        html,
        re.S,
    )
    assert block and f'id="id_{field}_error1"' in block.group(0), field
    assert f'href="#id_{field}"' in html
    assert not Connector.objects.exists()
    return " ".join(errors[field])


def test_the_guides_examples_are_saved_as_they_are(people: Any) -> None:
    client = _client(people["admin"])
    for kind in ConnectorKind.values:
        response = client.post("/connectors/new/", _form(kind))
        assert response.status_code == 302, (kind, response.context["form"].errors)
    assert Connector.objects.count() == len(ConnectorKind.values)


@pytest.mark.parametrize("kind", ConnectorKind.values)
def test_an_unknown_option_is_named_with_the_known_ones(people: Any, kind: str) -> None:
    form = _form(kind, options='{"initial_dayz": 30}')
    message = _refused(_client(people["admin"]), form, "options")
    assert "initial_dayz" in message
    for known in CONNECTORS[kind].option_help:
        assert known in message


@pytest.mark.parametrize(
    ("kind", "changes", "field", "words"),
    [
        ("jsm_ops", {"base_url": "https://api.atlassian.com/"}, "base_url", "cloud id"),
        ("jsm_ops", {"username": ""}, "username", "email"),
        ("github", {"query": "acme"}, "query", "owner/name, not 'acme'"),
        ("github", {"query": "acme/widgets/extra"}, "query", "owner/name"),
        ("github", {"base_url": "https://github.acme.example/api/v3"}, "base_url", "/api/v3"),
        ("gitlab", {"query": "widgets"}, "query", "group/project"),
        ("pagerduty", {"query": "urgency:high"}, "query", "leave the query empty"),
        ("zendesk", {"query": "status:open"}, "query", "leave the query empty"),
        ("zendesk", {"username": "admin@acme.example"}, "username", "/token"),
        ("pagerduty", {"auth_type": "basic"}, "auth_type", "PagerDuty supports token"),
        ("pagerduty", {"options": '{"initial_days": "a year"}'}, "options", "initial_days"),
        ("servicenow", {"options": '{"table": "incidents"}'}, "options", "incident"),
        ("servicenow", {"options": '{"sla_source": "both"}'}, "options", "sla_source"),
        ("jira", {"options": '{"deployment": "server"}'}, "options", "cloud"),
        ("rt", {"options": '{"time_zone": "Mars/Olympus"}'}, "options", "'time_zone': unknown"),
        ("jira", {"options": '{"time_zone": 2}'}, "options", "IANA zone name"),
        ("rt", {"priority_map": '{"high-ish": 2}'}, "priority_map", "high-ish"),
        ("jsm_ops", {"options": '{"site_url": "acme.atlassian.net"}'}, "options", "site_url"),
        ("github", {"options": '{"default_priority": 9}'}, "options", "between 1 and 5"),
        ("zendesk", {"options": '{"no_priority": 0}'}, "options", "no_priority"),
        ("gitlab", {"options": '{"default_priority": 2'}, "options", "Not valid JSON"),
        ("jira", {"options": '["sla_fields"]'}, "options", "Give a JSON object"),
    ],
)
def test_a_kinds_refusal_is_beside_its_field(
    people: Any, kind: str, changes: dict[str, str], field: str, words: str
) -> None:
    message = _refused(_client(people["admin"]), _form(kind, **changes), field)
    assert words in message, message


def test_two_wrong_fields_are_both_named(people: Any) -> None:
    """Bad JSON in the options does not hide what the connector says of the query."""
    form = _form("github", query="acme", options='{"default_priority": 2')
    response = _client(people["admin"]).post("/connectors/new/", form)
    errors = response.context["form"].errors
    assert set(errors) == {"query", "options"}, errors
    assert "Not valid JSON" in errors["options"][0]
    html = response.content.decode()
    assert 'href="#id_query"' in html and 'href="#id_options"' in html
    assert "Type the secret again" in html


def test_an_edit_is_checked_against_the_connector_too(people: Any) -> None:
    connector = ConnectorFactory(
        slug="widgets", kind="github", base_url="https://api.github.com", auth_type="bearer"
    )
    connector.set_secret("s3cret-token")
    connector.query = "acme/widgets"
    connector.save()
    form = {**_form("github", query="acme"), "slug": "widgets", "new_secret": ""}
    response = _client(people["admin"]).post("/connectors/widgets/edit/", form)
    assert response.status_code == 200
    assert "owner/name" in response.context["form"].errors["query"][0]
    connector.refresh_from_db()
    assert connector.query == "acme/widgets"


def test_the_django_admin_shows_the_guides_and_refuses_beside_the_field(people: Any) -> None:
    admin = people["admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = _client(admin)
    page = client.get("/admin/integrations/connector/add/")
    assert page.status_code == 200
    html = page.content.decode()
    assert len(re.findall(r'<details class="guide"', html)) == len(ConnectorKind.values)
    assert "js/connector_guide" in html
    form = {**_form("jsm_ops", options='{"team": "x"}'), "page_size": "100"}
    form["_save"] = "Save"
    response = client.post("/admin/integrations/connector/add/", form)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "team" in errors["options"][0] and "site_url" in errors["options"][0]
    assert re.search(r'<details class="guide" id="guide-jsm_ops"[^>]* open>', html) is None
    assert re.search(
        r'<details class="guide" id="guide-jsm_ops"[^>]* open>', response.content.decode()
    )
    assert not Connector.objects.exists()
