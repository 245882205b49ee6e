"""`manage.py import_costs FILE.csv [--rate EUR=1.08]`: run costs per node and month."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from reports.costs import CostFileError, costs_import, parse_rates, read_cost_file


class Command(BaseCommand):
    help = (
        "Import run costs from a CSV with the columns node,month,amount,currency,category "
        "(node slug; month YYYY-MM; amount >= 0). All or nothing: a file with a bad row imports "
        "nothing, and every bad row is named. Importing again updates the amount of each "
        "node+month+category. Amounts in another currency need its rate: --rate EUR=1.08."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", metavar="FILE.csv")
        parser.add_argument(
            "--rate",
            action="append",
            default=[],
            metavar="CODE=RATE",
            help=f"one unit of CODE in {settings.CURRENCY}; repeat for several currencies",
        )

    def handle(self, *args: Any, file: str, rate: list[str], **options: Any) -> None:
        try:
            rates = parse_rates(rate)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        try:
            with open(file, newline="", encoding="utf-8-sig") as handle:
                rows = read_cost_file(handle, rates=rates)
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{file} is not UTF-8 text: {exc.reason}") from exc
        except CostFileError as exc:
            lines = "\n".join(f"  {error}" for error in exc.errors)
            raise CommandError(
                f"Nothing imported: {len(exc.errors)} bad row(s) in {file}.\n{lines}"
            ) from exc
        self.stdout.write(f"Read {len(rows)} row(s) from {file}.")

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"  written {done}/{total}")

        summary = costs_import(rows, progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {summary.rows} row(s): {summary.created} new, {summary.updated} "
                f"updated, {summary.unchanged} unchanged (amounts in {settings.CURRENCY})."
            )
        )
