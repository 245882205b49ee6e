"""PagerDuty's business services as capabilities, the technical services that support them
as services, and their dependencies as edges (``manage.py import_pagerduty_services``).

All or nothing, and idempotent: a node is ``pd-<service id>`` (its ``external_ref`` the
service's PagerDuty page), written through the graph's services (audited, impact recomputed);
importing again changes only what changed in PagerDuty. Nodes and edges are never deleted
here: a service removed in PagerDuty stays until someone removes it by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from dependencies.choices import NodeKind
from dependencies.graph.services import edge_ensure, node_upsert
from dependencies.models import Node
from integrations.connectors import ConfigurationError, PagerDutyConnector, connector_for
from integrations.connectors.pagerduty_services import PagerDutyService, read_services
from integrations.models import Connector
from integrations.sync import connector_config

ACTOR = "command import_pagerduty_services"


@dataclass
class ServicesImported:
    nodes_created: int = 0
    nodes_updated: int = 0
    nodes_unchanged: int = 0
    edges_created: int = 0
    edges_unchanged: int = 0
    notes: list[str] = field(default_factory=list)


def node_slug(service_id: str) -> str:
    return f"pd-{service_id.lower()}"


def import_pagerduty_services(connector: Connector, *, actor: Any = None) -> ServicesImported:
    """Raises ConnectorError (ConfigurationError for a connector of another kind)."""
    if connector.kind != "pagerduty":
        raise ConfigurationError(
            f"connector {connector.slug!r} is a {connector.get_kind_display()} connector, "
            "not PagerDuty"
        )
    with connector_for(connector_config(connector)) as source:
        if not isinstance(source, PagerDutyConnector):  # the kind's registry says otherwise
            raise ConfigurationError("the 'pagerduty' kind is not the PagerDuty connector")
        services, dependencies = read_services(source)
    wanted = {s.id: s for s in services if s.business}
    by_id = {s.id: s for s in services}
    result = ServicesImported()
    edges = []
    for dependency in dependencies:
        ends = [by_id.get(dependency.dependent), by_id.get(dependency.supporting)]
        if None in ends:
            result.notes.append(
                f"{dependency.dependent} → {dependency.supporting}: a service PagerDuty did "
                "not list; edge skipped"
            )
            continue
        for end in ends:
            wanted[end.id] = end  # type: ignore[union-attr]
        edges.append(dependency)
    with transaction.atomic():
        for service in wanted.values():
            _upsert(service, actor, result)
        nodes = {n.slug: n for n in Node.objects.filter(slug__in=map(node_slug, wanted))}
        for dependency in edges:
            _edge, created = edge_ensure(
                source=nodes[node_slug(dependency.dependent)],
                target=nodes[node_slug(dependency.supporting)],
                actor=actor,
                actor_label=ACTOR,
            )
            if created:
                result.edges_created += 1
            else:
                result.edges_unchanged += 1
    return result


def _upsert(service: PagerDutyService, actor: Any, result: ServicesImported) -> None:
    values = {
        "name": service.name[:300],
        "kind": NodeKind.CAPABILITY if service.business else NodeKind.SERVICE,
        "description": service.description,
        "external_ref": (service.url or f"pagerduty:{service.id}")[:300],
    }
    slug = node_slug(service.id)
    before = Node.objects.filter(slug=slug).values(*values).first()
    node_upsert(slug=slug, values=values, actor=actor, actor_label=ACTOR)
    if before is None:
        result.nodes_created += 1
    elif before != values:
        result.nodes_updated += 1
    else:
        result.nodes_unchanged += 1
