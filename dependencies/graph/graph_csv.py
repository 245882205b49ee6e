"""The graph as two CSV files, for people who keep it in spreadsheets.

`nodes.csv` and `edges.csv`; the columns are the API's field names. An import
checks every row first and writes nothing unless all of them are valid. Cells that a
spreadsheet would run as formulas are written quoted and read back unquoted.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction

from cataligent.csv_cells import quote_cell, unquote_cell
from cataligent.models import Team
from dependencies.choices import Criticality, NodeKind, State
from dependencies.graph.services import edge_ensure, node_upsert
from dependencies.models import Edge, EscalationPolicy, Node

NODE_COLUMNS = [
    "slug",
    "name",
    "kind",
    "team",
    "owner",
    "escalation_policy",
    "manual_state",
    "manual_reason",
    "description",
]
EDGE_COLUMNS = ["source", "target", "criticality", "redundancy_group", "min_operational"]


class GraphCsvError(Exception):
    """The files cannot be imported; `problems` lists each with file, row and column."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s):\n" + "\n".join(problems))
        self.problems = problems


@dataclass
class ImportResult:
    nodes_created: int = 0
    nodes_updated: int = 0
    edges_created: int = 0
    edges_unchanged: int = 0
    problems: list[str] = field(default_factory=list)


