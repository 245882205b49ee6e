"""PagerDuty REST API v2 connector: incidents as tickets.

Wire facts (sources below):

- Auth ``Authorization: Token token=<REST API key>`` and ``Accept:
  application/vnd.pagerduty+json;version=2``; the base URL is ``https://api.pagerduty.com``
  (``https://api.eu.pagerduty.com`` for EU accounts). [1]
- ``GET /incidents``: ``since``/``until`` filter on the incident's *creation* time, at most
  6 months apart; without them the last 30 days; ``date_range=all`` ignores both.
  ``statuses[]`` (triggered, acknowledged, resolved), ``time_zone``, ``sort_by=created_at:asc``.
  Classic offset paging: ``limit`` (<= 100), ``offset``, and ``more`` in the answer; a query
  serves at most 10,000 records (``offset + limit`` past it is refused). [1][2]
- ``GET /log_entries?since=&until=&is_overview=true&include[]=incidents``: the incident
  events (trigger, acknowledge, assign, escalate, resolve...), each naming its
  ``incident.id`` (a reference, or the incident itself when included);
  ``GET /incidents/{id}`` answers ``{"incident": {...}}``. [1]
- Incident fields read: ``id``, ``incident_number``, ``title``, ``status``, ``urgency``,
  ``priority.summary`` (``P1``..``P5`` by default, or null when priorities are off),
  ``service.summary``, ``teams[].summary``, ``assignments[].assignee.summary``,
  ``html_url``, ``created_at``, ``updated_at``, ``last_status_change_at``,
  ``resolved_at``; times are ISO 8601 with ``Z``. [1][5]
- Rate limit: 960 requests a minute per API key; a 429 carries ``ratelimit-limit``,
  ``ratelimit-remaining`` and ``ratelimit-reset`` (seconds until the window resets), which
  the HTTP client waits (.http, as it waits ``Retry-After``). [3]
- Webhooks v3: ``X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of the raw body with the
  subscription's secret>``, several comma-separated during a secret rotation, any one
  matching is enough; body ``{"event": {"event_type": "incident.triggered" | ...,
  "occurred_at", "data": {incident}}}``, where the incident has ``number`` and
  ``assignees`` (not ``incident_number``/``assignments``) and no ``updated_at``. [4]

How a sync mirrors exactly although the list filters on creation time only:

1. the open incidents (``statuses[]=triggered&statuses[]=acknowledged&date_range=all``),
   every run: acknowledgements, reassignments and priority changes of open incidents;
2. the incidents created since the cursor (a first sync or a full one: since the oldest
   incident, ``date_range=all&sort_by=created_at:asc&limit=1``, or the last ``initial_days``
   when that option is set), in windows of at most 180 days, sorted by creation; when
   ``offset + limit`` would pass 10,000 the window restarts at the newest creation time
   read (records at that time are read again, and passed on once);
3. on an incremental run, the incidents named by the log entries since the cursor that 1
   and 2 did not return (resolved since, or changed while resolved): as the entries embed
   them (``include[]=incidents``, an incident object with ``type: incident``), else read
   one by one with ``GET /incidents/{id}``.

The cursor's time is when the run's first answer was made (its ``Date``); pages before the
last keep the stored cursor, as the reads do not come oldest first. Within a run a record
read twice (open and newly created) is passed on once; every record read goes to the ingest
step, which writes only those whose values changed, so a reassignment that leaves the
incident's times as they were is still mirrored. A record's time is ``updated_at`` (else the
latest of ``last_status_change_at``/``created_at``), its revision a hash of its content.

Key ``PD-<incident_number>``; external id the incident id (``PABC123``).

Sources: [1] developer.pagerduty.com/api-reference (List incidents 9d0b4b12e36f9,
Get incident, List log entries); [2] community.pagerduty.com "Incidents don't show up in
REST API" (the 30-day default, 6-month window, ``date_range=all``); [3]
developer.pagerduty.com/docs/rest-api-rate-limits; [4] github.com/PagerDuty/developer-docs
docs/webhooks/04-Signatures.md and pkg.go.dev/github.com/PagerDuty/go-pagerduty/webhookv3;
[5] the incident shape as Datadog's PagerDuty action lists it (docs.datadoghq.com);
[6] PagerDuty's MCP server (``LogEntryInclude``: channels, incidents, services, teams, users).
Read again for this module: [2], [4], [6], and [1]'s parameters as New Relic's and Workato's
PagerDuty actions restate them; the rate limit [3], the 10,000 cap and the EU host are as
issue 16 states them from PagerDuty's documentation, not re-read here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote

from .base import DATE_RESOLUTION, Connector
from .errors import ConfigurationError, RecordRejected, ResponseFormatError
from .normalizing import content_revision, optional_text, require_mapping, require_text
from .responses import json_body
from .tickets import NormalizedTicket, PushAction, RawPage, StatusCategory
from .timestamps import iso_field
from .watermark import Cursor, Watermark, run_start_cursor

__all__ = ["PagerDutyConnector"]

ACCEPT = "application/vnd.pagerduty+json;version=2"
DEFAULT_STATUS_MAP: Mapping[str, StatusCategory] = {
    "triggered": "open",
    "acknowledged": "in_progress",
    "resolved": "resolved",
}
DEFAULT_PRIORITY_MAP: Mapping[str, int] = {"P1": 1, "P2": 2, "P3": 3, "P4": 4, "P5": 5}
MAX_LIMIT = 100
MAX_WINDOW = timedelta(days=180)  # "at most 6 months"
OPEN_STATUSES = ("triggered", "acknowledged")
EVENT_TYPES = (
    "incident.triggered",
    "incident.acknowledged",
    "incident.unacknowledged",
    "incident.reassigned",
    "incident.escalated",
    "incident.resolved",
    "incident.reopened",
    "incident.priority_updated",
    "incident.delegated",
)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _timestamp(record: Mapping[str, Any], name: str) -> datetime | None:
    return iso_field(record, name, expected="an ISO 8601 time")


def _summary(value: object) -> str | None:
    return optional_text(value.get("summary")) if isinstance(value, Mapping) else None


def _changed_at(incident: Mapping[str, Any]) -> datetime | None:
    updated = _timestamp(incident, "updated_at")
    if updated is not None:
        return updated
    stamps = [_timestamp(incident, n) for n in ("last_status_change_at", "created_at")]
    return max((s for s in stamps if s is not None), default=None)


class PagerDutyConnector(Connector):
    kind = "pagerduty"
    label = "PagerDuty"
    auth_types = frozenset({"token"})
    token_header = "Token token={secret}"
    default_status_map = DEFAULT_STATUS_MAP
    default_priority_map = DEFAULT_PRIORITY_MAP
    max_page_size = MAX_LIMIT
    default_page_size = MAX_LIMIT
    default_overlap_seconds = 60
    # The 10,000 records one query serves; a class attribute so a test can reach it.
    max_records: ClassVar[int] = 10_000
    option_help: ClassVar[Mapping[str, str]] = {
        "high_urgency_priority": "priority (1-5) of a high-urgency incident without a "
        "priority (default 2)",
        "low_urgency_priority": "priority (1-5) of a low-urgency incident without a priority "
        "(default 4)",
        "initial_days": "days of incidents (by creation) a first or full sync reads, besides "
        "every open one (default: all, from the oldest incident)",
        "overlap_seconds": "seconds re-read at the start of each run (default 60)",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.config.query.strip():
            raise ConfigurationError(
                "PagerDuty has no query language here: leave the query empty (every "
                "incident the API key can see is read)"
            )
        self.urgency_priority = {
            "high": self._priority_option("high_urgency_priority", 2),
            "low": self._priority_option("low_urgency_priority", 4),
        }
        days = self.config.options.get("initial_days")
        self.initial_days = None if days is None else self.option_int("initial_days", 0, minimum=1)
        self._run_start: datetime | None = None

    def _priority_option(self, name: str, default: int) -> int:
        value = self.option_int(name, default, minimum=1)
        if value > 5:
            raise ConfigurationError(f"option {name!r} must be between 1 and 5")
        return value

    # --- fetching --------------------------------------------------------------------

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        response = self.http.request("GET", path, params=params, headers={"Accept": ACCEPT})
        return json_body(response)

    def _list(self, params: dict[str, Any], start: int = 0) -> tuple[list[object], bool]:
        return self._list_page(params, offset=start, limit=self.page_size)

    def _list_page(
        self, params: dict[str, Any], *, offset: int = 0, limit: int
    ) -> tuple[list[object], bool]:
        body = self._get("/incidents", {**params, "limit": limit, "offset": offset})
        if not isinstance(body, Mapping) or not isinstance(body.get("incidents"), list):
            raise ResponseFormatError("PagerDuty answered without an 'incidents' list")
        return list(body["incidents"]), body.get("more") is True

    def _query(self, params: dict[str, Any]) -> Iterator[list[object]]:
        """One list query, page by page (offset paging below the 10,000 cap)."""
        offset = 0
        while True:
            records, more = self._list(params, offset)
            yield records
            offset += len(records)
            if not more or not records or offset + self.page_size > self.max_records:
                if more and records and offset + self.page_size > self.max_records:
                    raise _CapReached(records)
                return

    def _created_between(self, since: datetime, until: datetime) -> Iterator[list[object]]:
        """Incidents created in [since, until], in windows of at most 180 days, each
        restarted at its newest creation time when it reaches the 10,000 cap."""
        start = since
        while start < until:
            end = min(start + MAX_WINDOW, until)
            params = {
                "since": _iso(start),
                "until": _iso(end),
                "time_zone": "UTC",
                "sort_by": "created_at:asc",
            }
            try:
                yield from self._query(params)
            except _CapReached as cap:
                newest = max(
                    (t for r in cap.records if (t := _created(r)) is not None), default=None
                )
                if newest is None or newest <= start:
                    raise ResponseFormatError(
                        f"more than {self.max_records} PagerDuty incidents were created at "
                        f"{_iso(start)}; the list cannot page past them"
                    ) from None
                start = newest
                continue
            start = end

    def page_cursor(self, watermark: Watermark, stored: Cursor | None, *, is_last: bool) -> Cursor:
        return run_start_cursor(watermark, stored, is_last=is_last, run_start=self._run_start)

    def _raw_pages(self, watermark: Watermark) -> Iterator[RawPage]:
        read: set[str] = set()
        self._run_start = None
        start = watermark.query_start()
        # Every record read is offered to the ingest step, which writes only those whose
        # values changed (its fingerprint): an open incident re-read is not judged by its
        # times, which a reassignment or a new priority may leave as they were.
        watermark.run_floor = None
        watermark.seen.clear()

        def seen(records: list[object]) -> list[object]:
            for record in records:
                if isinstance(record, Mapping) and isinstance(record.get("id"), str):
                    read.add(record["id"])
            return records

        open_params = {"statuses[]": list(OPEN_STATUSES), "date_range": "all", "time_zone": "UTC"}
        try:
            for records in self._query(open_params):
                if self._run_start is None:
                    # The source's clock at its first answer (Date has whole seconds).
                    self._run_start = self.source_now() - DATE_RESOLUTION
                yield RawPage(records=seen(records), is_last=False)
        except _CapReached:
            raise ResponseFormatError(
                f"more than {self.max_records} PagerDuty incidents are open; the list cannot "
                "page past them"
            ) from None
        # Date has whole seconds: the end of its second, so that second's records are in.
        now = self.source_now() + DATE_RESOLUTION
        since = start if start is not None else self._first_start(now)
        for records in self._created_between(since, now):
            yield RawPage(records=seen(records), is_last=False)
        if start is not None:
            changed = self._logged_incidents(start, now)
            embedded = [r for i, r in changed.items() if i not in read and r is not None]
            for chunk in range(0, len(embedded), self.page_size):
                yield RawPage(records=embedded[chunk : chunk + self.page_size], is_last=False)
            for incident_id, record in changed.items():
                if incident_id not in read and record is None:
                    yield RawPage(records=[self._incident(incident_id)], is_last=False)
        yield RawPage(records=[], is_last=True)

    def _first_start(self, now: datetime) -> datetime:
        """Where a sync without a cursor starts reading by creation: ``initial_days`` ago,
        else at the oldest incident (a full sync then sees every incident there is)."""
        if self.initial_days is not None:
            return now - timedelta(days=self.initial_days)
        records, _more = self._list_page(
            {"date_range": "all", "sort_by": "created_at:asc", "time_zone": "UTC"}, limit=1
        )
        oldest = _created(records[0]) if records else None
        return min(oldest, now) if oldest is not None else now

    def _logged_incidents(self, since: datetime, until: datetime) -> dict[str, object | None]:
        """The incidents with log entries in [since, until], by id: the whole incident where
        the entry embeds it (``include[]=incidents``), else None (then read by id)."""
        found: dict[str, object | None] = {}
        offset = 0
        while True:
            body = self._get(
                "/log_entries",
                {
                    "since": _iso(since),
                    "until": _iso(until),
                    "time_zone": "UTC",
                    "is_overview": "true",
                    "include[]": "incidents",
                    "limit": MAX_LIMIT,
                    "offset": offset,
                },
            )
            if not isinstance(body, Mapping) or not isinstance(body.get("log_entries"), list):
                raise ResponseFormatError("PagerDuty answered without a 'log_entries' list")
            entries = body["log_entries"]
            for entry in entries:
                incident = entry.get("incident") if isinstance(entry, Mapping) else None
                if isinstance(incident, Mapping) and isinstance(incident.get("id"), str):
                    whole = incident if incident.get("type") == "incident" else None
                    if whole is not None or incident["id"] not in found:
                        found[incident["id"]] = whole
            offset += len(entries)
            if body.get("more") is not True or not entries:
                return found
            if offset + MAX_LIMIT > self.max_records:
                # Restart after the newest entry read (its second is read again; ids dedupe).
                newest = max(
                    (t for e in entries if isinstance(e, Mapping) and (t := _created(e))),
                    default=None,
                )
                if newest is None or newest <= since:
                    raise ResponseFormatError("too many PagerDuty log entries in one second")
                since, offset = newest, 0

    def _incident(self, incident_id: str) -> object:
        body = self._get(f"/incidents/{quote(incident_id, safe='')}")
        if not isinstance(body, Mapping) or "incident" not in body:
            raise ResponseFormatError(f"PagerDuty answered incident {incident_id} without it")
        return body["incident"]

    def _raw_records(self, external_ids: list[str]) -> list[object] | None:
        return [self._incident(i) for i in external_ids]

    # --- webhooks ---------------------------------------------------------------------

    def push_envelope(self, body: Mapping[str, Any]) -> tuple[PushAction, object]:
        """A v3 webhook ``{"event": {"event_type", "occurred_at", "data"}}``; its incident
        is read as a pulled one, with ``number``/``assignees`` in the REST names and the
        event time as ``updated_at``."""
        event = body.get("event")
        if not isinstance(event, Mapping):
            return "upsert", body
        event_type = event.get("event_type")
        if event_type not in EVENT_TYPES:
            raise RecordRejected(f"unsupported PagerDuty event {event_type!r}")
        data = require_mapping(event.get("data"), "'event.data'")
        incident = dict(data)
        if "incident_number" not in incident and "number" in incident:
            incident["incident_number"] = incident["number"]
        if "assignments" not in incident and isinstance(incident.get("assignees"), list):
            incident["assignments"] = [{"assignee": a} for a in incident["assignees"]]
        if "updated_at" not in incident and isinstance(event.get("occurred_at"), str):
            incident["updated_at"] = event["occurred_at"]
        return "upsert", incident

    # --- normalizing -----------------------------------------------------------------

    def _identity(self, raw: object) -> tuple[str, datetime] | None:
        if not isinstance(raw, Mapping) or not isinstance(raw.get("id"), str) or not raw["id"]:
            return None
        try:
            changed = _changed_at(raw)
        except RecordRejected:
            return None
        return (raw["id"], changed) if changed else None

    def _priority(self, incident: Mapping[str, Any]) -> int:
        name = _summary(incident.get("priority"))
        if name is not None:
            return self.map_priority(name)
        urgency = incident.get("urgency")
        if urgency not in self.urgency_priority:
            raise RecordRejected(f"no priority and urgency {urgency!r} is not high or low")
        return self.urgency_priority[urgency]

    def _normalize(self, raw: object) -> NormalizedTicket:
        incident = require_mapping(raw)
        incident_id = require_text(incident, "id")
        number = require_text(incident, "incident_number")
        created = _timestamp(incident, "created_at")
        if created is None:
            raise RecordRejected("missing 'created_at'")
        updated = _changed_at(incident) or created
        status = require_text(incident, "status")
        category = self.status_map.get(status)
        if category is None:
            raise RecordRejected(f"unknown status {status!r}; add it to the status map")
        teams = incident.get("teams") or []
        assignments = incident.get("assignments") or []
        if not isinstance(teams, list) or not isinstance(assignments, list):
            raise RecordRejected("'teams' or 'assignments' is not a list")
        team_names = [n for t in teams if (n := _summary(t))]
        assignees = [
            n for a in assignments if isinstance(a, Mapping) and (n := _summary(a.get("assignee")))
        ]
        service = _summary(incident.get("service"))
        title = incident.get("title")
        return NormalizedTicket(
            external_id=incident_id,
            key=f"PD-{number}",
            url=optional_text(incident.get("html_url")) or "",
            title=title.strip() if isinstance(title, str) else "",
            status_raw=status,
            status_category=category,
            priority=self._priority(incident),
            is_blocker=self.marks_blocker((*team_names, *((service and [service]) or []))),
            assignee=assignees[0] if assignees else None,
            assignment_group=team_names[0] if team_names else None,
            reassignment_count=None,
            ci=service,
            components=(service,) if service else (),
            labels=tuple(team_names),
            opened_at=created,
            updated_at=updated,
            resolved_at=_timestamp(incident, "resolved_at")
            or (_resolved_fallback(incident, updated) if category == "resolved" else None),
            raw=dict(incident),
            revision=content_revision(incident),
        )

    # --- connection check ------------------------------------------------------------

    def test_connection(self) -> str:
        records, more = self._list(
            {"statuses[]": list(OPEN_STATUSES), "date_range": "all", "time_zone": "UTC"}
        )
        count = f"{len(records)}{'+' if more else ''}"
        return f"Connected to PagerDuty: {count} open incidents."


class _CapReached(Exception):
    """A list query reached the 10,000 records PagerDuty serves; ``records`` the last page."""

    def __init__(self, records: list[object]) -> None:
        super().__init__("10,000 records")
        self.records = records


def _resolved_fallback(incident: Mapping[str, Any], updated: datetime) -> datetime:
    """A resolved incident without ``resolved_at``: its last status change was the resolve."""
    return _timestamp(incident, "last_status_change_at") or updated


def _created(record: object) -> datetime | None:
    if not isinstance(record, Mapping):
        return None
    try:
        return _timestamp(record, "created_at")
    except RecordRejected:
        return None
