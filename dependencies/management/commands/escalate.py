"""`manage.py escalate`: one pass of the escalation engine (what the periodic task runs)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from dependencies.escalations.engine import escalate


class Command(BaseCommand):
    help = "Fire due escalation levels for blocked items and resolve those that cleared."

    def handle(self, *args: Any, **options: Any) -> None:
        result = escalate()
        for escalation in result.fired:
            self.stdout.write(
                f"  fired    {escalation.item_label} level {escalation.level} → "
                f"{escalation.target_display}"
            )
        for escalation in result.resolved:
            self.stdout.write(f"  resolved {escalation.item_label} level {escalation.level}")
        self.stdout.write(
            self.style.SUCCESS(f"{len(result.fired)} fired, {len(result.resolved)} resolved.")
        )
