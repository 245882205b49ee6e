"""Jira Service Management Operations (JSM Ops) REST API connector: alerts as tickets.

JSM Operations is Opsgenie's successor inside Jira Service Management; Opsgenie's own API
(``api.opsgenie.com``) stops answering in April 2027.

Wire facts (sources below):

- Base URL ``https://api.atlassian.com/jsm/ops/api/{cloudId}``; the cloud id (a UUID) is
  the site's, from ``https://<site>.atlassian.net/_edge/tenant_info``. Basic auth with the
  account's email and an Atlassian API token. [1][2][3]
- ``GET /v1/alerts``: ``query`` (the alert search syntax, Lucene-like ``field: value``
  clauses joined by ``AND``), ``sort`` (``createdAt``, ``insertedAt``, ``lastOccurredAt`` or
  ``priority``: *not* the update time), ``order`` (``asc``/``desc``), ``offset`` and
  ``size``; "more than 20000 alerts cannot be retrieved: sum of offset and size should be
  lower than 20K". The answer is ``{"values": [...], "count", "links": {"next"}}``. [1][3]
- In a query ``createdAt`` takes epoch milliseconds and ``status`` is ``open`` or ``closed``
  [4]; ``createdAt >= <ms>`` uses the search syntax's condition operators, which [4] says
  alerts share with users but which the copies read here do not list (the operator is as
  issue 16 states it). The list's ``from``/``to`` (epoch ms) would be the alternative.
- ``GET /v1/alerts/{id}`` answers the alert itself (``AlertResponse``); an alert that was
  deleted answers 404 (as Opsgenie's did; the reference names no other meaning). [1]
- Alert fields read (``AlertResponse``): ``id``, ``tinyId`` (short, and reused over time),
  ``message``, ``status``, ``acknowledged``, ``snoozed``, ``priority`` (``P1``..``P5``),
  ``createdAt``/``updatedAt`` (ISO 8601, milliseconds, ``Z``), ``tags``, ``entity``,
  ``source``, ``owner`` (a display name), ``integrationName``, ``responders`` (``[{"id",
  "type": "team" | "user" | "escalation" | "schedule"}]``, a ``name`` only sometimes).
  ``closeTime`` is not in the reference but is in live answers [3]; it is read when present.
  No field links to the alert in the web UI; the UI's path ``/jira/ops/alerts/{id}`` on the
  site [5] gives the link when the ``site_url`` option is set.
- Rate limits: Atlassian's cloud APIs answer 429 with ``Retry-After`` (seconds) and/or
  ``X-RateLimit-Reset`` (an ISO 8601 time); the HTTP client waits either (.http). [6]
- The Webhook integration POSTs ``{"action": "Create" | "Acknowledge" | "Close" | "Delete"
  | ..., "alert": {"alertId", "tinyId", "message", "createdAt" (epoch ms), "updatedAt"
  (epoch ns), ...}, "source", "integrationName"}`` with no status or priority for most
  actions, and no signature of its own (custom headers only). [7]

How a sync mirrors exactly without a sort by update time (the PagerDuty pattern):

1. every open alert (``status: open``), every run: acknowledgements, snoozes, new owners,
   priorities and responders of open alerts;
2. the alerts created since the cursor (a first or full sync: since the oldest alert, or the
   last ``initial_days``), ``sort=createdAt&order=asc``; when ``offset + size`` would reach
   20,000 the read restarts at the newest creation time read (records of that millisecond
   are read again and passed on once);
3. the alerts open at the end of the previous run that 1 and 2 did not return (closed
   since), by id; a 404 there is a deleted alert, marked missing through the ingest step.

The cursor is the watermark (its time: the source's ``Date`` at the run's first answer,
minus the overlap) plus ``open``, the ids of the alerts open after the run (about 60 bytes an
alert: 5,000 open alerts make a 300 kB cursor). A closed alert that changes again (a tag, a
note) is repaired by the daily full reconciliation. Each alert closed between two runs costs
the second one request (docs/benchmarks.md); ``alertId: <id> OR ...`` in one query [4] could
batch them, once the operators are confirmed.

Status: ``closed`` → resolved; an open alert ``snoozed`` or ``acknowledged`` (raw status
``snoozed``/``acknowledged``) → in progress; otherwise ``open`` → open. Key ``ALERT-<tinyId>``;
external id the alert id; owner → assignee; the first team responder → assignment group;
entity → CI and component; tags → labels.

Sources: [1] developer.atlassian.com/cloud/jira/service-desk-ops/rest/v2/api-group-alerts
(List alerts, Get alert, AlertResponse), read as an OpenAPI-generated client's AlertsApi.md
and AlertResponse.md restate it; [2] that reference's Postman collection
(jira-service-desk-ops.1.postman.json, basic auth and API tokens); [3] live answers quoted by
public JSM Ops clients (``values``/``count``/``links.next``, ``closeTime``); [4] Opsgenie's
"Alerts Search Query Help" (docs.opsgenie.com) and Atlassian's "Search syntax for users"
(the same operators as alerts; ``createdAt`` in epoch ms); [5] the alert link of a public
JSM Ops Stream Deck plugin (not Atlassian's documentation); [6]
developer.atlassian.com/cloud/jira/platform/rate-limiting as JRACLOUD-69262 quotes it; [7]
support.atlassian.com "Alert action data" (the Webhook integration's bodies).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

from .base import (
    DATE_RESOLUTION,
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
from .timestamps import iso_field
from .watermark import Cursor, Watermark, run_start_cursor

__all__ = ["JsmOpsConnector"]

DEFAULT_STATUS_MAP: Mapping[str, StatusCategory] = {
    "open": "open",
    "acknowledged": "in_progress",
    "snoozed": "in_progress",
    "closed": "resolved",
}
DEFAULT_PRIORITY_MAP: Mapping[str, int] = {"P1": 1, "P2": 2, "P3": 3, "P4": 4, "P5": 5}
MAX_SIZE = 100  # Opsgenie's documented maximum; JSM's reference gives none
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The path the reference's URIs hang from, ending in the site's cloud id (a UUID).
BASE_PATH = re.compile(r"/jsm/ops/api/([0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12})/?$")
BASE_URL_HELP = (
    "the base URL must end in /jsm/ops/api/<cloud id>, e.g. "
    "https://api.atlassian.com/jsm/ops/api/<cloud id>; the cloud id is the UUID that "
    "https://<your-site>.atlassian.net/_edge/tenant_info gives"
)


def _ms(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(milliseconds=1)


def _created(record: object) -> datetime | None:
    if not isinstance(record, Mapping):
        return None
    try:
        return iso_field(record, "createdAt", expected="an ISO 8601 time")
    except RecordRejected:
        return None


def raw_status(alert: Mapping[str, Any]) -> str:
    """The status the maps read: ``closed``, else ``snoozed``/``acknowledged`` for an open
    alert so marked, else the API's own status."""
    status = require_text(alert, "status")
    if status != "open":
        return status
    if alert.get("snoozed") is True:
        return "snoozed"
    return "acknowledged" if alert.get("acknowledged") is True else "open"


