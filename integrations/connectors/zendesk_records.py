"""Reading Zendesk's answers: the tickets with their sideloads, and a ticket's SLA state.

The wire facts are cited in .zendesk's docstring ([1], [6], [9]). Sideloads come as
top-level lists beside ``tickets`` (``users`` and ``groups`` by ``id``, ``metric_sets`` by
``ticket_id``); the ``slas`` sideload comes inside each ticket, as ``{"policy_metrics":
[{"metric", "stage", "breach_at", ...}]}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .base import RecordRejected, optional_text
from .timestamps import iso_field


def timestamp(record: Mapping[str, Any], field: str) -> datetime | None:
    return iso_field(record, field, expected="an ISO 8601 time")


def name(value: object) -> str | None:
    return optional_text(value.get("name")) if isinstance(value, Mapping) else None


def count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def id_text(value: object) -> str | None:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else None


def reference(ticket: Mapping[str, Any], field: str) -> str | None:
    """A user or group the ticket names by id (``assignee_id``...): a number or none."""
    value = ticket.get(field)
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return value.strip()  # as a trigger's placeholder renders it
    if id_text(value) is None:
        raise RecordRejected(f"{field!r} is not a Zendesk id: {str(value)[:100]!r}")
    return str(value)


def tickets_with_sideloads(body: Mapping[str, Any]) -> tuple[list[object], tuple[str, ...]]:
    """The tickets of an answer, each with its sideloads attached (``assignee`` and
    ``group``, ``{"id", "name"}``; ``metric_set``), and apart the ids of the deleted ones.

    Of a user or group only the id and name are kept: the rest (a user's email, phone,
    last sign-in) is not ours to store, and would change the ticket's revision for nothing."""
    users = _by_id(body.get("users"), "id", keep=("id", "name"))
    groups = _by_id(body.get("groups"), "id", keep=("id", "name"))
    metric_sets = _by_id(body.get("metric_sets"), "ticket_id")
    records: list[object] = []
    deleted: list[str] = []
    for ticket in body["tickets"]:
        if not isinstance(ticket, Mapping):
            records.append(ticket)  # quarantined with its reason by normalize
            continue
        if ticket.get("status") == "deleted" and id_text(ticket.get("id")):
            deleted.append(str(ticket["id"]))
            continue
        record = dict(ticket)
        for attached, table, key in (
            ("assignee", users, "assignee_id"),
            ("group", groups, "group_id"),
            ("metric_set", metric_sets, "id"),
        ):
            ref = ticket.get(key)  # a list or object here is the ticket's to answer for
            found = table.get(ref) if isinstance(ref, int | str) else None
            if found is not None and attached not in record:
                record[attached] = found
        records.append(record)
    return records, tuple(deleted)


def _by_id(
    rows: object, key: str, keep: tuple[str, ...] | None = None
) -> dict[object, Mapping[str, Any]]:
    if not isinstance(rows, list):
        return {}
    return {
        row[key]: (row if keep is None else {k: row[k] for k in keep if k in row})
        for row in rows
        if isinstance(row, Mapping) and isinstance(row.get(key), int | str)
    }


def sla_state(ticket: Mapping[str, Any], *, now: datetime) -> tuple[bool | None, datetime | None]:
    """(breached, deadline) from the ticket's ``slas`` sideload.

    Breached when a target still running (stage ``active``) is past its ``breach_at`` on
    the source's clock; the deadline is the earliest ``breach_at`` still running. Never
    "met": the sideload does not say whether a target reached (``achieved``) was reached in
    time, so without a running target past due the result is unknown (None)."""
    slas = ticket.get("slas")
    if slas is None:
        return None, None
    if not isinstance(slas, Mapping) or not isinstance(slas.get("policy_metrics", []), list):
        raise RecordRejected("'slas' is not an object with a 'policy_metrics' list")
    running: list[datetime] = []
    for metric in slas.get("policy_metrics") or []:
        if not isinstance(metric, Mapping):
            raise RecordRejected("'slas.policy_metrics' holds something not an object")
        if metric.get("stage") == "active":
            breach_at = timestamp(metric, "breach_at")
            if breach_at is not None:
                running.append(breach_at)
    deadline = min(running, default=None)
    return (True if deadline is not None and deadline <= now else None), deadline
