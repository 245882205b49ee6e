"""What the normalizers share: reading the fields of a raw record, a revision for tools
without an update counter, and the limits every ticket passes before the mirror
(:func:`within_limits`: the mirror's column sizes, the timestamps it can store, http(s) links).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Mapping
from typing import Any

import orjson

from .errors import RecordRejected
from .ticket_urls import http_url, url_problem
from .tickets import NormalizedTicket
from .timestamps import TimestampOutOfRange, check_in_range

__all__ = [
    "MAX_COUNT",
    "MAX_EXTERNAL_ID",
    "content_revision",
    "optional_text",
    "require_mapping",
    "require_text",
    "within_limits",
]

log = logging.getLogger(__name__)

# What the mirror can hold (integrations.models.Ticket): longer ids and larger counts are
# refused by the database, which would fail the whole page on every run.
MAX_EXTERNAL_ID = 200
MAX_COUNT = 2**31 - 1


def within_limits(ticket: NormalizedTicket) -> NormalizedTicket:
    """The last check of every ticket from every source (pull syncs through
    :meth:`Connector.normalize`, webhooks too): what the mirror can hold and our pages show.

    A URL that is not http(s) loses only the link: the ticket is mirrored without it (its
    raw record keeps what was sent) and a warning says why."""
    if len(ticket.external_id) > MAX_EXTERNAL_ID:
        raise RecordRejected(f"the id is longer than {MAX_EXTERNAL_ID} characters")
    if ticket.reassignment_count is not None and not 0 <= ticket.reassignment_count <= MAX_COUNT:
        raise RecordRejected(f"reassignment count {ticket.reassignment_count} is out of range")
    if ticket.reopen_count is not None and not 0 <= ticket.reopen_count <= MAX_COUNT:
        raise RecordRejected(f"reopen count {ticket.reopen_count} is out of range")
    try:
        check_in_range(ticket.updated_at, "updated_at")
        check_in_range(ticket.opened_at, "opened_at")
        if ticket.resolved_at is not None:
            check_in_range(ticket.resolved_at, "resolved_at")
        if ticket.due_at is not None:
            check_in_range(ticket.due_at, "due_at")
    except TimestampOutOfRange as exc:
        raise RecordRejected(str(exc)) from exc
    if ticket.url and http_url(ticket.url) != ticket.url:
        problem = url_problem(ticket.url)
        if problem:
            log.warning(
                "ticket %r (id %r): %s; mirrored without a link",
                ticket.key,
                ticket.external_id,
                problem,
            )
        ticket = dataclasses.replace(ticket, url=http_url(ticket.url) or "")
    return ticket


def content_revision(raw: Mapping[str, Any]) -> str:
    """A revision for a tool without an update counter: a short hash of the record, which
    changes whenever what the tool sends of it does (keys sorted, so order does not)."""
    try:
        encoded = orjson.dumps(raw, option=orjson.OPT_SORT_KEYS, default=str)
    except orjson.JSONEncodeError:  # a lone surrogate or a huge integer: still a revision
        encoded = json.dumps(raw, sort_keys=True, default=str).encode()
    return hashlib.blake2b(encoded, digest_size=6).hexdigest()


def require_mapping(raw: object, what: str = "record") -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise RecordRejected(f"{what} is a {type(raw).__name__}, not a JSON object")
    return raw


def require_text(record: Mapping[str, Any], name: str) -> str:
    value = record.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise RecordRejected(f"missing or empty {name!r}")
    return value.strip()


def optional_text(value: object) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    return None
