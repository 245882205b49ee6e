"""`manage.py report <name> [--json|--csv] [--from D --to D | --period P] [--team SLUG]`."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder

from reports import registry
from reports.results import window_json
from reports.tables import UnknownTable, pick, plain_text, write_csv
from reports.window import WindowError, parse_window


class Command(BaseCommand):
    help = "Print an execution report: a table for people, or the API's JSON / CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="The report, e.g. green-red.")
        shape = parser.add_mutually_exclusive_group()
        shape.add_argument("--json", action="store_true", help="The API's JSON.")
        shape.add_argument("--csv", action="store_true", help="One table as CSV (see --table).")
        parser.add_argument("--from", dest="from", help="First day, YYYY-MM-DD.")
        parser.add_argument("--to", help="Last day, YYYY-MM-DD.")
        parser.add_argument("--period", help="A period's name instead of the dates.")
        parser.add_argument("--team", help="A team's slug.")
        parser.add_argument("--table", help="Which table (default: every one; CSV: the first).")

    def handle(self, *args: Any, **options: Any) -> None:
        report = registry.get(options["name"])
        if report is None:
            raise CommandError(
                f"No report is named {options['name']!r}; there are: {', '.join(registry.REPORTS)}."
            )
        params = {k: options[k] for k in ("from", "to", "period", "team") if options.get(k)}
        try:
            window = parse_window(params)
        except WindowError as exc:
            raise CommandError(
                "; ".join(f"--{field}: {message}" for field, message in exc.errors.items())
            ) from exc
        result = report.build(window)
        if options["json"]:
            body = result | {"window": window_json(window)}
            self.stdout.write(json.dumps(body, indent=2, cls=DjangoJSONEncoder))
            return
        tables = report.tables(result)
        try:
            chosen = (
                [pick(tables, options["table"])] if options["table"] or options["csv"] else tables
            )
        except UnknownTable as exc:
            raise CommandError(f"--table: {exc}") from exc
        if options["csv"]:
            write_csv(chosen[0], self.stdout)
            return
        self.stdout.write(f"{report.title}: {report.question}")
        self.stdout.write(
            f"{window.first_day} to {window.last_day}"
            + (f", team {window.team.slug}" if window.team else "")
        )
        for table in chosen:
            self.stdout.write("")
            self.stdout.write(plain_text(table))
