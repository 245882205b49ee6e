"""Request Tracker 5 REST2 connector (itsm-apis.md §3, verified against RT 5.0.3).

Reads ``GET /REST/2.0/tickets?query=<TicketSQL>&fields=...&orderby=LastUpdated&order=ASC
&orderby=id&order=ASC&per_page=<=100&page=N`` with::

    (<admin TicketSQL>) AND LastUpdated >= 'YYYY-MM-DD HH:MM:SS'

Quirks followed from the reference:

- the literal is read in the API user's time zone (``Users.Timezone``, else the server's
  ``$Timezone``, stock default US/Eastern), and an ISO literal with ``Z`` is mis-parsed
  (matches every ticket); so the start is converted to that zone and formatted plainly.
  REST2 does not show ``$Timezone``: a user without a zone of its own (the default) gets its
  offset found by asking RT and recorded on the connector, see .rt_zone;
- ``per_page`` above 100 is clamped to 100; ``next_page`` appears only when there is one;
  an empty result has ``"pages": 0.0``;
- item ids are strings in collections but numbers from ``GET /ticket/:id``;
- ``CustomFields`` is ``""`` in collections when the ticket has no values;
- dates are UTC with ``Z``; ``1970-01-01T00:00:00Z`` means "not set".

Paging restarts at the newest ``LastUpdated`` received, as for ServiceNow (see there).

Priority: RT's priority is a number, by convention 0 (low) to 100 (high); RT 5's stock
``%PriorityAsString`` names Low 0, Medium 50, High 100. The default map splits that scale into
five equal bands, ``80..`` → 1, ``60..79`` → 2, ``40..59`` → 3, ``20..39`` → 4, ``..19`` → 5, so
Low → 5, Medium → 3, High → 1. ``priority_map`` may give exact values (``"50": 2``) or its own
bands (``"90..": 1``); an exact value wins over a band, and a map with any band of its own
replaces the default bands entirely.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote

from . import sla
from .base import Connector
from .errors import ConfigurationError, RecordRejected, ResponseFormatError
from .normalizing import content_revision, optional_text, require_mapping, require_text
from .responses import json_body
from .rt_zone import QueryZone, find_offset, fixed_zone, guarded_literal, offset_name, parse_offset
from .tickets import NormalizedTicket, RawPage, StatusCategory
from .timestamps import (
    iso_field,
    load_zone,
    wall_clock_at_or_before,
)
from .watermark import Watermark

__all__ = ["RequestTrackerConnector"]

DEFAULT_STATUS_MAP: Mapping[str, StatusCategory] = {
    "new": "open",
    "open": "in_progress",
    "stalled": "in_progress",  # waiting on someone; still to be done
    "resolved": "resolved",
    "rejected": "cancelled",
    "deleted": "cancelled",
}
DEFAULT_PRIORITY_MAP: Mapping[str, int] = {
    "80..": 1,
    "60..79": 2,
    "40..59": 3,
    "20..39": 4,
    "..19": 5,
    # Names, in case an instance renders PriorityAsString.
    "High": 1,
    "Medium": 3,
    "Low": 5,
}
FIELDS = "Subject,Status,Queue,Owner,Created,LastUpdated,Resolved,Due,Priority,CustomFields"
MAX_PER_PAGE = 100  # §3 "Paging": > 100 is clamped to 100
NOT_SET = "1970-01-01T00:00:00Z"
SECOND = timedelta(seconds=1)
BAND = re.compile(r"^\s*(-?\d+)?\s*\.\.\s*(-?\d+)?\s*$")
WHOLE_NUMBER = re.compile(r"^\s*-?\d+\s*$")


def _parse_bands(priority_map: Mapping[str, int]) -> list[tuple[int | None, int | None, int]]:
    bands = []
    for key, priority in priority_map.items():
        match = BAND.match(key)
        if match and (match.group(1) or match.group(2)):
            low = int(match.group(1)) if match.group(1) else None
            high = int(match.group(2)) if match.group(2) else None
            bands.append((low, high, priority))
    return bands


def _timestamp(ticket: Mapping[str, Any], name: str) -> datetime | None:
    return iso_field(ticket, name, expected="a W3CDTF date", unset=(NOT_SET,))


def _object_id(value: object) -> str | None:
    """A REST2 object placeholder ``{"id", "type", "_url", ...}`` (or a plain string)."""
    if isinstance(value, Mapping):
        for key in ("Name", "id"):
            text = value.get(key)
            if isinstance(text, int) and not isinstance(text, bool):
                text = str(text)
            if isinstance(text, str) and text.strip():
                return text.strip()
        return None
    return optional_text(value)


def _custom_fields(value: object) -> dict[str, list[str]]:
    """Custom field values by name; ``""`` means none (§3 "Quirks")."""
    if value is None or value == "":
        return {}
    fields: dict[str, list[str]] = {}
    if isinstance(value, list):
        for item in value:
            if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
                raise RecordRejected("a 'CustomFields' entry has no name")
            values = item.get("values") or []
            if not isinstance(values, list):
                raise RecordRejected(f"custom field {item['name']!r} values are not a list")
            fields[item["name"]] = [str(v).strip() for v in values if str(v).strip()]
        return fields
    if isinstance(value, Mapping):
        for name, values in value.items():
            listed = values if isinstance(values, list) else [values]
            fields[str(name)] = [str(v).strip() for v in listed if v is not None and str(v).strip()]
        return fields
    raise RecordRejected(f"'CustomFields' is a {type(value).__name__}")


class RequestTrackerConnector(Connector):
    kind = "rt"
    label = "Request Tracker"
    auth_types = frozenset({"token", "basic"})
    default_status_map = DEFAULT_STATUS_MAP
    default_priority_map = DEFAULT_PRIORITY_MAP
    max_page_size = MAX_PER_PAGE
    default_page_size = MAX_PER_PAGE
    default_overlap_seconds = 60
    option_help: ClassVar[Mapping[str, str]] = {
        "time_zone": "the RT user's IANA time zone (the server's $Timezone when the user has "
        "none of its own); by default read from the user record, else found by asking RT",
        "time_zone_found": "the UTC offset Cataligent found RT reading query dates at, when "
        "neither 'time_zone' nor the user's own zone is set; recorded by sync and test "
        "connection (a change of daylight saving is detected and found again)",
        "ci_custom_field": "custom field whose value is the configuration item",
        "component_custom_field": "custom field whose values are the components",
        "overlap_seconds": "seconds re-read at the start of each run (default 60)",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ci_field = self.option_str("ci_custom_field")
        self.component_field = self.option_str("component_custom_field")
        own_bands = _parse_bands(self.config.priority_map)
        self.bands = own_bands or _parse_bands(DEFAULT_PRIORITY_MAP)
        self._zone: QueryZone | None = None
        self._learned: dict[str, str] = {}
        for key in self.priority_map:
            if not BAND.match(key) and WHOLE_NUMBER.match(key) is None and not key.isalpha():
                raise ConfigurationError(f"RT priority map key {key!r} is not a number or band")

    # --- fetching --------------------------------------------------------------------

    def query_zone(self) -> QueryZone | None:
        """The zone RT reads TicketSQL dates in (§3 "TicketSQL for incremental sync" 1): the
        option 'time_zone', else the user's own, else the offset found by asking RT
        (.rt_zone); None while RT has no ticket to find it from (nothing to miss then)."""
        if self._zone is not None:
            return self._zone
        configured = self.option_str("time_zone")
        if configured:
            self._zone = QueryZone(load_zone(configured), configured)
            return self._zone
        own = self._user_zone()
        if own:
            self._zone = QueryZone(load_zone(own), own)
            return self._zone
        stored = self.option_str("time_zone_found")
        if stored:
            self._zone = fixed_zone(parse_offset(stored))
            return self._zone
        return self._probe()

    def _user_zone(self) -> str:
        """The RT user's own zone, or "" (none of its own, or no username to read it by)."""
        if not self.config.username:
            return ""
        user = json_body(
            self.http.request("GET", f"/REST/2.0/user/{quote(self.config.username, safe='')}")
        )
        zone = user.get("Timezone") if isinstance(user, Mapping) else None
        return zone.strip() if isinstance(zone, str) else ""

    def _probe(self) -> QueryZone | None:
        offset = find_offset(self._first_ticket)
        if offset is None:
            return None
        self._zone = fixed_zone(offset)
        if offset_name(offset) != self.option_str("time_zone_found"):
            self._learned["time_zone_found"] = offset_name(offset)
        return self._zone

    def learned_options(self) -> Mapping[str, Any]:
        """The offset found by probing, when it is new, for the caller to record."""
        return dict(self._learned)

    def _first_ticket(self, query: str, order: str) -> Mapping[str, Any] | None:
        body = json_body(
            self.http.request(
                "GET",
                "/REST/2.0/tickets",
                params={
                    "query": query,
                    "fields": "LastUpdated",
                    "orderby": ["LastUpdated", "id"],
                    "order": [order, order],
                    "per_page": 1,
                },
            )
        )
        items = body.get("items") if isinstance(body, Mapping) else None
        if not isinstance(items, list):
            raise ResponseFormatError("RT answered without an 'items' list")
        return items[0] if items and isinstance(items[0], Mapping) else None

    def _query(self, start: datetime | None) -> str:
        admin = self.config.query.strip()
        if start is None:
            return admin or "id > 0"
        clause = f"LastUpdated >= '{self._literal(start, admin)}'"
        return f"({admin}) AND {clause}" if admin else clause

    def _literal(self, start: datetime, admin: str) -> str:
        zone = self.query_zone()
        if zone is None:  # no ticket at all yet: any literal misses nothing
            return f"{start.astimezone(UTC):%Y-%m-%d %H:%M:%S}"
        if not zone.found:
            return f"{wall_clock_at_or_before(start, zone.zone, SECOND):%Y-%m-%d %H:%M:%S}"
        literal = guarded_literal(start, _offset(zone), admin, self._first_ticket)
        if literal is None and "time_zone_found" not in self._learned:
            # The stored offset may be from before a change of daylight saving: find it anew.
            self._zone = None
            zone = self._probe()
            if zone is not None:
                literal = guarded_literal(start, _offset(zone), admin, self._first_ticket)
        if literal is None:
            raise ConfigurationError(
                f"RT reads query dates neither at {zone.name if zone else 'any offset'} nor "
                "up to two hours earlier; set the option 'time_zone' to the RT server's "
                "$Timezone"
            )
        return literal

    def _search(self, query: str, page: int, per_page: int) -> Mapping[str, Any]:
        body = json_body(
            self.http.request(
                "GET",
                "/REST/2.0/tickets",
                params={
                    "query": query,
                    "fields": FIELDS,
                    "fields[Queue]": "Name",
                    "orderby": ["LastUpdated", "id"],
                    "order": ["ASC", "ASC"],
                    "per_page": per_page,
                    "page": page,
                },
            )
        )
        if not isinstance(body, Mapping) or not isinstance(body.get("items"), list):
            raise ResponseFormatError("RT answered without an 'items' list")
        return body

    def _raw_pages(self, watermark: Watermark) -> Iterator[RawPage]:
        query = self._query(watermark.query_start())
        page = 1
        while True:
            body = self._search(query, page, self.page_size)
            items = list(body["items"])
            pages = body.get("pages")
            more = bool(items) and (
                "next_page" in body or (isinstance(pages, int | float) and page < pages)
            )
            yield RawPage(records=items, is_last=not more)
            if not more:
                return
            newest = max(
                (identity[1] for r in items if (identity := self._identity(r))), default=None
            )
            restarted = self._query(newest) if newest is not None else query
            if restarted != query:
                query, page = restarted, 1
            else:
                page += 1

    def scope_parts(self) -> tuple[object, ...]:
        # A newly found offset is a fact about RT, not a new question: it keeps the cursor.
        # (The base's parts end with the options.)
        parts = super().scope_parts()
        options = [(k, v) for k, v in parts[-1] if k != "time_zone_found"]  # type: ignore[attr-defined]
        return (*parts[:-1], options)

    # --- normalizing -----------------------------------------------------------------

    def _ticket_id(self, ticket: Mapping[str, Any]) -> str:
        value = ticket.get("id")
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip().isdigit():
            raise RecordRejected(f"'id' is not a ticket number: {value!r}")
        return value.strip()

    def _identity(self, raw: object) -> tuple[str, datetime] | None:
        if not isinstance(raw, Mapping):
            return None
        try:
            ticket_id = self._ticket_id(raw)
            updated = _timestamp(raw, "LastUpdated")
        except RecordRejected:
            return None
        return (ticket_id, updated) if updated else None

    def _priority(self, ticket: Mapping[str, Any]) -> int:
        value = ticket.get("Priority")
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise RecordRejected("missing 'Priority' (was it in 'fields'?)")
        value = value.strip()
        if value in self.priority_map and not BAND.match(value):
            return self.priority_map[value]
        if WHOLE_NUMBER.match(value) is None:
            raise RecordRejected(f"unknown priority {value!r}; add it to the priority map")
        number = int(value)
        for low, high, priority in self.bands:
            if (low is None or number >= low) and (high is None or number <= high):
                return priority
        raise RecordRejected(f"priority {number} is in no band of the priority map")

    def _normalize(self, raw: object) -> NormalizedTicket:
        ticket = require_mapping(raw)
        ticket_id = self._ticket_id(ticket)
        updated = _timestamp(ticket, "LastUpdated")
        if updated is None:
            raise RecordRejected("missing 'LastUpdated' (was it in 'fields'?)")
        created = _timestamp(ticket, "Created")
        if created is None:
            raise RecordRejected("missing 'Created'")
        status = require_text(ticket, "Status")
        category = self.status_map.get(status) or self.status_map.get(status.lower())
        if category is None:
            raise RecordRejected(f"unknown status {status!r}; add it to the status map")
        custom = _custom_fields(ticket.get("CustomFields"))
        ci_values = custom.get(self.ci_field, []) if self.ci_field else []
        components = tuple(custom.get(self.component_field, [])) if self.component_field else ()
        labels = tuple(
            dict.fromkeys(
                value
                for name, values in custom.items()
                if name not in (self.ci_field, self.component_field)
                for value in values
            )
        )
        owner = _object_id(ticket.get("Owner"))
        subject = ticket.get("Subject")
        resolved = _timestamp(ticket, "Resolved")
        due = _timestamp(ticket, "Due")  # "not set" (1970) is None, as for every RT date
        active = category in ("open", "in_progress")
        return NormalizedTicket(
            external_id=ticket_id,
            key=f"RT#{ticket_id}",
            url=f"{self.config.base_url.rstrip('/')}/Ticket/Display.html?id={ticket_id}",
            title=subject.strip() if isinstance(subject, str) else "",
            status_raw=status,
            status_category=category,
            priority=self._priority(ticket),
            is_blocker=self.marks_blocker((*labels, *components)),
            assignee=None if owner in (None, "Nobody") else owner,
            assignment_group=_object_id(ticket.get("Queue")),
            reassignment_count=None,
            ci=ci_values[0] if ci_values else None,
            components=components,
            labels=labels,
            opened_at=created,
            updated_at=updated,
            resolved_at=resolved,
            raw=dict(ticket),
            # LastUpdated has whole seconds and RT keeps no update counter on a ticket.
            revision=content_revision(ticket),
            # RT has no SLA flag: Due against Resolved, or against now while active.
            sla_breached=sla.due_result(due, resolved, active=active, now=self.source_now()),
            due_at=due,
        )

    # --- connection check ------------------------------------------------------------

    def test_connection(self) -> str:
        about = json_body(self.http.request("GET", "/REST/2.0/rt"))
        version = about.get("Version", "?") if isinstance(about, Mapping) else "?"
        zone = self.query_zone()
        body = self._search(self._query(None), 1, 1)
        total = body.get("total")
        found = f"{int(total)} tickets match the query" if isinstance(total, int | float) else "ok"
        if zone is not None and not zone.found:
            now = datetime.now(UTC).astimezone(zone.zone)
            dates = f"query dates are sent in {zone.name} (now {now:%H:%M} there)"
        else:
            who = (
                f"the RT user {self.config.username!r} has no time zone of its own"
                if self.config.username
                else "the connector has no username to read the RT user's time zone by"
            )
            dates = f"{who}, so RT uses the server's $Timezone, which the API does not show; " + (
                f"asking RT about its newest ticket found it reads query dates at "
                f"{zone.name} now (set the option 'time_zone' to the server's zone to "
                "follow daylight saving without extra queries)"
                if zone is not None
                else "it is found from the first ticket (with none yet, a sync needs none)"
            )
        return (
            f"Connected to Request Tracker {version} at {self.config.base_url}: {found}; {dates}."
        )


def _offset(zone: QueryZone) -> timedelta:
    offset = zone.zone.utcoffset(None)
    assert offset is not None  # a found zone is a fixed offset
    return offset
