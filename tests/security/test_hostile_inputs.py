"""Hostile files and bodies: each is refused clearly and writes nothing.

The commands exit non-zero with a message (a CommandError naming the file and where in it),
the webhook answers 4xx with a reason, never a traceback or a 500; the row counts of
everything they could write stay as they were. Each case is small and fast: the bombs are
a few hundred bytes, the huge values a few megabytes at most.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.test.client import MULTIPART_CONTENT

from cataligent.models import AuditEntry, Team
from dependencies.models import Edge, Node
from integrations.models import (
    Connector,
    QuarantinedRecord,
    Ticket,
    TicketLink,
    WebhookDelivery,
)
from integrations.webhooks import MAX_BODY

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    models: list[Any] = [
        Team,
        get_user_model(),
        Node,
        Edge,
        AuditEntry,
        Ticket,
        TicketLink,
        QuarantinedRecord,
        WebhookDelivery,
    ]
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture
def unchanged() -> Any:
    """Seeds one node and edge, then checks at the end that no row was added or removed."""
    source = Node.objects.create(slug="lending-app", name="Lending app", kind="service")
    target = Node.objects.create(slug="core-db", name="Core DB", kind="data")
    Edge.objects.create(source=source, target=target)
    before = _counts()
    yield
    assert _counts() == before


# --- import_catalog --------------------------------------------------------------------------

COMPONENT = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  description: {description}
spec:
  type: service
  lifecycle: production
  owner: team-a
"""


