"""import_catalog on Backstage's own example catalog, again, and on broken input."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from cataligent.models import AuditEntry, Team
from dependencies.models import Edge, Node

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "backstage-examples"
CATALOG = [str(EXAMPLES / "all.yaml"), str(EXAMPLES / "acme-corp.yaml")]


def _import(*paths: str) -> str:
    out = io.StringIO()
    call_command("import_catalog", *paths, stdout=out)
    return out.getvalue()


def _counts() -> tuple[int, int, int, int]:
    return (
        Team.objects.count(),
        Node.objects.count(),
        Edge.objects.count(),
        AuditEntry.objects.count(),
    )


def test_imports_the_backstage_examples_and_is_idempotent() -> None:
    first = _import(*CATALOG)
    assert "nodes: 30 created" in first
    counts = _counts()
    second = _import(*CATALOG)
    assert "nodes: 0 created, 0 updated, 30 unchanged" in second
    assert "edges: 0 created, 0 updated, 21 unchanged" in second
    assert _counts() == counts  # nothing written, nothing audited

    artist = Node.objects.get(slug="component-artist-lookup")
    assert artist.kind == "service"
    assert artist.team is not None and artist.team.slug == "team-a"
    assert artist.external_ref == "backstage:component:default/artist-lookup"
    assert Node.objects.get(slug="system-artist-engagement-portal").kind == "capability"
    # A capability rests on its parts: the system depends on its components.
    assert Edge.objects.filter(
        source__slug="system-artist-engagement-portal", target__slug="component-artist-lookup"
    ).exists()


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


GOOD = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: billing}
spec: {type: service, lifecycle: production, owner: user:guest}
"""


def test_malformed_document_is_named_and_nothing_is_imported(tmp_path: Path) -> None:
    good = _write(tmp_path, "good.yaml", GOOD)
    bad = _write(
        tmp_path,
        "bad.yaml",
        GOOD.replace("billing", "ledger")
        + "---\n"
        + GOOD.replace("billing", "ok")
        + "---\nkind: Component\nmetadata: {name: x\n",
    )
    with pytest.raises(CommandError) as info:
        _import(good, bad)
    message = str(info.value)
    assert "Nothing imported" in message
    assert "bad.yaml, document 3" in message
    assert not Node.objects.exists()


def test_unknown_kinds_are_reported_and_skipped(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "mixed.yaml",
        GOOD
        + "---\napiVersion: backstage.io/v1alpha1\nkind: Template\nmetadata: {name: t}\nspec: {}\n",
    )
    out = _import(path)
    assert "Template" in out
    assert list(Node.objects.values_list("slug", flat=True)) == ["component-billing"]


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"nope\.yaml"):
        _import(str(tmp_path / "nope.yaml"))
