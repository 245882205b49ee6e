"""Jira Cloud / Jira Service Management and Jira Data Center connector (itsm-apis.md §2).

Cloud: ``GET /rest/api/3/search/jql`` with explicit ``fields`` (only ``id`` comes back
otherwise) and ``nextPageToken`` paging; the key is absent on the last page (JRACLOUD-92184).
Auth is email + API token (basic). Data Center: ``GET /rest/api/2/search`` with
``startAt``/``total`` and a bearer PAT (DC 8.14+). On Cloud the old search answers 410
(CHANGE-2046), which surfaces as a permanent :class:`ApiRemovedError`.

Incremental JQL (§2 "Incremental JQL")::

    (<admin JQL>) AND updated >= "yyyy/MM/dd HH:mm" ORDER BY updated ASC, key ASC

The literal has minute precision and is read in the API account's time zone (JRACLOUD-74279),
read from ``/myself`` ``timeZone``. So the start is converted to that zone, truncated to the
minute, and the run re-reads an overlap window; the watermark drops what it already has by
``(id, updated)``. Like the ServiceNow pager, the query restarts at the newest minute
received whenever a page moves past it, so a changing result set cannot shift records past
the paging position across minutes.

SLA (Jira Service Management): the SLA custom fields are site-specific, so their ids are the
option ``{"sla_fields": ["customfield_10030", ...]}``, and they are requested with the other
fields. A value is ``{"id", "name", "ongoingCycle", "completedCycles": [...]}``; any cycle
``breached`` makes the ticket breached, cycles without a breach (completed or running) make it
met, no cycle in any field leaves it unknown. The ongoing cycle's ``breachTime.epochMillis``
is the deadline, else Jira's own ``duedate`` (the end of that day, UTC).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from . import sla
from .base import Connector
from .errors import ApiRemovedError, ConfigurationError, RecordRejected, ResponseFormatError
from .normalizing import optional_text, require_mapping, require_text
from .responses import json_body
from .tickets import NormalizedTicket, PushAction, RawPage, StatusCategory
from .timestamps import (
    iso_field,
    load_zone,
    wall_clock_at_or_before,
)
from .watermark import Watermark

__all__ = ["JiraConnector"]

# §2: statusCategory keys; "undefined" (id 1, "No Category") has no meaning to map.
STATUS_CATEGORY_KEYS: Mapping[str, StatusCategory] = {
    "new": "open",
    "indeterminate": "in_progress",
    "done": "resolved",
}
# Refinements looked up by status name, then by resolution name, before the category.
DEFAULT_STATUS_MAP: Mapping[str, StatusCategory] = {
    "Closed": "closed",
    "Cancelled": "cancelled",
    "Canceled": "cancelled",
    "Won't Do": "cancelled",
    "Declined": "cancelled",
}
DEFAULT_PRIORITIES: Mapping[str, int] = {
    "Highest": 1,
    "High": 2,
    "Medium": 3,
    "Low": 4,
    "Lowest": 5,
    # The older Jira Server scheme, still common on Data Center (not in the reference).
    "Blocker": 1,
    "Critical": 2,
    "Major": 3,
    "Minor": 4,
    "Trivial": 5,
}
BASE_FIELDS = (
    "summary",
    "status",
    "priority",
    "assignee",
    "created",
    "updated",
    "resolutiondate",
    "resolution",
    "labels",
    "components",
    "issuetype",
    "project",
    "duedate",
)
# §2: "Practical page cap is about 100 with full fields"; Atlassian says not to assume a
# fixed maximum, and both pagers cope with shorter pages.
MAX_RESULTS = 100
MINUTE = timedelta(minutes=1)
ORDER_BY = re.compile(r"order\s+by\b", re.IGNORECASE)


def _without_order_by(jql: str) -> str:
    """The admin's JQL without its ORDER BY (ours is needed for paging), quotes respected."""
    quote: str | None = None
    i = 0
    while i < len(jql):
        ch = jql[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif (i == 0 or not jql[i - 1].isalnum()) and ORDER_BY.match(jql, i):
            return jql[:i].strip()
        i += 1
    return jql.strip()


def _timestamp(fields: Mapping[str, Any], name: str) -> datetime | None:
    # §2: "yyyy-MM-dd'T'HH:mm:ss.SSSZ" in the requesting user's offset, e.g. +0100.
    return iso_field(fields, name, expected="a timestamp with an offset")


def _due_date(fields: Mapping[str, Any]) -> datetime | None:
    """Jira's own ``duedate`` ("yyyy-MM-dd", a day without a time) as the end of that day
    in UTC, when requested; an unreadable one is no due date, not a rejected issue."""
    value = fields.get("duedate")
    if not isinstance(value, str):
        return None
    try:
        day = datetime.strptime(value.strip(), "%Y-%m-%d")
    except ValueError:
        return None
    return day.replace(hour=23, minute=59, second=59, tzinfo=UTC)


def _field_text(value: object) -> str | None:
    """A custom field's value as text: string, option ``{"value"}``, user or named object."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, Mapping):
        for key in ("name", "value", "displayName", "label"):
            if isinstance(value.get(key), str):
                return optional_text(value[key])
        return None
    return optional_text(value)


def _names(values: object, what: str) -> tuple[str, ...]:
    if values is None:
        return ()
    if not isinstance(values, list):
        raise RecordRejected(f"{what!r} is not a list")
    names = [_field_text(v) for v in values]
    return tuple(dict.fromkeys(n for n in names if n))


class JiraConnector(Connector):
    kind = "jira"
    label = "Jira"
    auth_types = frozenset({"basic", "bearer"})
    default_status_map = DEFAULT_STATUS_MAP
    default_priority_map = DEFAULT_PRIORITIES
    max_page_size = MAX_RESULTS
    default_page_size = MAX_RESULTS
    # Minute precision plus a search index that can lag: re-read two minutes at each start.
    default_overlap_seconds = 120
    option_help: ClassVar[Mapping[str, str]] = {
        "deployment": "cloud (search/jql, default with basic auth) or datacenter (api/2/search,"
        " default with a bearer PAT)",
        "time_zone": "the API account's IANA time zone; by default read from /myself",
        "flagged_field": "the 'Flagged' custom field id (e.g. customfield_10021): an "
        "'Impediment' flag marks a blocker",
        "assignment_group_field": "a field whose value is the assignment group (e.g. a team "
        "custom field)",
        "ci_field": "a field whose value is the configuration item",
        "default_priority": "priority (1-5) for issues without one (default 3)",
        "sla_fields": 'Jira Service Management SLA field ids, e.g. ["customfield_10030"]: '
        "breached if any cycle breached, met if cycles completed within goal; the ongoing "
        "cycle's breach time is the due date",
        "overlap_seconds": "seconds re-read at the start of each run (default 120)",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        default = "datacenter" if self.config.auth_type == "bearer" else "cloud"
        self.deployment = self.option_str("deployment", default) or default
        if self.deployment not in ("cloud", "datacenter"):
            raise ConfigurationError("Jira deployment must be 'cloud' or 'datacenter'")
        self.api = "/rest/api/3" if self.deployment == "cloud" else "/rest/api/2"
        self.flagged_field = self.option_str("flagged_field")
        self.group_field = self.option_str("assignment_group_field")
        self.ci_field = self.option_str("ci_field")
        self.default_priority = self.option_int("default_priority", 3, minimum=1)
        if self.default_priority > 5:
            raise ConfigurationError("option 'default_priority' must be between 1 and 5")
        self.sla_fields = self.option_list("sla_fields")
        extra = (self.flagged_field, self.group_field, self.ci_field, *self.sla_fields)
        self.fields = tuple(dict.fromkeys((*BASE_FIELDS, *(f for f in extra if f))))

    def scope_parts(self) -> tuple[object, ...]:
        return (*super().scope_parts(), self.deployment)

    # --- fetching --------------------------------------------------------------------

    def account_time_zone(self) -> str:
        """The zone Jira reads JQL dates in: the option, else ``/myself`` ``timeZone``."""
        configured = self.option_str("time_zone")
        if configured:
            return configured
        me = json_body(self.http.request("GET", f"{self.api}/myself"))
        zone = me.get("timeZone") if isinstance(me, Mapping) else None
        if not isinstance(zone, str) or not zone:
            raise ConfigurationError(
                "Jira did not report the account's time zone; set the option 'time_zone'"
            )
        return zone

    def _jql(self, start: datetime | None, zone_name: str) -> str:
        moment = start if start is not None else datetime(1970, 1, 2, tzinfo=UTC)
        local = wall_clock_at_or_before(moment, load_zone(zone_name), MINUTE)
        clause = f'updated >= "{local:%Y/%m/%d %H:%M}"'
        admin = _without_order_by(self.config.query)
        where = f"({admin}) AND {clause}" if admin else clause
        return f"{where} ORDER BY updated ASC, key ASC"

    def _search(self, jql: str, token: str | None, start_at: int) -> tuple[list[object], Any]:
        params: dict[str, str | int] = {
            "jql": jql,
            "maxResults": self.page_size,
            "fields": ",".join(self.fields),
        }
        if self.deployment == "cloud":
            path = f"{self.api}/search/jql"
            if token:
                params["nextPageToken"] = token
        else:
            path = f"{self.api}/search"
            params["startAt"] = start_at
        try:
            body = json_body(self.http.request("GET", path, params=params))
        except ApiRemovedError as exc:
            exc.message += (
                " — this is Jira Cloud: set the connector's deployment to 'cloud' and use an "
                "email + API token (basic auth)"
            )
            raise
        if not isinstance(body, Mapping) or not isinstance(body.get("issues"), list):
            raise ResponseFormatError("Jira answered without an 'issues' list")
        return list(body["issues"]), body

    def _raw_pages(self, watermark: Watermark) -> Iterator[RawPage]:
        zone_name = self.account_time_zone()
        jql = self._jql(watermark.query_start(), zone_name)
        token: str | None = None
        start_at = 0
        while True:
            issues, body = self._search(jql, token, start_at)
            if self.deployment == "cloud":
                token = body.get("nextPageToken") or None
                more = bool(issues) and token is not None and body.get("isLast") is not True
            else:
                served_from = body.get("startAt")
                start_at = (served_from if isinstance(served_from, int) else start_at) + len(issues)
                total = body.get("total")
                more = bool(issues) and (not isinstance(total, int) or start_at < total)
            yield RawPage(records=issues, is_last=not more)
            if not more:
                return
            newest = max(
                (identity[1] for r in issues if (identity := self._identity(r))), default=None
            )
            if newest is not None:
                restarted = self._jql(newest, zone_name)
                if restarted != jql:
                    jql, token, start_at = restarted, None, 0

    # --- webhooks ---------------------------------------------------------------------

    def push_envelope(self, body: Mapping[str, Any]) -> tuple[PushAction, object]:
        """Jira's issue events (`jira:issue_created|updated|deleted`) carry the issue as the
        search API returns it; a body without `webhookEvent` is the record itself."""
        if "webhookEvent" not in body:
            return "upsert", body
        event = body["webhookEvent"]
        issue = body.get("issue")
        if not isinstance(issue, Mapping):
            raise RecordRejected(f"{event}: 'issue' is missing or not an object")
        if event == "jira:issue_deleted":
            return "delete", str(issue.get("id", ""))
        if event not in ("jira:issue_created", "jira:issue_updated"):
            raise RecordRejected(f"unsupported Jira event {event!r}")
        return "upsert", issue

    # --- normalizing -----------------------------------------------------------------

    def _identity(self, raw: object) -> tuple[str, datetime] | None:
        if not isinstance(raw, Mapping) or not isinstance(raw.get("fields"), Mapping):
            return None
        issue_id = raw.get("id")
        if isinstance(issue_id, int) and not isinstance(issue_id, bool):
            issue_id = str(issue_id)
        try:
            updated = _timestamp(raw["fields"], "updated")
        except RecordRejected:
            return None
        if not isinstance(issue_id, str) or not issue_id or updated is None:
            return None
        return issue_id, updated

    def _status(self, fields: Mapping[str, Any]) -> tuple[str, StatusCategory]:
        status = require_mapping(fields.get("status"), "'status'")
        name = require_text(status, "name")
        if name in self.status_map:
            return name, self.status_map[name]
        resolution = fields.get("resolution")
        if isinstance(resolution, Mapping):
            resolution_name = optional_text(resolution.get("name"))
            if resolution_name and resolution_name in self.status_map:
                return name, self.status_map[resolution_name]
        category = status.get("statusCategory")
        key = category.get("key") if isinstance(category, Mapping) else None
        if not isinstance(key, str) or key not in STATUS_CATEGORY_KEYS:
            raise RecordRejected(
                f"status {name!r} has status category {key!r}; add {name!r} to the status map"
            )
        return name, STATUS_CATEGORY_KEYS[key]

    def _priority(self, fields: Mapping[str, Any]) -> int:
        priority = fields.get("priority")
        if priority is None:
            return self.default_priority
        return self.map_priority(require_text(require_mapping(priority, "'priority'"), "name"))

    def _normalize(self, raw: object) -> NormalizedTicket:
        issue = require_mapping(raw)
        issue_id = require_text(issue, "id")
        key = require_text(issue, "key")
        fields = require_mapping(issue.get("fields"), "'fields'")
        updated = _timestamp(fields, "updated")
        if updated is None:
            raise RecordRejected("missing 'updated' (was 'fields' requested?)")
        created = _timestamp(fields, "created")
        if created is None:
            raise RecordRejected("missing 'created'")
        status_name, category = self._status(fields)
        labels = _names(fields.get("labels"), "labels")
        components = _names(fields.get("components"), "components")
        flagged = False
        if self.flagged_field:
            flags = fields.get(self.flagged_field)
            # Jira's "Flagged" checkbox field holds [{"value": "Impediment", ...}] when set.
            flagged = isinstance(flags, list) and any(
                _field_text(flag) == "Impediment" for flag in flags
            )
        assignee = fields.get("assignee")
        summary = fields.get("summary")
        breached, due = sla.jira_sla(fields, self.sla_fields)
        return NormalizedTicket(
            external_id=issue_id,
            key=key,
            url=f"{self.config.base_url.rstrip('/')}/browse/{key}",
            title=summary.strip() if isinstance(summary, str) else "",
            status_raw=status_name,
            status_category=category,
            priority=self._priority(fields),
            is_blocker=flagged or self.marks_blocker((*labels, *components)),
            assignee=_field_text(assignee) if isinstance(assignee, Mapping) else None,
            assignment_group=(
                _field_text(fields.get(self.group_field)) if self.group_field else None
            ),
            reassignment_count=None,
            ci=_field_text(fields.get(self.ci_field)) if self.ci_field else None,
            components=components,
            labels=labels,
            opened_at=created,
            updated_at=updated,
            resolved_at=_timestamp(fields, "resolutiondate"),
            raw=dict(issue),
            sla_breached=breached,
            due_at=due or _due_date(fields),
        )

    # --- connection check ------------------------------------------------------------

    def test_connection(self) -> str:
        me = json_body(self.http.request("GET", f"{self.api}/myself"))
        if not isinstance(me, Mapping):
            raise ResponseFormatError("Jira's /myself answered something unexpected")
        who = me.get("displayName") or me.get("emailAddress") or me.get("name") or "?"
        zone = self.option_str("time_zone") or me.get("timeZone")
        if not zone:
            raise ConfigurationError(
                "Jira did not report the account's time zone; set the option 'time_zone'"
            )
        load_zone(str(zone))
        issues, body = self._search(self._jql(None, str(zone)), None, 0)
        flavour = "Jira Cloud" if self.deployment == "cloud" else "Jira Data Center"
        found = (
            f"{body['total']} issues match the query"
            if isinstance(body.get("total"), int)
            else ("the query matches issues" if issues else "the query matches no issues yet")
        )
        return f"Connected to {flavour} as {who} (time zone {zone}): {found}."