def _billion_laughs() -> str:
    """Nine levels of nine aliases each: 9^9 strings from 500 bytes."""
    lines = ['    a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"    {name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
    return COMPONENT.format(description="bomb").replace(
        "  description: bomb\n", "  description: bomb\n  annotations:\n" + "\n".join(lines) + "\n"
    )


def _deep_block(levels: int) -> str:
    nested = "".join("  " * (depth + 2) + f"k{depth}:\n" for depth in range(levels))
    return COMPONENT.format(description="deep").replace(
        "  description: deep\n", "  description: deep\n  labels:\n" + nested
    )


CATALOG_FILES: dict[str, tuple[Callable[[], bytes], str]] = {
    "billion laughs": (lambda: _billion_laughs().encode(), "(a YAML bomb?)"),
    "alias inside itself": (
        lambda: (
            COMPONENT.format(description="x").replace("owner: team-a", "owner: &o [*o]").encode()
        ),
        "an alias refers to a value that contains it",
    ),
    "deep block nesting": (lambda: _deep_block(3_000).encode(), "maximum nesting depth"),
    "deep flow nesting": (
        lambda: COMPONENT.format(description="[" * 100_000 + "]" * 100_000).encode(),
        "maximum nesting depth",
    ),
    "huge value": (
        lambda: COMPONENT.format(description="x" * 3_000_000).encode(),
        "a value of 3,000,000 characters; the limit is 65,536",
    ),
    "NUL escape": (
        lambda: COMPONENT.format(description='"Caf\\0e"').encode(),
        "a value holds a NUL character",
    ),
    "UTF-16": (
        lambda: COMPONENT.format(description="Café").encode("utf-16"),
        "not UTF-8 text (byte 0)",
    ),
    "Latin-1": (
        lambda: COMPONENT.format(description="Café").encode("latin-1"),
        "not UTF-8 text",
    ),
    "binary": (lambda: bytes(range(256)) * 64, "not UTF-8 text"),
    "email past 254 characters": (
        lambda: (
            "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: jdoe\n"
            f"spec:\n  profile:\n    email: {'e' * 300}@example.com\n  memberOf: []\n"
        ).encode(),
        "spec.profile.email is longer than 254 characters",
    ),
}


@pytest.mark.parametrize("case", sorted(CATALOG_FILES))
def test_import_catalog_refuses_hostile_files(tmp_path: Path, unchanged: None, case: str) -> None:
    make, expected = CATALOG_FILES[case]
    path = tmp_path / "catalog-info.yaml"
    path.write_bytes(make())
    with pytest.raises(CommandError) as error:
        call_command("import_catalog", str(path), stdout=io.StringIO())
    message = str(error.value)
    assert message.startswith("Nothing imported"), message
    assert str(path) in message and expected in message, message


def test_import_catalog_refuses_a_file_too_large_to_read(tmp_path: Path, unchanged: None) -> None:
    from dependencies.catalog import reader

    path = tmp_path / "catalog-info.yaml"
    with path.open("wb") as handle:  # sparse: no 16 MiB written to the disk
        handle.truncate(reader.MAX_FILE_BYTES + 1)
    with pytest.raises(CommandError, match="larger than 16 MiB"):
        call_command("import_catalog", str(path), stdout=io.StringIO())


# --- import_graph ----------------------------------------------------------------------------

NODES = "slug,name,kind,description\npayments,Payments,service,{description}\n"
EDGES = "source,target\npayments,core-db\n"

GRAPH_FILES: dict[str, tuple[Callable[[], bytes], str]] = {
    "UTF-16": (lambda: NODES.format(description="Café").encode("utf-16"), "not UTF-8 text"),
    "UTF-16 without a BOM": (
        lambda: NODES.format(description="x").encode("utf-16-le"),
        "nodes.csv row 1: holds a NUL character",
    ),
    "Latin-1": (lambda: NODES.format(description="Café").encode("latin-1"), "not UTF-8 text"),
    "binary": (lambda: bytes(range(256)) * 64, "not UTF-8 text"),
    "huge field": (
        lambda: NODES.format(description="x" * 200_000).encode(),
        "nodes.csv row 2: cannot be read as CSV: field larger than field limit (131072)",
    ),
    "huge header": (
        lambda: ("slug," + "x" * 200_000 + "\n").encode(),
        "nodes.csv row 1: cannot be read as CSV: field larger than field limit (131072)",
    ),
    "NUL": (
        lambda: NODES.format(description="Caf\x00e").encode(),
        "nodes.csv row 2: holds a NUL character",
    ),
}


@pytest.mark.parametrize("case", sorted(GRAPH_FILES))
def test_import_graph_refuses_hostile_files(tmp_path: Path, unchanged: None, case: str) -> None:
    make, expected = GRAPH_FILES[case]
    (tmp_path / "nodes.csv").write_bytes(make())
    (tmp_path / "edges.csv").write_text(EDGES)
    with pytest.raises(CommandError) as error:
        call_command("import_graph", str(tmp_path), stdout=io.StringIO())
    message = str(error.value)
    assert message.startswith("Nothing imported"), message
    assert expected in message, message


def test_import_graph_refuses_a_directory_in_place_of_a_file(
    tmp_path: Path, unchanged: None
) -> None:
    (tmp_path / "nodes.csv").mkdir()
    (tmp_path / "edges.csv").write_text(EDGES)
    with pytest.raises(CommandError, match=r"nodes\.csv: cannot be read"):
        call_command("import_graph", str(tmp_path), stdout=io.StringIO())


# --- webhooks --------------------------------------------------------------------------------

SECRET = "whsec-hostile"
TICKET = {
    "external_id": "77",
    "key": "RT#77",
    "title": "Database refuses connections",
    "status_category": "open",
    "priority": 1,
    "updated_at": "2026-11-26T09:00:00Z",
}


@pytest.fixture
def hook(unchanged: None) -> Connector:
    connector = Connector(
        slug="rt-hook", name="RT", kind="rt", base_url="https://rt.example.com", username="bot"
    )
    connector.set_secret("token")
    connector.set_webhook_secret(SECRET)
    connector.save()
    return connector


def _sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _post(
    body: bytes,
    *,
    signature: str | None = None,
    content_type: str = "application/json",
    **headers: str,
) -> Any:
    return Client().post(
        "/hooks/rt-hook/",
        data=body,
        content_type=content_type,
        headers={"X-Cataligent-Signature": signature or _sign(body), **headers},
    )


def _refused(response: Any, status: int, reason: str) -> None:
    assert response.status_code == status, response.content[:500]
    assert reason in response.json()["detail"]


GOOD = json.dumps(TICKET).encode()


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "sha256=",
        _sign(GOOD, secret="wrong-secret"),
        _sign(GOOD + b" "),  # the signature of another body
        "sha1=" + hmac.new(SECRET.encode(), GOOD, hashlib.sha1).hexdigest(),
        "sha256=" + "é" * 64,  # not ASCII: compare_digest would raise
        _sign(GOOD).upper().replace("SHA256=", "sha256=") + "00",
    ],
)
def test_bad_signatures_are_401(hook: Connector, signature: str) -> None:
    response = Client().post(
        "/hooks/rt-hook/",
        data=GOOD,
        content_type="application/json",
        headers={"X-Cataligent-Signature": signature} if signature else {},
    )
    _refused(response, 401, "signature")


