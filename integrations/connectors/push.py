"""A webhook body read as what it asks for, by the connector whose tool sent it.

Each tool unwraps its own envelope next to its pull code (``Connector.push_envelope``);
the record inside is read as a pulled one is (``Connector.normalize``), or in the generic
shape (.generic), which every connector accepts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from .base import Connector
from .errors import RecordRejected
from .generic import guess_id, is_generic, parse_generic
from .normalizing import require_mapping
from .normalizing import within_limits as _within_limits
from .tickets import NormalizedTicket, Rejected


@dataclass(frozen=True)
class Push:
    """Mirror ``ticket`` (quarantine it when Rejected), mark ``deleted_id`` gone, or do
    nothing for the reason in ``ignored`` (an event that changes no ticket)."""

    ticket: NormalizedTicket | Rejected | None = None
    deleted_id: str | None = None
    ignored: str | None = None


def parse_push(data: object, *, connector: Connector | None) -> Push:
    """Never raises. ``connector`` None: the connector cannot be built (misconfigured), so
    only the generic shape can be read."""
    try:
        if not isinstance(data, Mapping):
            raise RecordRejected(f"the body must be a JSON object, not {type(data).__name__}")
        body = data
        if is_generic(body):
            return Push(ticket=_within_limits(parse_generic(body)))
        if connector is None:
            raise RecordRejected(
                "the connector is misconfigured, so only the generic shape can be read"
            )
        action, record = connector.push_envelope(body)
        if action == "delete":
            return Push(deleted_id=str(record))
        if action == "ignore":
            return Push(ignored=str(record))
        if is_generic(record):
            return Push(ticket=_within_limits(parse_generic(require_mapping(record))))
        ticket = connector.normalize(require_mapping(record))
        if isinstance(ticket, Rejected) and ticket.external_id is None:
            ticket = replace(ticket, external_id=guess_id(data))
        return Push(ticket=ticket)
    except RecordRejected as exc:
        return Push(ticket=Rejected(external_id=guess_id(data), reason=str(exc), raw=data))
