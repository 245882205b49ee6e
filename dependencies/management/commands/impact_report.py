"""`manage.py impact_report [--json]`: what is blocked, by what, and what it costs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand
from rest_framework.renderers import JSONRenderer

from dependencies.map.payload import map_payload
from dependencies.recompute.runner import impact_recompute


def _money(value: Any) -> str:
    return f"{Decimal(value):,.0f}"


class Command(BaseCommand):
    help = (
        "Recompute the impact from the database and print blocked and degraded capabilities "
        "and objectives with their root causes, and the bottleneck ranking. --json prints "
        "the same JSON as GET /api/map/?view=all."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="machine-readable output")

    def handle(self, *args: Any, json: bool = False, **options: Any) -> None:
        impact_recompute(force=True, reason="command impact_report")
        payload = map_payload(view="all")
        if json:
            self.stdout.write(JSONRenderer().render(payload).decode())
            return
        nodes = {n["slug"]: n for n in payload["nodes"]}
        self._section(
            "Objectives not on track",
            [o for o in payload["objectives"] if o["state"] != "operational"],
            nodes,
            objective=True,
        )
        capabilities = [
            n for n in payload["nodes"] if n["kind"] == "capability" and n["state"] != "operational"
        ]
        self._section("Capabilities affected", capabilities, nodes, objective=False)
        self.stdout.write(self.style.MIGRATE_HEADING("\nBottlenecks, most value at risk first"))
        if not payload["bottlenecks"]:
            self.stdout.write("  None: nothing is blocked.")
        for rank, b in enumerate(payload["bottlenecks"], start=1):
            cause = nodes[b["node"]]
            owner = cause["owner"] or "NO OWNER"
            self.stdout.write(
                f"  {rank:>2}. {cause['name']} [{b['node']}] — "
                f"{_money(b['value_at_risk'])}/week at risk; blocks {len(b['objectives'])} "
                f"objective(s), {len(b['capabilities'])} capability(ies); "
                f"owner {owner}, team {cause['team'] or 'NONE'}"
            )
        if payload["cycles"]:
            self.stdout.write(self.style.WARNING(f"\nDependency cycles: {payload['cycles']}"))
        self.stdout.write(
            f"\nValue at risk: {_money(payload['value_at_risk'])} per week · "
            f"map version {payload['version']}"
        )

    def _section(
        self, title: str, items: list[dict[str, Any]], nodes: dict[str, Any], *, objective: bool
    ) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING(f"\n{title} ({len(items)})"))
        if not items:
            self.stdout.write("  None.")
        for item in items:
            name = f"{item['key']} {item['title']}" if objective else item["name"]
            since = (
                f" since {item['blocked_since']:%Y-%m-%d %H:%M}" if item["blocked_since"] else ""
            )
            value = f", {_money(item['value_at_stake'])}/week" if objective else ""
            owner = item["owner"] or "NO OWNER"
            self.stdout.write(f"  {item['state'].upper():<9} {name} (owner {owner}{value}){since}")
            causes = ", ".join(
                f"{nodes[c]['name']} ({nodes[c]['owner'] or 'no owner'})" if c in nodes else c
                for c in item["root_causes"]
            )
            self.stdout.write(f"            root causes: {causes}")