def test_a_replayed_delivery_is_acknowledged_not_applied_again(hook: Connector) -> None:
    first = _post(GOOD, **{"X-Delivery-Id": "d-1"})
    assert first.status_code == 200 and first.json()["status"] == "created"
    after_first = _counts()
    changed = json.dumps({**TICKET, "title": "Replayed with another title"}).encode()
    replay = _post(changed, **{"X-Delivery-Id": "d-1"})
    assert replay.status_code == 200 and "duplicate" in replay.json()["status"]
    assert _counts() == after_first
    assert Ticket.objects.get().title == TICKET["title"]
    Ticket.objects.all().delete()  # back to what the fixture counts
    WebhookDelivery.objects.all().delete()


def test_an_oversized_body_is_413_declared_or_not(hook: Connector) -> None:
    padding = "x" * MAX_BODY
    body = json.dumps({**TICKET, "title": padding}).encode()
    assert len(body) > MAX_BODY
    _refused(_post(body), 413, "larger than 2 MiB")
    # A body larger than Django's own limit (DATA_UPLOAD_MAX_MEMORY_SIZE) too.
    _refused(_post(body + b" " * (1024 * 1024)), 413, "larger than 2 MiB")


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded",
        "text/plain",
        "application/xml",
        "text/html; charset=utf-8",
    ],
)
def test_a_body_that_is_not_json_by_its_type_is_415(hook: Connector, content_type: str) -> None:
    _refused(_post(GOOD, content_type=content_type), 415, "must be application/json")


def test_a_multipart_form_is_415(hook: Connector) -> None:
    response = Client().post(
        "/hooks/rt-hook/",
        data={"ticket": json.dumps(TICKET)},
        content_type=MULTIPART_CONTENT,
        headers={"X-Cataligent-Signature": _sign(b"")},
    )
    _refused(response, 415, "must be application/json")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not JSON"),
        (json.dumps(TICKET).encode("utf-16"), "not JSON in UTF-8"),
        (json.dumps(TICKET).encode("utf-16-le"), "not JSON"),  # valid UTF-8, full of NULs
        ('{"title": "Café"}'.encode("latin-1"), "not JSON in UTF-8"),
        (bytes(range(256)), "not JSON"),
        # JSON nested too deeply to read is refused too, but kept in quarantine for an admin
        # (tests/web/test_hostile_pages.py).
        (b"", "not JSON"),
    ],
)
def test_unreadable_bodies_are_400_and_write_nothing(
    hook: Connector, body: bytes, reason: str
) -> None:
    _refused(_post(body), 400, reason)


@pytest.mark.parametrize("body", [b"[]", b'["a", 1]', b'"ticket"', b"42", b"null", b"true"])
def test_json_that_is_not_an_object_is_400_and_only_quarantined(
    hook: Connector, body: bytes
) -> None:
    _refused(_post(body), 400, "must be a JSON object")
    kept = QuarantinedRecord.objects.get()  # the signed body, kept for the admin to see
    assert "must be a JSON object" in kept.reason
    kept.delete()  # back to what the fixture counts


def test_a_ticket_dated_past_year_9999_in_utc_is_400_and_only_quarantined(
    hook: Connector,
) -> None:
    body = json.dumps({**TICKET, "updated_at": "9999-12-31T23:59:59-14:00"}).encode()
    _refused(_post(body), 400, "outside the years 1900-8999")
    QuarantinedRecord.objects.get().delete()
