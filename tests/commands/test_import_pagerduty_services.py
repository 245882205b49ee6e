"""import_pagerduty_services against the fake PagerDuty over real HTTP: business services
as capabilities, their supporting technical services, the dependencies as edges; again
(nothing changes), and the errors named."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from django.core.management import CommandError, call_command

from cataligent.models import AuditEntry
from dependencies.models import Edge, Node
from integrations.models import Connector
from tests.connectors.pagerduty_fake import TOKEN, PagerDutyFake, depends, service

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fake() -> Iterator[PagerDutyFake]:
    server = PagerDutyFake([])
    lending = service("PBS0001", "Digital lending", business=True)
    payments = service("PBS0002", "Payments", business=True)
    core = service("PTS0001", "Core banking API", business=False)
    server.business_services = [lending, payments]
    server.services = [core, service("PTS0009", "Unrelated", business=False)]
    server.relationships = [depends(lending, payments), depends(payments, core)]
    yield server
    server.close()


def _connector(fake: PagerDutyFake, slug: str = "pd", kind: str = "pagerduty") -> Connector:
    connector = Connector(
        slug=slug,
        name=slug,
        kind=kind,
        base_url=fake.base_url,
        auth_type="token" if kind == "pagerduty" else "basic",
        username="" if kind == "pagerduty" else "svc",
    )
    connector.set_secret(TOKEN)
    connector.save()
    return connector


def _import(slug: str) -> str:
    out = io.StringIO()
    call_command("import_pagerduty_services", slug, stdout=out)
    return out.getvalue()


def test_services_and_dependencies_become_nodes_and_edges(fake: PagerDutyFake) -> None:
    _connector(fake)
    assert "Nodes: 3 created" in _import("pd")
    nodes = {n.slug: n for n in Node.objects.all()}
    assert set(nodes) == {"pd-pbs0001", "pd-pbs0002", "pd-pts0001"}  # not the unrelated one
    lending, core = nodes["pd-pbs0001"], nodes["pd-pts0001"]
    assert (lending.kind, core.kind) == ("capability", "service")
    assert lending.external_ref == "https://acme.pagerduty.com/business_services/PBS0001"
    assert set(Edge.objects.values_list("source__slug", "target__slug")) == {
        ("pd-pbs0001", "pd-pbs0002"),
        ("pd-pbs0002", "pd-pts0001"),
    }
    assert AuditEntry.objects.filter(actor_label="command import_pagerduty_services").exists()

    fake.business_services[0]["name"] = "Digital lending (EU)"
    out = _import("pd")
    assert "1 updated, 2 unchanged. Edges: 0 created, 2 unchanged." in out
    assert Node.objects.get(slug="pd-pbs0001").name == "Digital lending (EU)"


def test_errors_are_named(fake: PagerDutyFake) -> None:
    with pytest.raises(CommandError, match="No connector 'nope'"):
        _import("nope")
    _connector(fake, slug="sn", kind="servicenow")
    with pytest.raises(CommandError, match="not PagerDuty"):
        _import("sn")
    connector = _connector(fake)
    connector.set_secret("wrong")
    connector.save()
    with pytest.raises(CommandError, match="pd:"):
        _import("pd")
    assert not Node.objects.exists()
