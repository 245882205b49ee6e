"""ServiceNow Table API connector (itsm-apis.md §1).

Reads ``GET /api/now/table/{table}`` (incident by default; change_request, problem and
sc_req_item selectable) with an encoded query::

    <admin query>^sys_updated_on>=YYYY-MM-DD HH:MM:SS^ORDERBYsys_updated_on^ORDERBYsys_id

and offset paging (``sysparm_offset``/``sysparm_limit``, end detected from
``X-Total-Count``, else ``Link rel="next"``, else a short page).

Paging is keyset-first: once a page has moved the time forward, the next request starts
again at the newest ``sys_updated_on`` received, offset 0, instead of continuing the offset.
Offset paging over a set that changes while we read it skips rows (a record updated behind
the offset moves to the end and shifts the rest down; §1 "Offset paging over a changing set
can skip or duplicate rows"). Restarting at the newest timestamp re-reads only that second's
ties, which the watermark drops by ``(sys_id, sys_updated_on)``. Only when a whole page
shares one timestamp does the offset advance, inside that second.

SLA (DESIGN §2): ``made_sla`` "false" is breached, "true" met, absent unknown; ``sla_due``
(else ``due_date``) is the deadline; ``reopen_count`` is read as is. The option
``{"sla_source": "task_sla"}`` also reads the ``task_sla`` table (``has_breached``,
``planned_end_time``, ``stage``) for each page's records in one more request per page
(``taskIN<sys_ids>``): any breached row makes the ticket breached, rows without a breach make
it met, and the earliest running row's planned end is the deadline; a record without rows
keeps what ``made_sla`` says.

A record's fields are read by .servicenow_fields; the tables and their codes are in
.servicenow_tables.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx

from . import sla
from .base import Connector
from .errors import ConfigurationError, HttpStatusError, RecordRejected, ResponseFormatError
from .normalizing import require_mapping
from .responses import error_for_response, json_body
from .servicenow_fields import (
    BASE_FIELDS,
    TIMESTAMP_FORMAT,
    field_text,
    field_time,
    newest_update,
    record_identity,
    record_revision,
    reference_name,
)
from .servicenow_tables import DEFAULT_PRIORITIES, TABLE_STATES
from .tickets import NormalizedTicket, PushAction, RawPage, StatusCategory
from .watermark import Watermark

__all__ = ["TABLE_STATES", "ServiceNowConnector"]

UTC_ZONES = frozenset({"GMT", "UTC", "Etc/UTC", "Etc/GMT", "Greenwich", "Universal", "Zulu"})


def _query_literal(moment: datetime) -> str:
    # §1 "Safe recipe": the integration user's time zone is GMT and the literal is UTC.
    # Whether a bare literal is read as UTC or in the user's zone is [unconfirmed]; the
    # user's zone is checked by test_connection, which warns when it is not GMT.
    return moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def _without_ordering(query: str) -> str:
    """The admin's encoded query without ORDERBY parts: our ordering makes paging safe."""
    parts = [p for p in query.split("^") if p and not p.startswith("ORDERBY")]
    return "^".join(parts)


