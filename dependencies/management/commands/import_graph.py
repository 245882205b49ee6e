from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dependencies.graph.graph_csv import GraphCsvError, import_graph


class Command(BaseCommand):
    help = (
        "Create or update nodes and edges from DIR/nodes.csv and DIR/edges.csv "
        "(UTF-8, the columns export_graph writes; a leading ' that export_graph put before a "
        "formula-like value is removed). Nothing is written unless every row is valid."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("directory", type=Path)

    def handle(self, *args: Any, directory: Path, **options: Any) -> None:
        try:
            result = import_graph(directory, actor_label="command import_graph")
        except GraphCsvError as exc:
            raise CommandError(f"Nothing imported. {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Nodes: {result.nodes_created} created, {result.nodes_updated} already there "
                f"(updated where different). Edges: {result.edges_created} created, "
                f"{result.edges_unchanged} already there."
            )
        )
