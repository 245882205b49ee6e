"""`manage.py import_pagerduty_services SLUG`: PagerDuty's business services as capabilities
and their dependencies as edges (integrations/pagerduty_import.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from integrations.connectors import ConnectorError
from integrations.models import Connector
from integrations.pagerduty_import import import_pagerduty_services


class Command(BaseCommand):
    help = (
        "Import a PagerDuty connector's business services as capabilities, the technical "
        "services supporting them as services, and their dependencies as edges."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("slug", help="the PagerDuty connector's slug")

    def handle(self, *args: Any, slug: str, **options: Any) -> None:
        connector = Connector.objects.filter(slug=slug).first()
        if connector is None:
            known = ", ".join(
                Connector.objects.filter(kind="pagerduty").values_list("slug", flat=True)
            )
            raise CommandError(
                f"No connector {slug!r}. PagerDuty connectors: {known or 'none yet'}."
            )
        try:
            result = import_pagerduty_services(connector)
        except ConnectorError as exc:
            raise CommandError(f"{connector.slug}: {exc}") from exc
        for note in result.notes:
            self.stdout.write(f"note: {note}")
        self.stdout.write(
            f"Nodes: {result.nodes_created} created, {result.nodes_updated} updated, "
            f"{result.nodes_unchanged} unchanged. Edges: {result.edges_created} created, "
            f"{result.edges_unchanged} unchanged."
        )
