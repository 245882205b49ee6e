from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from dependencies.graph.graph_csv import export_graph


class Command(BaseCommand):
    help = (
        "Write the dependency graph as DIR/nodes.csv and DIR/edges.csv (UTF-8). A value a "
        "spreadsheet would run as a formula (starting with = + - @) is written with a leading ' "
        "(import_graph reads it back without)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("directory", type=Path)

    def handle(self, *args: Any, directory: Path, **options: Any) -> None:
        nodes, edges = export_graph(directory)
        self.stdout.write(
            self.style.SUCCESS(f"Wrote {nodes} nodes and {edges} edges to {directory}/")
        )
