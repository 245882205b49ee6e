"""`manage.py export_costs [--node SLUG] [--team SLUG] [--from YYYY-MM] [--to YYYY-MM]`."""

from __future__ import annotations

import csv
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from reports.costs import cost_rows_for_export, parse_month
from reports.models import CostLine


class Command(BaseCommand):
    help = (
        "Write run costs as CSV (node,month,amount,currency,category) to standard output or "
        "--output FILE: the file import_costs reads back."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--node", help="only this node (slug)")
        parser.add_argument("--team", help="only nodes this team owns (slug)")
        parser.add_argument("--from", dest="first", metavar="YYYY-MM")
        parser.add_argument("--to", dest="last", metavar="YYYY-MM")
        parser.add_argument("--output", "-o", metavar="FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        lines = CostLine.objects.all()
        if options["node"]:
            lines = lines.filter(node__slug=options["node"])
        if options["team"]:
            lines = lines.filter(node__team__slug=options["team"])
        for name, lookup in (("first", "month__gte"), ("last", "month__lte")):
            if options[name]:
                month = parse_month(options[name])
                if month is None:
                    flag = "--from" if name == "first" else "--to"
                    raise CommandError(f"{flag} {options[name]!r}: give the month as YYYY-MM.")
                lines = lines.filter(**{lookup: month})
        rows = cost_rows_for_export(lines)
        if options["output"]:
            with open(options["output"], "w", newline="", encoding="utf-8") as handle:
                csv.writer(handle).writerows(rows)
        else:
            csv.writer(self.stdout).writerows(rows)
