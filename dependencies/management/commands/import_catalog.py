"""`manage.py import_catalog PATH...`: Backstage catalog-info.yaml files into the graph."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dependencies.graph.catalog_import import CatalogImportError, import_catalog


class Command(BaseCommand):
    help = (
        "Import Backstage catalog files (multi-document YAML; Location entities are followed). "
        "Groups become teams, Users users, Components/APIs/Resources technical nodes, "
        "Systems and Domains capabilities; relations become edges. Re-importing changes "
        "nothing; a file with an error imports nothing at all."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH")

    def handle(self, *args: Any, paths: list[str], verbosity: int = 1, **options: Any) -> None:
        try:
            result = import_catalog(paths)
        except CatalogImportError as exc:
            lines = "\n".join(f"  {error}" for error in exc.errors)
            raise CommandError(
                f"Nothing imported: {len(exc.errors)} error(s) in the catalog.\n{lines}"
            ) from exc
        for note in result.notes if verbosity > 1 else result.notes[:20]:
            self.stdout.write(self.style.WARNING(f"  {note}"))
        if verbosity <= 1 and len(result.notes) > 20:
            self.stdout.write(f"  … and {len(result.notes) - 20} more notes (use -v 2)")
        self.stdout.write(
            self.style.SUCCESS(
                f"Read {result.files} file(s).\n"
                f"  teams: {result.teams}\n  users: {result.users}\n"
                f"  nodes: {result.nodes}\n  edges: {result.edges}"
            )
        )
