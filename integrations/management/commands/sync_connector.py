"""`manage.py sync_connector SLUG [--full] [--verify]`: one sync in the foreground, with
progress."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from integrations.models import Connector, SyncRun
from integrations.sync import sync_connector


class Command(BaseCommand):
    help = "Pull tickets from one connector now and show progress page by page."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("slug")
        parser.add_argument(
            "--full",
            action="store_true",
            help="read everything from the start and flag tickets the source no longer returns",
        )
        parser.add_argument(
            "--verify",
            action="store_true",
            help="with --full (implied): compare every ticket with the source by value, not by "
            "its stored fingerprint, and rewrite those that differ (after the mirror was "
            "edited or restored by other means)",
        )

    def handle(
        self, *args: Any, slug: str, full: bool = False, verify: bool = False, **options: Any
    ) -> None:
        full = full or verify
        connector = Connector.objects.filter(slug=slug).first()
        if connector is None:
            known = ", ".join(Connector.objects.values_list("slug", flat=True)) or "none yet"
            raise CommandError(f"No connector {slug!r}. Connectors: {known}.")
        started = time.monotonic()
        self.stdout.write(
            f"Syncing {connector.name} ({connector.get_kind_display()}, {connector.base_url})"
            + (" — full" if full else "")
            + (", every ticket compared by value" if verify else "")
        )

        def progress(run: SyncRun) -> None:
            rate = run.fetched / max(time.monotonic() - started, 1e-6)
            self.stdout.write(
                f"  page {run.pages:>4}: {run.fetched:>7} fetched · {run.created} new · "
                f"{run.updated} changed · {run.unchanged} unchanged · {run.rejected} quarantined "
                f"· {rate:,.0f}/s"
            )

        run = sync_connector(
            connector=connector, full=full, verify=verify, trigger="command", on_page=progress
        )
        if run is None:
            raise CommandError(
                f"{connector.slug} is being synced by another worker right now; try again shortly."
            )
        if run.outcome != SyncRun.Outcome.SUCCEEDED:
            raise CommandError(f"Sync failed after {run.pages} page(s): {run.error}")
        missing = f", {run.marked_missing} no longer in the source" if run.full else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Done in {run.duration_seconds:.1f}s: {run.fetched} fetched, {run.created} new, "
                f"{run.updated} changed, {run.unchanged} unchanged, {run.rejected} quarantined"
                f"{missing}."
            )
        )