def export_graph(directory: Path) -> tuple[int, int]:
    """Write nodes.csv and edges.csv into `directory`; returns the row counts.

    A value a spreadsheet would run as a formula is written with a leading quote
    (cataligent/csv_cells.py); the import reads it back as it was.
    """
    directory.mkdir(parents=True, exist_ok=True)
    nodes = Node.objects.select_related("team", "owner", "escalation_policy").order_by("slug")
    with (directory / "nodes.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(NODE_COLUMNS)
        for n in nodes.iterator(chunk_size=2000):
            row = [
                n.slug,
                n.name,
                n.kind,
                n.team.slug if n.team else "",
                n.owner.get_username() if n.owner else "",
                n.escalation_policy.name if n.escalation_policy else "",
                n.manual_state,
                n.manual_reason,
                n.description,
            ]
            writer.writerow([quote_cell(value) for value in row])
    edges = Edge.objects.select_related("source", "target").order_by("source__slug", "target__slug")
    with (directory / "edges.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(EDGE_COLUMNS)
        for e in edges.iterator(chunk_size=5000):
            row = [e.source.slug, e.target.slug, e.criticality, e.redundancy_group]
            writer.writerow([*(quote_cell(value) for value in row), e.min_operational])
    return nodes.count(), edges.count()


# PostgreSQL cannot store U+0000; a UTF-16 or binary file read as UTF-8 is full of them.
_HOLDS_NUL = "holds a NUL character; is this a UTF-16 or binary file? Save it as UTF-8 CSV"


def _read(path: Path, columns: list[str], required: set[str], problems: list[str]) -> list[dict]:
    if not path.exists():
        problems.append(f"{path}: file not found")
        return []
    try:
        return _read_rows(path, columns, required, problems)
    except UnicodeDecodeError as exc:
        problems.append(f"{path.name}: not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV")
        return []
    except OSError as exc:  # a directory, no permission
        problems.append(f"{path}: cannot be read ({exc.strerror or exc})")
        return []


def _read_rows(
    path: Path, columns: list[str], required: set[str], problems: list[str]
) -> list[dict]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        try:
            header = reader.fieldnames or []
        except csv.Error as exc:
            problems.append(f"{path.name} row 1: cannot be read as CSV: {exc}")
            return []
        if any("\x00" in name for name in header):
            problems.append(f"{path.name} row 1: {_HOLDS_NUL}")
            return []
        missing = sorted(required - set(header))
        if missing:
            problems.append(f"{path.name}: missing column(s) {', '.join(missing)}")
            return []
        unknown = sorted(set(header) - set(columns))
        if unknown:
            problems.append(
                f"{path.name}: unknown column(s) {', '.join(unknown)}; "
                f"expected {', '.join(columns)}"
            )
            return []
        rows: list[dict] = []
        number = 1  # the header; data rows are numbered from 2, as a spreadsheet shows them
        try:
            for row in reader:
                number += 1
                values = {
                    k: unquote_cell((v or "").strip()) for k, v in row.items() if k is not None
                }
                if any("\x00" in value for value in values.values()):
                    problems.append(f"{path.name} row {number}: {_HOLDS_NUL}")
                    return []
                rows.append(values)
        except csv.Error as exc:  # a value beyond csv.field_size_limit(), a stray quote
            problems.append(f"{path.name} row {number + 1}: cannot be read as CSV: {exc}")
            return []
        return rows


def import_graph(directory: Path, *, actor: Any = None, actor_label: str = "") -> ImportResult:
    """Create or update nodes and edges from the CSV files; all or nothing."""
    problems: list[str] = []
    node_rows = _read(directory / "nodes.csv", NODE_COLUMNS, {"slug", "name", "kind"}, problems)
    edge_rows = _read(directory / "edges.csv", EDGE_COLUMNS, {"source", "target"}, problems)
    if problems:
        raise GraphCsvError(problems)

    teams = {t.slug: t for t in Team.objects.all()}
    users = {u.get_username(): u for u in get_user_model().objects.all()}
    policies = {p.name: p for p in EscalationPolicy.objects.all()}
    known_slugs = set(Node.objects.values_list("slug", flat=True))

    planned_nodes: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    for number, row in enumerate(node_rows, start=2):  # row 1 is the header
        where = f"nodes.csv row {number}"
        slug = row["slug"]
        try:
            validate_slug(slug)
        except ValidationError:
            problems.append(f"{where}: slug {slug!r} may hold only letters, digits, - and _")
            continue
        for column in ("slug", "name", "manual_reason"):
            limit = Node._meta.get_field(column).max_length
            if limit and len(row.get(column, "")) > limit:
                problems.append(f"{where}: {column} is longer than {limit} characters")
        if slug in seen:
            problems.append(f"{where}: slug {slug!r} appears twice")
        seen.add(slug)
        values: dict[str, Any] = {"name": row["name"], "kind": row["kind"]}
        if not row["name"]:
            problems.append(f"{where}: name is empty")
        if row["kind"] not in NodeKind.values:
            problems.append(
                f"{where}: kind {row['kind']!r} is not one of {', '.join(NodeKind.values)}"
            )
        for column, lookup, label in [
            ("team", teams, "team slug"),
            ("owner", users, "username"),
            ("escalation_policy", policies, "escalation policy"),
        ]:
            if column in row:
                if row[column] and row[column] not in lookup:
                    problems.append(f"{where}: unknown {label} {row[column]!r} in column {column}")
                values[column] = lookup.get(row[column]) if row[column] else None
        if "manual_state" in row:
            if row["manual_state"] and row["manual_state"] not in State.values:
                problems.append(
                    f"{where}: manual_state {row['manual_state']!r} is not one of "
                    f"{', '.join(State.values)} (or empty)"
                )
            values["manual_state"] = row["manual_state"]
        for column in ("manual_reason", "description"):
            if column in row:
                values[column] = row[column]
        planned_nodes.append((slug, values))

    slugs = known_slugs | seen
    planned_edges: list[dict[str, Any]] = []
    for number, row in enumerate(edge_rows, start=2):
        where = f"edges.csv row {number}"
        for column in ("source", "target"):
            if row[column] not in slugs:
                problems.append(f"{where}: {column} {row[column]!r} is no node")
        if row["source"] == row["target"]:
            problems.append(f"{where}: a node cannot depend on itself ({row['source']})")
        criticality = row.get("criticality") or Criticality.HARD
        if criticality not in Criticality.values:
            problems.append(f"{where}: criticality {criticality!r} is not hard or soft")
        group_limit = Edge._meta.get_field("redundancy_group").max_length
        if group_limit and len(row.get("redundancy_group", "")) > group_limit:
            problems.append(f"{where}: redundancy_group is longer than {group_limit} characters")
        minimum_text = row.get("min_operational") or "1"
        if not minimum_text.isdigit() or int(minimum_text) < 1:
            problems.append(f"{where}: min_operational {minimum_text!r} must be a whole number ≥ 1")
        planned_edges.append(
            {
                "source": row["source"],
                "target": row["target"],
                "criticality": criticality,
                "redundancy_group": row.get("redundancy_group", ""),
                "min_operational": int(minimum_text) if minimum_text.isdigit() else 1,
            }
        )
    if problems:
        raise GraphCsvError(problems)

    result = ImportResult()
    with transaction.atomic():
        for slug, values in planned_nodes:
            _node, created = node_upsert(
                slug=slug, values=values, actor=actor, actor_label=actor_label
            )
            if created:
                result.nodes_created += 1
            else:
                result.nodes_updated += 1
        nodes = {n.slug: n for n in Node.objects.filter(slug__in=slugs)}
        for edge in planned_edges:
            _edge, created = edge_ensure(
                source=nodes[edge["source"]],
                target=nodes[edge["target"]],
                criticality=edge["criticality"],
                redundancy_group=edge["redundancy_group"],
                min_operational=edge["min_operational"],
                actor=actor,
                actor_label=actor_label,
            )
            if created:
                result.edges_created += 1
            else:
                result.edges_unchanged += 1
    return result
