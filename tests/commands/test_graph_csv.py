from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from cataligent.models import AuditEntry
from dependencies.models import Edge, Node

pytestmark = pytest.mark.django_db


def _write(directory: Path, nodes: str, edges: str) -> Path:
    (directory / "nodes.csv").write_text(nodes)
    (directory / "edges.csv").write_text(edges)
    return directory


def test_round_trip_of_the_demo_graph(tmp_path: Path) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    call_command("export_graph", str(tmp_path), stdout=io.StringIO())
    nodes, edges = Node.objects.count(), Edge.objects.count()
    audit = AuditEntry.objects.count()
    out = io.StringIO()
    call_command("import_graph", str(tmp_path), stdout=out)
    assert f"{nodes} already there" in out.getvalue()
    assert (Node.objects.count(), Edge.objects.count()) == (nodes, edges)
    assert AuditEntry.objects.count() == audit  # nothing changed, nothing recorded
    header = (tmp_path / "edges.csv").read_text().splitlines()[0]
    assert header == "source,target,criticality,redundancy_group,min_operational"


def test_import_creates_nodes_and_edges(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "slug,name,kind\napp,App,service\ndb,Database,data\n",
        "source,target,criticality\napp,db,soft\n",
    )
    call_command("import_graph", str(tmp_path), stdout=io.StringIO())
    edge = Edge.objects.get()
    assert (edge.source.slug, edge.target.slug, edge.criticality) == ("app", "db", "soft")


def test_bad_rows_are_all_reported_and_nothing_is_written(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "slug,name,kind,team\napp,App,service,\nbad slug,X,service,\ndb,DB,spaceship,ghosts\n",
        "source,target,min_operational\napp,nowhere,1\napp,app,0\n",
    )
    with pytest.raises(CommandError) as info:
        call_command("import_graph", str(tmp_path), stdout=io.StringIO())
    message = str(info.value)
    assert "Nothing imported" in message
    assert "nodes.csv row 3: slug 'bad slug'" in message
    assert "nodes.csv row 4: kind 'spaceship'" in message
    assert "unknown team slug 'ghosts'" in message
    assert "edges.csv row 2: target 'nowhere' is no node" in message
    assert "edges.csv row 3: a node cannot depend on itself" in message
    assert "min_operational '0'" in message
    assert not Node.objects.exists()


def test_missing_file_and_columns(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="file not found"):
        call_command("import_graph", str(tmp_path), stdout=io.StringIO())
    _write(tmp_path, "slug,title\n", "source,target\n")
    with pytest.raises(CommandError, match="missing column"):
        call_command("import_graph", str(tmp_path), stdout=io.StringIO())


def test_too_long_values_and_a_non_utf8_file_are_errors_not_tracebacks(tmp_path: Path) -> None:
    _write(
        tmp_path,
        f"slug,name,kind\n{'s' * 201},App,service\napp,{'N' * 301},service\n",
        f"source,target,redundancy_group\napp,app2,{'g' * 101}\n",
    )
    with pytest.raises(CommandError) as info:
        call_command("import_graph", str(tmp_path), stdout=io.StringIO())
    message = str(info.value)
    assert "nodes.csv row 2: slug is longer than" in message
    assert "nodes.csv row 3: name is longer than" in message
    assert "edges.csv row 2: redundancy_group is longer than" in message
    (tmp_path / "nodes.csv").write_bytes("slug,name,kind\napp,Caf\xe9,service\n".encode("latin-1"))
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("import_graph", str(tmp_path), stdout=io.StringIO())
    assert not Node.objects.exists()


def test_formula_values_are_exported_quoted_and_imported_back_as_they_were(
    tmp_path: Path,
) -> None:
    """A spreadsheet must not run a node's name as a formula; the round trip keeps it."""
    tricky = {
        "formula": '=HYPERLINK("https://evil.example","Docs")',
        "plus": "+1 and more",
        "minus": "-",
        "at": "@SUM(A1)",
        "quoted": "'=already quoted",
        "plain": "O'Brien's service",
    }
    for slug, name in tricky.items():
        Node.objects.create(slug=slug, name=name, kind="service", description=name)
    Edge.objects.create(
        source=Node.objects.get(slug="plus"),
        target=Node.objects.get(slug="plain"),
        redundancy_group="=cmd|'/c calc'!A1",
    )
    call_command("export_graph", str(tmp_path), stdout=io.StringIO())
    written = (tmp_path / "nodes.csv").read_text()
    assert '"\'=HYPERLINK(""https://evil.example"",""Docs"")"' in written
    assert "formula,=" not in written and "at,@" not in written
    assert "''=already quoted" in written and "O'Brien's service" in written
    assert ",'=cmd|" in (tmp_path / "edges.csv").read_text()

    Node.objects.all().delete()
    call_command("import_graph", str(tmp_path), stdout=io.StringIO())
    assert dict(Node.objects.values_list("slug", "name")) == tricky
    assert dict(Node.objects.values_list("slug", "description")) == tricky
    assert Edge.objects.get().redundancy_group == "=cmd|'/c calc'!A1"


@pytest.mark.parametrize(
    ("nodes", "expected"),
    [
        (
            f"slug,name,kind,description\napp,App,service,\ndb,DB,data,{'x' * 131_073}\n",
            "nodes.csv row 3: cannot be read as CSV: field larger than field limit",
        ),
        (
            "slug,name,kind\napp,App,service\nd\x00b,DB,data\n",
            "nodes.csv row 3: holds a NUL character",
        ),
    ],
)
def test_a_huge_field_or_a_nul_is_a_message_naming_file_and_row(
    tmp_path: Path, nodes: str, expected: str
) -> None:
    _write(tmp_path, nodes, "source,target\napp,db\n")
    with pytest.raises(CommandError) as info:
        call_command("import_graph", str(tmp_path), stdout=io.StringIO())
    assert "Nothing imported" in str(info.value) and expected in str(info.value)
    assert not Node.objects.exists() and not Edge.objects.exists()
