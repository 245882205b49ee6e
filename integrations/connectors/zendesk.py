"""Zendesk Support connector: tickets through the cursor-based incremental export.

Wire facts (sources below):

- Auth: HTTP Basic with ``{email}/token`` as the user and the API token as the password;
  the base URL is ``https://{subdomain}.zendesk.com``. [1][5]
- ``GET /api/v2/incremental/tickets/cursor.json?start_time=<unix seconds>`` starts an
  export, ``?cursor=<after_cursor>`` carries it on (no start time then). An answer is
  ``{"tickets": [...], "after_url", "after_cursor", "before_url", "before_cursor",
  "end_of_stream": bool}``; ``per_page`` up to 1,000 (the default); the export has caught up
  when ``end_of_stream`` is true, and its ``after_cursor`` is where the next export starts.
  The filter is on each ticket's ``generated_timestamp`` (moved by every update, system ones
  too), not ``updated_at``, so a ticket can come with an older ``updated_at`` than the
  start. Items changed within the minute before the request are left out (they come in the
  next export, from the cursor). An answer without tickets may carry no cursor. [1][2][3][4]
- Deleted tickets are exported with ``status: "deleted"`` unless ``exclude_deleted=true``;
  we want them, to mark them gone. [1]
- Sideloads (``include=``, comma-separated) come as top-level lists beside ``tickets``:
  ``users`` and ``groups`` (``{"id", "name"}``), ``metric_sets`` (one a ticket, by
  ``ticket_id``: ``reopens``, ``group_stations``, ``assignee_stations``, ``solved_at``...).
  ``last_audits`` is not served on the export. [1][6]
- Rate limit: 10 requests a minute on the incremental endpoints (30 with the High Volume
  add-on); over it a 429 with ``Retry-After`` (seconds), which .http waits. [1]
- Ticket fields read: ``id``, ``subject``, ``status`` (new, open, pending, hold, solved,
  closed; ``deleted`` in the export), ``priority`` (urgent, high, normal, low, or null),
  ``type``, ``assignee_id``, ``group_id``, ``tags``, ``custom_fields`` (``[{"id",
  "value"}]``), ``due_at`` (a task's due date), ``created_at``, ``updated_at``; ISO 8601
  with ``Z``. The agent's page of a ticket is ``/agent/tickets/{id}``. [1][7]
- ``GET /api/v2/tickets/show_many.json?ids=1,2`` (at most 100) answers ``{"tickets"}`` with
  the same sideloads; ``GET /api/v2/users/me.json`` answers ``{"user": {"name", "role"}}``
  (the export is for admins). [7]
- Webhooks sign ``X-Zendesk-Webhook-Signature: base64(HMAC-SHA256(secret, timestamp +
  body))`` with ``X-Zendesk-Webhook-Signature-Timestamp`` (checked in integrations/
  webhooks.py). A trigger's webhook sends the JSON body the trigger defines; an event
  subscription sends ``{"type": "zen:event-type:ticket.<event>", "subject":
  "zen:ticket:<id>", "detail": {"id" (a string), "status", "priority", "assignee_id",
  "group_id", "tags", "created_at", "updated_at"...}, "event": {...}}``; the deleting events
  are ``ticket.soft_deleted``, ``ticket.permanently_deleted``, ``ticket.marked_as_spam``. [8]

SLA: the ``slas`` sideload (``include=slas``) puts on each ticket ``{"policy_metrics":
[{"metric", "stage" (active, paused, achieved), "breach_at"...}]}``, as readers of the
export use it [9] (its fields are not in Zendesk's reference pages: read defensively, see
.zendesk_records). A running target past its ``breach_at`` is a breach, the earliest
running ``breach_at`` the deadline (else the ticket's own ``due_at``). Whether a target
reached was reached in time is not in it (Zendesk records that as ``breach`` ticket metric
events, a second export under the same 10-a-minute budget, not read): ``sla_breached`` is
then None (unknown), never a guessed "met". A target that runs out while the ticket is not
updated shows once the ticket is exported again (the daily reconciliation reads them all).

How a sync mirrors exactly: the stored cursor carries Zendesk's ``after_cursor`` (beside the
usual watermark, kept for the shape); each run resumes from it, so nothing is read twice and
nothing is skipped, however many tickets share a second at a page edge, and a ticket changed
in the last minute before a run comes in the next one. Each page's cursor is that page's
``after_cursor``: a run stopped half way resumes after its last committed page. A first or
full sync (no cursor) starts at ``start_time=0``: every ticket there is, deleted ones too,
which a full sync needs to flag the rest as gone; once caught up it asks once more, a minute
later, from the cursor, for the tickets that changed in the minute the export left out (else
a full sync would flag them gone until the next run). That is one request per 1,000 tickets,
paced to the rate limit (100,000 tickets: about ten minutes); Zendesk asks not to export
whole data sets repeatedly, and deletions come through the export itself, so the daily
reconciliation is the only repeated full read. Every ticket read goes to the ingest step,
which writes only those whose values changed; a deleted one is marked missing there
(``Page.deleted``). Requests to the export are spaced ``60 / requests_per_minute`` seconds
apart, so a long export does not run into the 429 at all.

Mapping: new/open → open, pending/hold → in progress, solved → resolved, closed → closed;
urgent/high/normal/low → 1/2/3/4, no priority → ``no_priority`` (default 3); the group's
name → assignment group, the assignee's name → assignee, tags → labels (a tag in the blocker
labels marks a blocker), ``ci_field`` (a custom field id) → CI and component; metric set
``reopens`` → reopen count, ``group_stations - 1`` → reassignment count, ``solved_at`` →
resolved. Key ``ZD-<id>``; external id the ticket id.

Sources: [1] developer.zendesk.com/api-reference/ticketing/ticket-management/
incremental_exports (rate limits, JSON formats, exclude_deleted, sideloads); [2]
developer.zendesk.com/documentation/ticketing/managing-tickets/using-the-incremental-export-api
(the last minute excluded; cursor-based exports; "You should not use this API to repeatedly
export complete data sets"); [3] the time-based export's page (generated_timestamp vs
updated_at), as developers.qodex.ai restates it; [4] Fivetran's "How does Fivetran sync
Zendesk ticket data incrementally?" (the answer's shape, ``after_cursor``
``MTU4MDc1Mzc5OC4wfHw0MzJ8``), and a Zendesk community thread on recovering an export
("the API doesn't return a cursor" when no records are returned); [5] Apache NiFi's
GetZendesk and Sling's Zendesk connection (``email/token`` Basic auth); [6]
developer.zendesk.com/documentation/ticketing/using-the-zendesk-api/side_loading; [7] the
Tickets API example ticket (fields, ``via``, ``custom_fields``); [8] the Zendesk webhook
signature as cpazaras/zendesk-webhook-signature-verification-php and other verifiers
implement it (developer.zendesk.com/documentation/webhooks/verifying);
developer.zendesk.com/api-reference/webhooks/event-types/ticket-events (the detail's
properties) and Prismatic's example event payload; [9] a Singer tap
reading ``include=metric_events,slas`` on the export (``slas`` an object per ticket), and
developer.zendesk.com/api-reference/ticketing/tickets/ticket_metric_events (breach events).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any, ClassVar, cast

from .base import (
    Connector,
    NormalizedTicket,
    Page,
    PushAction,
    RawPage,
    RecordRejected,
    StatusCategory,
    content_revision,
    json_body,
    optional_text,
    require_mapping,
    require_text,
)
from .errors import ConfigurationError, ConnectorError, ResponseFormatError
from .watermark import Cursor, Watermark
from .zendesk_records import (
    count,
    name,
    reference,
    sla_state,
    tickets_with_sideloads,
    timestamp,
)

__all__ = ["ZendeskConnector"]

EXPORT_PATH = "/api/v2/incremental/tickets/cursor.json"
SIDELOADS = "users,groups,metric_sets,slas"
DEFAULT_STATUS_MAP: Mapping[str, StatusCategory] = {
    "new": "open",
    "open": "open",
    "pending": "in_progress",
    "hold": "in_progress",
    "solved": "resolved",
    "closed": "closed",
}
DEFAULT_PRIORITY_MAP: Mapping[str, int] = {"urgent": 1, "high": 2, "normal": 3, "low": 4}
MAX_PER_PAGE = 1000
EXCLUDED_SECONDS = 60  # "items changed within the minute prior to your request are excluded"
SHOW_MANY_AT_MOST = 100
DEFAULT_REQUESTS_PER_MINUTE = 10
# Where Zendesk's position goes in our stored cursor (beside the watermark's keys).
AFTER_CURSOR = "zendesk_after_cursor"
START_TIME = "zendesk_start_time"
# Event-subscription webhooks after which the ticket is gone from the export's live view.
DELETING_EVENTS = frozenset(
    {"ticket.soft_deleted", "ticket.permanently_deleted", "ticket.marked_as_spam"}
)


class ZendeskConnector(Connector):
    kind = "zendesk"
    label = "Zendesk"
    auth_types = frozenset({"basic", "bearer"})
    default_status_map = DEFAULT_STATUS_MAP
    default_priority_map = DEFAULT_PRIORITY_MAP
    max_page_size = MAX_PER_PAGE
    default_page_size = MAX_PER_PAGE
    option_help: ClassVar[Mapping[str, str]] = {
        "no_priority": "priority (1-5) of a ticket without one (default 3, as 'normal')",
        "ci_field": "id of the custom field whose value names the ticket's CI/component",
        "requests_per_minute": "export requests a minute, to stay under Zendesk's limit "
        "(default 10; 30 with the High Volume API add-on)",
    }

    def __init__(self, *args: Any, sleep: Callable[[float], None] = time.sleep, **kwargs: Any):
        super().__init__(*args, sleep=sleep, **kwargs)
        config = self.config
        if config.query.strip():
            raise ConfigurationError(
                "Zendesk's export has no filter: leave the query empty (every ticket the "
                "admin account can see is read)"
            )
        if config.auth_type == "basic" and not config.username.strip().endswith("/token"):
            raise ConfigurationError(
                "the user must be '<email>/token' (Zendesk's API-token sign-in), the secret "
                "the API token"
            )
        self.no_priority = self.option_int("no_priority", 3, minimum=1)
        if self.no_priority > 5:
            raise ConfigurationError("option 'no_priority' must be between 1 and 5")
        ci_field = self.config.options.get("ci_field")
        if ci_field is not None and (isinstance(ci_field, bool) or not isinstance(ci_field, int)):
            raise ConfigurationError("option 'ci_field' must be a custom field id (a number)")
        self.ci_field: int | None = ci_field
        rate = self.option_int("requests_per_minute", DEFAULT_REQUESTS_PER_MINUTE, minimum=1)
        self.request_interval = 60.0 / rate
        self._sleep = sleep
        self._last_export: float | None = None
        self._stored: Cursor | None = None
        # Zendesk's position after the page just read: (after_cursor, start_time).
        self._position: tuple[str | None, int | None] = (None, None)
        self._page_deleted: tuple[str, ...] = ()

    # --- fetching --------------------------------------------------------------------

    def fetch_pages(self, cursor: Cursor | None) -> Iterator[Page]:
        """The base class's pages, each with the deleted tickets of the export page it
        came from (``_raw_pages`` is paused on each page while the base class builds it)."""
        self._stored = cursor
        for page in super().fetch_pages(cursor):
            yield dataclasses.replace(page, deleted=self._page_deleted)

    def _resume_from(self) -> tuple[str | None, int | None]:
        """Where the stored cursor left the export: Zendesk's cursor, else the start time
        of an export that answered none; (None, None) on a first or full sync, or when
        the settings changed since (the watermark's scope, as for every tool)."""
        stored = cast(Mapping[str, Any] | None, self._stored)
        if not stored or stored.get("scope") != self.scope():
            return None, None
        after, start = stored.get(AFTER_CURSOR), stored.get(START_TIME)
        if isinstance(after, str) and after:
            return after, None
        if isinstance(start, int) and not isinstance(start, bool):
            return None, start
        return None, None

    def _export(self, params: dict[str, Any], not_before: float = 0.0) -> Mapping[str, Any]:
        """One export request, no sooner than ``request_interval`` after the previous (nor
        than ``not_before``, a ``time.monotonic()``)."""
        wait = not_before - time.monotonic()
        if self._last_export is not None:
            wait = max(wait, self.request_interval - (time.monotonic() - self._last_export))
        if wait > 0:
            self._sleep(wait)
        try:
            body = json_body(self.http.request("GET", EXPORT_PATH, params=params))
        finally:
            self._last_export = time.monotonic()
        if not isinstance(body, Mapping) or not isinstance(body.get("tickets"), list):
            raise ResponseFormatError("Zendesk answered the export without a 'tickets' list")
        if not isinstance(body.get("end_of_stream"), bool):
            raise ResponseFormatError("Zendesk answered the export without 'end_of_stream'")
        return body

    def _raw_pages(self, watermark: Watermark) -> Iterator[RawPage]:
        # Zendesk's cursor decides what is read; every record read goes to the ingest step,
        # which writes only what changed (a system update moves generated_timestamp alone).
        watermark.run_floor = None
        watermark.seen.clear()
        after, start = self._resume_from()
        # A first or full read must see every ticket (a full sync flags the unseen ones as
        # gone), but the export leaves out those changed in its last minute; so once it has
        # caught up, it is asked once more a minute later, from its cursor.
        settle = after is None and start is None
        if settle:
            start = 0
        self._position = (after, start)
        not_before = 0.0
        while True:
            params: dict[str, Any] = {"per_page": self.page_size, "include": SIDELOADS}
            if after is not None:
                params["cursor"] = after
            else:
                params["start_time"] = start
            body = self._export(params, not_before)
            records, deleted = tickets_with_sideloads(body)
            next_cursor = body.get("after_cursor")
            if isinstance(next_cursor, str) and next_cursor:
                after, start = next_cursor, None
            # else: no tickets, no cursor; the next export starts where this one did.
            ended = body["end_of_stream"] or not (records or deleted)
            if not ended and (after, start) == self._position:
                raise ResponseFormatError(
                    "Zendesk's export answered more to come but no new after_cursor: "
                    "asking again would read the same page for ever"
                )
            self._position = (after, start)
            self._page_deleted = deleted
            if ended and settle:
                settle, not_before = False, time.monotonic() + EXCLUDED_SECONDS + 1
            elif ended:
                yield RawPage(records=records, is_last=True)
                return
            yield RawPage(records=records, is_last=False)

    def page_cursor(self, watermark: Watermark, stored: Cursor | None, *, is_last: bool) -> Cursor:
        cursor = watermark.to_cursor()
        after, start = self._position
        extra = cast(dict[str, Any], cursor)
        extra[AFTER_CURSOR] = after
        extra[START_TIME] = start
        return cursor

    def _raw_records(self, external_ids: list[str]) -> list[object] | None:
        records: list[object] = []
        ids = [i for i in external_ids if _ticket_number(i)]
        for chunk in range(0, len(ids), SHOW_MANY_AT_MOST):
            wanted = ",".join(ids[chunk : chunk + SHOW_MANY_AT_MOST])
            response = self.http.request(
                "GET",
                "/api/v2/tickets/show_many.json",
                params={"ids": wanted, "include": SIDELOADS},
            )
            body = json_body(response)
            if not isinstance(body, Mapping) or not isinstance(body.get("tickets"), list):
                raise ResponseFormatError("Zendesk answered show_many without a 'tickets' list")
            found, _deleted = tickets_with_sideloads(body)
            records += found
        return records

    # --- webhooks ---------------------------------------------------------------------

    def push_envelope(self, body: Mapping[str, Any]) -> tuple[PushAction, object]:
        """Two shapes. A trigger's webhook with the body the README documents,
        ``{"ticket": {...}}``: the ticket in the API's field names, with ``assignee`` and
        ``group`` objects carrying the names (``{{ticket.assignee.name}}``...); ``status:
        "deleted"`` is a deletion. Or an event-subscription webhook, ``{"type":
        "zen:event-type:ticket.<event>", "detail": {ticket}}``: its detail names the
        assignee and group by id only, so the ticket is read again by id (one request to
        the Tickets API, not the export) and mirrored as a pull would; the deleting
        events (soft or permanent deletion, marked as spam) mark it missing."""
        event_type = body.get("type")
        if isinstance(event_type, str) and event_type.startswith("zen:event-type:"):
            return self._event(event_type, body)
        if "ticket" not in body:
            return "upsert", body
        ticket = require_mapping(body.get("ticket"), "'ticket'")
        if str(ticket.get("status", "")).strip().lower() == "deleted":
            return "delete", require_text(ticket, "id")
        return "upsert", ticket

    def _event(self, event_type: str, body: Mapping[str, Any]) -> tuple[PushAction, object]:
        event = event_type.removeprefix("zen:event-type:")
        if not event.startswith("ticket."):
            raise RecordRejected(f"unsupported Zendesk event {event_type!r}")
        detail = require_mapping(body.get("detail"), "'detail'")
        ticket_id = require_text(detail, "id")
        if event in DELETING_EVENTS:
            return "delete", ticket_id
        try:
            found = self._raw_records([ticket_id]) or []
        except ConnectorError as exc:  # quarantined with the reason, not a failed request
            raise RecordRejected(
                f"Zendesk ticket {ticket_id} ({event_type}) could not be read back: {exc}"
            ) from exc
        if not found:
            raise RecordRejected(
                f"Zendesk ticket {ticket_id} ({event_type}) could not be read back by id; "
                "the next sync mirrors it"
            )
        return "upsert", found[0]

    # --- normalizing -----------------------------------------------------------------

    def _identity(self, raw: object) -> tuple[str, datetime] | None:
        if not isinstance(raw, Mapping):
            return None
        ident = raw.get("id")
        if isinstance(ident, bool) or not isinstance(ident, int | str) or not str(ident).strip():
            return None
        try:
            updated = timestamp(raw, "updated_at")
        except RecordRejected:
            return None
        return (str(ident).strip(), updated) if updated else None

    def _lookup(self, table: Mapping[str, StatusCategory] | Mapping[str, int], raw: str) -> Any:
        """Exact first, then as a trigger's placeholders display it ('Open', 'On-hold')."""
        if raw in table:
            return table[raw]
        folded = {k.casefold(): v for k, v in table.items()}
        return folded.get(raw.casefold(), folded.get(raw.casefold().removeprefix("on-")))

    def _priority(self, ticket: Mapping[str, Any]) -> int:
        raw = optional_text(ticket.get("priority"))
        if raw is None or raw == "-":
            return self.no_priority
        priority = self._lookup(self.priority_map, raw)
        if priority is None:
            raise RecordRejected(f"unknown priority {raw!r}; add it to the priority map")
        return int(priority)

    def _ci(self, ticket: Mapping[str, Any]) -> str | None:
        if self.ci_field is None:
            return None
        fields = ticket.get("custom_fields") or []
        if not isinstance(fields, list):
            raise RecordRejected("'custom_fields' is not a list")
        for field in fields:
            if isinstance(field, Mapping) and field.get("id") == self.ci_field:
                value = field.get("value")
                return optional_text(value) if not isinstance(value, int | float) else str(value)
        return None

    def _normalize(self, raw: object) -> NormalizedTicket:
        ticket = require_mapping(raw)
        ticket_id = require_text(ticket, "id")
        if not _ticket_number(ticket_id):
            raise RecordRejected(f"'id' is not a Zendesk ticket number: {ticket_id!r}")
        created = timestamp(ticket, "created_at")
        updated = timestamp(ticket, "updated_at")
        if created is None or updated is None:
            raise RecordRejected("missing 'created_at' or 'updated_at'")
        status = require_text(ticket, "status")
        category = self._lookup(self.status_map, status)
        if category is None:
            raise RecordRejected(f"unknown status {status!r}; add it to the status map")
        tags = ticket.get("tags") or []
        if isinstance(tags, str):  # a trigger's {{ticket.tags}}: space-separated
            tags = tags.split()
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise RecordRejected("'tags' is not a list of strings")
        metrics = ticket.get("metric_set")
        metrics = metrics if isinstance(metrics, Mapping) else {}
        stations = count(metrics.get("group_stations"))
        ci = self._ci(ticket)
        breached, deadline = sla_state(ticket, now=self.source_now())
        resolved_at = None
        if category in ("resolved", "closed"):
            resolved_at = timestamp(metrics, "solved_at") or updated
        subject = ticket.get("subject") or ticket.get("raw_subject")
        return NormalizedTicket(
            external_id=ticket_id,
            key=f"ZD-{ticket_id}",
            url=f"{self.config.base_url.rstrip('/')}/agent/tickets/{ticket_id}",
            title=subject.strip() if isinstance(subject, str) else "",
            status_raw=status,
            status_category=category,
            priority=self._priority(ticket),
            is_blocker=self.marks_blocker(tags),
            assignee=name(ticket.get("assignee")) or reference(ticket, "assignee_id"),
            assignment_group=name(ticket.get("group")) or reference(ticket, "group_id"),
            reassignment_count=max(stations - 1, 0) if stations is not None else None,
            ci=ci,
            components=(ci,) if ci else (),
            labels=tuple(t.strip() for t in tags if t.strip()),
            opened_at=created,
            updated_at=updated,
            resolved_at=resolved_at,
            raw=dict(ticket),
            revision=content_revision(ticket),
            sla_breached=breached,
            due_at=timestamp(ticket, "due_at") or deadline,
            reopen_count=count(metrics.get("reopens")),
        )

    # --- connection check ------------------------------------------------------------

    def test_connection(self) -> str:
        body = json_body(self.http.request("GET", "/api/v2/users/me.json"))
        user = body.get("user") if isinstance(body, Mapping) else None
        if not isinstance(user, Mapping):
            raise ResponseFormatError("Zendesk answered /users/me without a 'user'")
        who, role = name(user) or "?", user.get("role")
        if role != "admin":
            raise ConfigurationError(
                f"signed in as {who}, a Zendesk {role or 'anonymous user'}: the incremental "
                "export needs an admin's API token"
            )
        return f"Connected to Zendesk as {who} (admin)."


def _ticket_number(text: str) -> bool:
    """ASCII digits only: str.isdigit also takes '²' and other scripts' digits, which
    Zendesk refuses (a show_many with one of them would fail the whole re-read)."""
    return text.isascii() and text.isdigit()