class JsmOpsConnector(Connector):
    kind = "jsm_ops"
    label = "Jira Service Management Operations"
    auth_types = frozenset({"basic"})
    default_status_map = DEFAULT_STATUS_MAP
    default_priority_map = DEFAULT_PRIORITY_MAP
    max_page_size = MAX_SIZE
    default_page_size = MAX_SIZE
    default_overlap_seconds = 60
    # The 20,000 alerts one query serves; a class attribute so a test can lower it.
    max_records: ClassVar[int] = 20_000
    option_help: ClassVar[Mapping[str, str]] = {
        "site_url": "the Jira site, e.g. https://acme.atlassian.net, to link each alert "
        "(<site>/jira/ops/alerts/<id>); no link without it",
        "team_names": 'team id → name, e.g. {"c8007b3c-…": "Payments"}, for responders '
        "the API names by id only (the id is shown otherwise)",
        "initial_days": "days of alerts (by creation) a first or full sync reads, besides "
        "every open one (default: all, from the oldest alert)",
        "overlap_seconds": "seconds re-read at the start of each run (default 60)",
    }

    @classmethod
    def settings_problems(cls, *, base_url: str | None, username: str | None) -> dict[str, str]:
        """What the configuration pages refuse before saving (integrations.validation)."""
        problems = {}
        if base_url is not None and not BASE_PATH.search(urlsplit(base_url).path):
            problems["base_url"] = f"{BASE_URL_HELP[0].upper()}{BASE_URL_HELP[1:]}."
        if username is not None and not username.strip():
            problems["username"] = (
                "JSM Operations needs the Atlassian account's email as the user and an API "
                "token as the secret."
            )
        return problems

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        problems = self.settings_problems(
            base_url=self.config.base_url, username=self.config.username
        )
        if "base_url" in problems:
            raise ConfigurationError(f"{BASE_URL_HELP}; not {self.config.base_url!r}")
        if "username" in problems:
            raise ConfigurationError(problems["username"].rstrip("."))
        self.site_url = self.option_str("site_url").rstrip("/")
        if self.site_url and urlsplit(self.site_url).scheme not in ("http", "https"):
            raise ConfigurationError("option 'site_url' must be an http(s) URL")
        names = self.config.options.get("team_names", {})
        if not isinstance(names, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in names.items()
        ):
            raise ConfigurationError("option 'team_names' must map team ids to names")
        self.team_names: Mapping[str, str] = names
        days = self.config.options.get("initial_days")
        self.initial_days = None if days is None else self.option_int("initial_days", 0, minimum=1)
        self._run_start: datetime | None = None
        self._was_open: list[str] = []
        self._open_now: set[str] = set()

    # --- fetching --------------------------------------------------------------------

    def _query(self, *clauses: str) -> str:
        """The admin's query, in parentheses, AND our clauses."""
        user = self.config.query.strip()
        return " AND ".join([f"({user})", *clauses] if user else clauses)

    def _list(self, query: str, *, offset: int, size: int) -> tuple[list[object], bool]:
        params = {"query": query, "sort": "createdAt", "order": "asc", "offset": offset}
        body = json_body(self.http.request("GET", "/v1/alerts", params={**params, "size": size}))
        if not isinstance(body, Mapping) or not isinstance(body.get("values"), list):
            raise ResponseFormatError("JSM Operations answered without a 'values' list")
        links = body.get("links")
        more = isinstance(links, Mapping) and bool(links.get("next"))
        return list(body["values"]), more

    def _read(self, *clauses: str, since: datetime | None = None) -> Iterator[list[object]]:
        """Alerts matching ``clauses`` (created at or after ``since``), oldest first, page
        by page; restarted at the newest creation time read before ``offset + size``
        reaches the 20,000 the API serves."""
        offset = 0
        while True:
            window = (f"createdAt >= {_ms(since)}",) if since is not None else ()
            records, more = self._list(
                self._query(*clauses, *window), offset=offset, size=self.page_size
            )
            yield records
            offset += len(records)
            if not more or not records:
                return
            if offset + self.page_size >= self.max_records:
                newest = max((t for r in records if (t := _created(r)) is not None), default=None)
                if newest is None or (since is not None and newest <= since):
                    raise ResponseFormatError(
                        f"{self.max_records} or more JSM alerts were created in the same "
                        "millisecond; the list cannot page past them"
                    )
                since, offset = newest, 0

    def fetch_pages(self, cursor: Cursor | None) -> Iterator[Page]:
        """The base's pages; first, the ids the stored cursor left open (none when the
        cursor is for another query or URL: that run reads everything)."""
        stored = cursor.get("open") if isinstance(cursor, Mapping) else None
        same_scope = isinstance(cursor, Mapping) and cursor.get("scope") == self.scope()
        self._was_open = (
            [i for i in stored if isinstance(i, str)]
            if same_scope and isinstance(stored, list)
            else []
        )
        return super().fetch_pages(cursor)

    def page_cursor(self, watermark: Watermark, stored: Cursor | None, *, is_last: bool) -> Cursor:
        """As PagerDuty's: the reads are not oldest first, so pages before the last keep the
        stored cursor; the last moves it to this run's first answer and records the alerts
        open now, which the next run reads by id if they are no longer open."""
        cursor = run_start_cursor(watermark, stored, is_last=is_last, run_start=self._run_start)
        if not is_last:
            return cursor
        with_open: dict[str, Any] = dict(cursor)
        with_open["open"] = sorted(self._open_now)
        return with_open  # type: ignore[return-value]

    def _raw_pages(self, watermark: Watermark) -> Iterator[RawPage]:
        read: set[str] = set()
        self._run_start = None
        self._open_now = set()
        start = watermark.query_start()
        # Every record read goes to the ingest step, which writes only the changed ones:
        # an acknowledgement may leave an alert's times as they were.
        watermark.run_floor = None
        watermark.seen.clear()

        def seen(records: list[object]) -> list[object]:
            for record in records:
                if isinstance(record, Mapping) and isinstance(record.get("id"), str):
                    read.add(record["id"])
                    if record.get("status") == "closed":
                        self._open_now.discard(record["id"])
                    else:
                        self._open_now.add(record["id"])
            return records

        for records in self._read("status: open"):
            if self._run_start is None:
                # The source's clock at its first answer (Date has whole seconds).
                self._run_start = self.source_now() - DATE_RESOLUTION
            yield RawPage(records=seen(records), is_last=False)
        since = start if start is not None else self._first_start()
        for records in self._read(since=since):
            yield RawPage(records=seen(records), is_last=False)
        gone: list[str] = []
        closed: list[object] = []
        for alert_id in self._was_open:
            if alert_id in read:
                continue
            alert = self._alert(alert_id)
            if alert is None:
                gone.append(alert_id)
            else:
                closed.append(alert)
            if len(closed) >= self.page_size:
                yield RawPage(records=seen(closed), is_last=False)
                closed = []
        if closed:
            yield RawPage(records=seen(closed), is_last=False)
        yield RawPage(records=[], is_last=True, deleted=tuple(gone))

    def _first_start(self) -> datetime:
        """Where a sync without a cursor starts reading by creation: ``initial_days`` ago,
        else at the oldest alert (a full sync then sees every alert there is)."""
        now = self.source_now()
        if self.initial_days is not None:
            return now - timedelta(days=self.initial_days)
        records, _more = self._list(self._query(), offset=0, size=1)
        oldest = _created(records[0]) if records else None
        return min(oldest, now) if oldest is not None else now

    def _alert(self, alert_id: str) -> object | None:
        """The alert with this id, or None when the source answers 404 (deleted)."""
        response = self.http.request("GET", f"/v1/alerts/{quote(alert_id, safe='')}", accept=(404,))
        if response.status_code == 404:
            return None
        return json_body(response)

    def _raw_records(self, external_ids: list[str]) -> list[object] | None:
        return [a for i in external_ids if (a := self._alert(i)) is not None]

    # --- webhooks ---------------------------------------------------------------------

    def push_envelope(self, body: Mapping[str, Any]) -> tuple[PushAction, object]:
        """The Webhook integration's ``{"action", "alert": {"alertId", ...}}``. Its alert
        carries no status or priority for most actions, so the alert is read by its id and
        mirrored as a pulled one; ``Delete`` (or a 404) marks it missing. Any other body is
        read as an alert in the REST shape."""
        alert = body.get("alert")
        if "action" not in body or not isinstance(alert, Mapping):
            return "upsert", body
        alert_id = alert.get("alertId")
        if not isinstance(alert_id, str) or not alert_id.strip():
            raise RecordRejected("the webhook's 'alert' has no 'alertId'")
        if body["action"] == "Delete":
            return "delete", alert_id
        try:
            current = self._alert(alert_id)
        except ConnectorError as exc:
            raise RecordRejected(f"alert {alert_id} could not be read from JSM: {exc}") from exc
        return ("delete", alert_id) if current is None else ("upsert", current)

    # --- normalizing -----------------------------------------------------------------

    def _identity(self, raw: object) -> tuple[str, datetime] | None:
        if not isinstance(raw, Mapping) or not isinstance(raw.get("id"), str) or not raw["id"]:
            return None
        try:
            changed = iso_field(raw, "updatedAt", expected="an ISO 8601 time") or _created(raw)
        except RecordRejected:
            return None
        return (raw["id"], changed) if changed else None

    def _team(self, responders: object) -> str | None:
        if not isinstance(responders, list):
            raise RecordRejected("'responders' is not a list")
        for responder in responders:
            if isinstance(responder, Mapping) and responder.get("type") == "team":
                name = optional_text(responder.get("name"))
                ident = optional_text(responder.get("id"))
                return name or (self.team_names.get(ident, ident) if ident else None)
        return None

    def _normalize(self, raw: object) -> NormalizedTicket:
        alert = require_mapping(raw)
        alert_id = require_text(alert, "id")
        tiny_id = require_text(alert, "tinyId")
        created = iso_field(alert, "createdAt", expected="an ISO 8601 time")
        if created is None:
            raise RecordRejected("missing 'createdAt'")
        updated = iso_field(alert, "updatedAt", expected="an ISO 8601 time") or created
        status = raw_status(alert)
        category = self.status_map.get(status)
        if category is None:
            raise RecordRejected(f"unknown status {status!r}; add it to the status map")
        tags = alert.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise RecordRejected("'tags' is not a list of strings")
        team = self._team(alert.get("responders") or [])
        entity = optional_text(alert.get("entity"))
        message = alert.get("message")
        resolved = None
        if category in ("resolved", "closed", "cancelled"):
            resolved = iso_field(alert, "closeTime", expected="an ISO 8601 time") or updated
        return NormalizedTicket(
            external_id=alert_id,
            key=f"ALERT-{tiny_id}",
            url=f"{self.site_url}/jira/ops/alerts/{quote(alert_id, safe='')}"
            if self.site_url
            else "",
            title=message.strip() if isinstance(message, str) else "",
            status_raw=status,
            status_category=category,
            priority=self.map_priority(require_text(alert, "priority")),
            is_blocker=self.marks_blocker((*tags, *([team] if team else []))),
            assignee=optional_text(alert.get("owner")),
            assignment_group=team,
            reassignment_count=None,
            ci=entity,
            components=(entity,) if entity else (),
            labels=tuple(t.strip() for t in tags if t.strip()),
            opened_at=created,
            updated_at=updated,
            resolved_at=resolved,
            raw=dict(alert),
            revision=content_revision(alert),
        )

    # --- connection check ------------------------------------------------------------

    def test_connection(self) -> str:
        records, more = self._list(self._query("status: open"), offset=0, size=self.page_size)
        count = f"{len(records)}{'+' if more else ''}"
        return f"Connected to JSM Operations: {count} open alerts."