class ServiceNowConnector(Connector):
    kind = "servicenow"
    label = "ServiceNow"
    auth_types = frozenset({"basic", "bearer", "oauth"})
    oauth_token_path = "/oauth_token.do"  # §1 "Auth"
    default_status_map = TABLE_STATES["incident"]
    default_priority_map = DEFAULT_PRIORITIES
    max_page_size = 10000  # §1: sysparm_limit default and practical maximum
    # Not the 10,000 the API allows: 100 → 1,000 removes nine round trips in ten, while
    # 1,000 → 10,000 removes few more, about doubles the sync's peak memory (two pages are
    # in flight with the read-ahead) and makes each request long enough to meet an
    # instance's transaction timeouts (docs/benchmarks.md, "Default page sizes").
    default_page_size = 1000
    option_help: ClassVar[Mapping[str, str]] = {
        "table": "incident (default), change_request, problem or sc_req_item",
        "label_fields": "fields whose values become labels (default: category, subcategory)",
        "extra_fields": "more fields to fetch into the raw payload",
        "overlap_seconds": "seconds re-read at the start of each run (default 60)",
        "sla_source": "made_sla (default: the record's made_sla flag) or task_sla (also read "
        "the task_sla table, has_breached and planned_end_time, for each page's records: one "
        "more request a page)",
    }
    # A small overlap catches an update whose transaction committed after a later one was
    # read; the reference's recipe (>= plus de-dup) keeps the re-read records out.
    default_overlap_seconds = 60

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.table = self._table()
        self.label_fields = self.option_list("label_fields", ("category", "subcategory"))
        self.fields = tuple(
            dict.fromkeys((*BASE_FIELDS, *self.label_fields, *self.option_list("extra_fields")))
        )
        self.sla_source = self.option_str("sla_source", "made_sla") or "made_sla"
        if self.sla_source not in ("made_sla", "task_sla"):
            raise ConfigurationError(
                f"option 'sla_source' must be made_sla or task_sla, not {self.sla_source!r}"
            )

    def _table(self) -> str:
        table = self.option_str("table", "incident") or "incident"
        if table not in TABLE_STATES:
            raise ConfigurationError(
                f"ServiceNow table must be one of {', '.join(TABLE_STATES)}, not {table!r}"
            )
        return table

    def base_status_map(self) -> Mapping[str, StatusCategory]:
        return TABLE_STATES[self._table()]

    def scope_parts(self) -> tuple[object, ...]:
        return (*super().scope_parts(), self._table())

    # --- fetching --------------------------------------------------------------------

    def _encoded_query(self, since: datetime | None) -> str:
        condition = f"sys_updated_on>={_query_literal(since)}" if since is not None else ""
        # "^NQ" joins whole alternative queries with OR, so the time condition must be
        # added to each alternative, not once at the end.
        alternatives = [_without_ordering(q) for q in self.config.query.strip().split("^NQ")]
        if condition:
            alternatives = ["^".join(p for p in (alt, condition) if p) for alt in alternatives]
        query = "^NQ".join(a for a in alternatives if a)
        return "^".join(p for p in (query, "ORDERBYsys_updated_on^ORDERBYsys_id") if p)

    def _list(
        self, params: dict[str, str | int], *, table: str = ""
    ) -> tuple[list[object], httpx.Response]:
        response = self.http.request(
            "GET", f"/api/now/table/{table or self.table}", params=params, accept=(404,)
        )
        body = json_body(response)
        if response.status_code == 404:
            # The v1 Table API answers a query without matches with 404 "No Record found"
            # (§1 "Endpoint"); the current version answers 200 {"result": []}.
            error = body.get("error") if isinstance(body, dict) else None
            if isinstance(error, dict) and error.get("message") == "No Record found":
                return [], response
            raise error_for_response(response)
        if isinstance(body, dict) and "error" in body:
            # pysnow treats an error object inside a 200 as an error (§1 "Errors").
            raise ResponseFormatError(f"ServiceNow returned an error: {body['error']}")
        if not isinstance(body, dict) or not isinstance(body.get("result"), list):
            raise ResponseFormatError("ServiceNow answered without a 'result' list")
        return list(body["result"]), response

    def _raw_pages(self, watermark: Watermark) -> Iterator[RawPage]:
        since = watermark.query_start()
        offset = 0
        while True:
            records, response = self._list(
                {
                    "sysparm_query": self._encoded_query(since),
                    "sysparm_fields": ",".join(self.fields),
                    "sysparm_limit": self.page_size,
                    "sysparm_offset": offset,
                    "sysparm_exclude_reference_link": "true",
                }
            )
            more = bool(records) and _has_more(response, offset, len(records), self.page_size)
            yield RawPage(records=self._with_task_sla(records), is_last=not more)
            if not more:
                return
            newest = newest_update(records)
            if newest is not None and (since is None or newest > since):
                since, offset = newest, 0
            else:
                offset += len(records)

    def _raw_records(self, external_ids: list[str]) -> list[object] | None:
        records: list[object] = []
        for start in range(0, len(external_ids), self.page_size):
            chunk = [i for i in external_ids[start : start + self.page_size] if "," not in i]
            if not chunk:
                continue
            found, _ = self._list(
                {
                    "sysparm_query": f"sys_idIN{','.join(chunk)}",
                    "sysparm_fields": ",".join(self.fields),
                    "sysparm_limit": len(chunk),
                    "sysparm_exclude_reference_link": "true",
                }
            )
            records.extend(self._with_task_sla(found))
        return records

    def _with_task_sla(self, records: list[object]) -> list[object]:
        """With ``sla_source: task_sla``, each record with its task_sla rows (one request)."""
        if self.sla_source != "task_sla":
            return records

        def read(ids: list[str]) -> list[object]:
            rows, _ = self._list(
                {
                    "sysparm_query": f"taskIN{','.join(ids)}",
                    "sysparm_fields": "task,has_breached,planned_end_time,stage",
                    "sysparm_limit": 20 * len(ids),
                    "sysparm_exclude_reference_link": "true",
                },
                table="task_sla",
            )
            return rows

        return sla.with_task_sla(records, read)

    # --- webhooks ---------------------------------------------------------------------

    def push_envelope(self, body: Mapping[str, Any]) -> tuple[PushAction, object]:
        """An outbound REST message with the Table API record, bare or under `result`."""
        return "upsert", body.get("result", body)

    # --- normalizing -----------------------------------------------------------------

    def _identity(self, raw: object) -> tuple[str, datetime] | None:
        return record_identity(raw)

    def _normalize(self, raw: object) -> NormalizedTicket:
        record = require_mapping(raw)
        sys_id = field_text(record, "sys_id")
        if not sys_id:
            raise RecordRejected("missing 'sys_id'")
        number = field_text(record, "number")
        if not number:
            raise RecordRejected("missing 'number'")
        updated = field_time(record, "sys_updated_on")
        if updated is None:
            raise RecordRejected("missing 'sys_updated_on'")
        opened = field_time(record, "opened_at") or field_time(record, "sys_created_on")
        if opened is None:
            raise RecordRejected("missing 'opened_at' and 'sys_created_on'")
        state = field_text(record, "state")
        category = self.status_map.get(state)
        if category is None:
            raise RecordRejected(f"unknown {self.table} state {state!r}; add it to the status map")
        priority_code = field_text(record, "priority")
        if not priority_code:
            raise RecordRejected("missing 'priority'")
        priority = self.map_priority(priority_code)
        resolved = field_time(record, "resolved_at")
        if resolved is None and category not in ("open", "in_progress"):
            # change_request and sc_req_item have no resolved_at; closing resolves them.
            resolved = field_time(record, "closed_at")
        count_text = field_text(record, "reassignment_count")
        # "" is what an untouched problem sends (c_TableAPI.md PRB0000050): none yet.
        reassignments = int(count_text) if count_text.isdigit() else (0 if not count_text else None)
        labels = tuple(
            dict.fromkeys(text for name in self.label_fields if (text := field_text(record, name)))
        )
        service = reference_name(record, "business_service")
        components = (service,) if service else ()
        breached, due = self._sla(record)
        reopens = field_text(record, "reopen_count")
        return NormalizedTicket(
            external_id=sys_id,
            key=number,
            url=f"{self.config.base_url.rstrip('/')}/{self.table}.do?sys_id={sys_id}",
            title=field_text(record, "short_description"),
            status_raw=state,
            status_category=category,
            priority=priority,
            is_blocker=self.marks_blocker((*labels, *components)),
            assignee=reference_name(record, "assigned_to"),
            assignment_group=reference_name(record, "assignment_group"),
            reassignment_count=reassignments,
            ci=reference_name(record, "cmdb_ci"),
            components=components,
            labels=labels,
            opened_at=opened,
            updated_at=updated,
            resolved_at=resolved,
            raw=record if type(record) is dict else dict(record),  # decoded JSON: ours
            revision=record_revision(record),
            sla_breached=breached,
            due_at=due,
            reopen_count=int(reopens) if reopens.isdigit() else None,
        )

    def _sla(self, record: Mapping[str, Any]) -> tuple[bool | None, datetime | None]:
        """``made_sla`` ("true": met) and ``sla_due`` / ``due_date``; with the task_sla
        option, the task_sla rows read with the page decide where there are any."""
        made = sla.servicenow_flag(record.get("made_sla"), "made_sla")
        breached = None if made is None else not made
        due = field_time(record, "sla_due") or field_time(record, "due_date")
        if self.sla_source == "task_sla":
            from_rows, planned_end = sla.servicenow_task_sla(record.get("task_sla"))
            breached = breached if from_rows is None else from_rows
            if planned_end:
                due = field_time({"planned_end_time": planned_end}, "planned_end_time") or due
        return breached, due

    # --- connection check ------------------------------------------------------------

    def test_connection(self) -> str:
        _, response = self._list(
            {
                "sysparm_query": self._encoded_query(None),
                "sysparm_fields": "sys_id",
                "sysparm_limit": 1,
            }
        )
        total = response.headers.get("X-Total-Count")
        count = f"{total} {self.table} records match" if total else f"{self.table} is readable"
        lines = [f"Connected to ServiceNow at {self.config.base_url}: {count}."]
        lines += self._time_zone_notes()
        lines += self._state_choice_notes()
        return "\n".join(lines)

    def _time_zone_notes(self) -> list[str]:
        if self.config.auth_type != "basic" or not self.config.username:
            return [
                "Note: make sure the integration user's time zone is GMT (query dates are "
                "sent in UTC)."
            ]
        try:
            response = self.http.request(
                "GET",
                "/api/now/table/sys_user",
                params={
                    "sysparm_query": f"user_name={self.config.username}",
                    "sysparm_fields": "user_name,time_zone",
                    "sysparm_limit": 1,
                },
            )
            result = json_body(response).get("result") or [{}]
            zone = field_text(result[0], "time_zone")
        except (HttpStatusError, ResponseFormatError, AttributeError, IndexError, TypeError):
            return ["Note: could not read the integration user's time zone; it should be GMT."]
        if zone and zone not in UTC_ZONES:
            return [
                f"Warning: the integration user's time zone is {zone}. Set it to GMT: the "
                "sync sends UTC times, and whether ServiceNow reads them in the user's zone "
                "is unconfirmed (reference §1 'Safe recipe')."
            ]
        return []

    def _state_choice_notes(self) -> list[str]:
        # §1: instances customise choices; sys_choice lists the ones in use.
        try:
            response = self.http.request(
                "GET",
                "/api/now/table/sys_choice",
                params={
                    "sysparm_query": f"name={self.table}^element=state^inactive=false",
                    "sysparm_fields": "value,label",
                },
            )
            choices = json_body(response).get("result") or []
            unmapped = [
                f"{field_text(c, 'value')} ({field_text(c, 'label')})"
                for c in choices
                if isinstance(c, Mapping) and field_text(c, "value") not in self.status_map
            ]
        except (HttpStatusError, ResponseFormatError, AttributeError, RecordRejected):
            return []
        if unmapped:
            return [f"Warning: state codes not in the status map: {', '.join(unmapped)}."]
        return []


def _has_more(response: httpx.Response, offset: int, count: int, limit: int) -> bool:
    """Whether the query has rows after this page (§1 "Headers")."""
    total = response.headers.get("X-Total-Count")
    if total is not None and total.strip().isdigit():
        return offset + count < int(total)
    if "Link" in response.headers:
        return "next" in response.links
    return count >= limit
