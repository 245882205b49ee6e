"""Jira Cloud REST v3, as ../shared/reference/itsm-apis.md section 2 describes it.

- ``GET``/``POST /rest/api/3/search/jql``: ``{"issues", "nextPageToken", "isLast"}``, no
  ``total``; ``nextPageToken`` is *absent* on the last page (JRACLOUD-92184); only ``id`` is
  returned unless ``fields`` asks for more; unbounded JQL is a 400.
- JQL date literals have minute precision and are read in the account's time zone, which
  ``GET /rest/api/3/myself`` reports (JRACLOUD-74279); timestamps carry that zone's offset.
- The removed ``/rest/api/{2,3}/search`` answers 410 (CHANGE-2046).

The page token is a keyset position (the sort key of the last issue sent), so an issue updated
while a client pages moves to the end and is seen again rather than skipped.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterator
from typing import Any, Final

from .faults import FaultInjector
from .jira_records import (
    ISSUE_TYPES,
    PRIORITIES,
    RESOLUTIONS,
    STATUS_CATEGORIES,
    STATUSES,
    JiraIssue,
    JiraUser,
)
from .jql import Jql, JqlError, parse_jql
from .store import SimulatorStore
from .timestamps import jira_format
from .wire import Request, Response, int_param

DEFAULT_MAX_RESULTS: Final = 50
# Atlassian does not promise a maximum; about 100 with full fields is what Cloud gives.
MAX_RESULTS_CAP: Final = 100
ALL_FIELDS: Final = (
    "summary",
    "status",
    "priority",
    "assignee",
    "reporter",
    "project",
    "issuetype",
    "components",
    "labels",
    "created",
    "updated",
    "resolutiondate",
    "resolution",
    "issuelinks",
    "description",
    "customfield_10030",  # JIRA_SLA_FIELD
)
# Jira Service Management's "Time to resolution" SLA, a custom field whose id differs per
# site (the connector's ``sla_fields`` option names it).
JIRA_SLA_FIELD: Final = "customfield_10030"
# The SLA goal by priority, in hours.
SLA_GOAL_HOURS: Final = {"Highest": 4, "High": 8, "Medium": 24, "Low": 72, "Lowest": 120}
UNBOUNDED: Final = (
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
)
REMOVED: Final = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)


def jira_error(status: int, *messages: str) -> Response:
    return Response(status, {"errorMessages": list(messages), "errors": {}})


def _sort_key(
    issue: JiraIssue, order: tuple[tuple[str, bool], ...], ranks: dict[str, int]
) -> list[int]:
    """Sort key as a list of ints (descending fields negated), ending with the issue key so
    that it is total: the page token is the key of the last issue sent."""
    key: list[int] = []
    for field, descending in order:
        sign = -1 if descending else 1
        if field == "key":
            key += [sign * ranks[issue.project], sign * issue.number]
        elif field == "priority":
            key.append(sign * int(PRIORITIES[issue.priority]))
        elif field == "id":
            key.append(sign * issue.id)
        else:
            value = getattr(issue, field)
            key.append(sign * (value if value is not None else 2**62))
    return [*key, ranks[issue.project], issue.number]


def _fast_order(order: tuple[tuple[str, bool], ...]) -> bool:
    return order in ((("updated", False),), (("updated", False), ("key", False)))


class JiraApi:
    def __init__(self, store: SimulatorStore, injector: FaultInjector) -> None:
        self.store = store
        self.injector = injector

    # GET/POST /rest/api/3/search/jql ------------------------------------------------------------

    def search(self, request: Request, *, anonymous: bool) -> Response:
        if request.method == "POST":
            try:
                body = request.json_body()
            except json.JSONDecodeError:
                return jira_error(
                    400,
                    "Invalid request payload. Refer to the REST API documentation and try again.",
                )
            if not isinstance(body, dict):
                return jira_error(
                    400,
                    "Invalid request payload. Refer to the REST API documentation and try again.",
                )
            jql = str(body.get("jql") or "")
            token = body.get("nextPageToken")
            max_results = int(body.get("maxResults") or DEFAULT_MAX_RESULTS)
            fields_value = body.get("fields") or []
            fields = [str(f) for f in fields_value] if isinstance(fields_value, list) else []
            expand = str(body.get("expand") or "")
        else:
            jql = request.param("jql", "") or ""
            token = request.param("nextPageToken")
            max_results = int_param(request, "maxResults", DEFAULT_MAX_RESULTS)
            fields = [f for value in request.params.get("fields", []) for f in value.split(",")]
            expand = request.param("expand", "") or ""
        max_results = min(max(max_results, 1), MAX_RESULTS_CAP)
        with self.store.lock:
            try:
                parsed = parse_jql(jql, self.store)
            except JqlError as exc:
                return jira_error(400, str(exc))
            if parsed.where is None:
                return jira_error(400, UNBOUNDED)
            if anonymous:
                # Anonymous requests "succeed" with zero results (reference §2): the projects
                # are not browsable without an account. A connector must not take this as "no
                # tickets changed".
                return Response(200, {"issues": [], "isLast": True})
            query_hash = hashlib.sha256(jql.encode()).hexdigest()[:12]
            after = _decode_token(token, query_hash) if token else None
            if token and after is None:
                return jira_error(400, "The provided next page token is invalid or expired.")
            page, more = self._page(parsed, after, max_results)
            ranks = self._ranks()
            wanted = _wanted_fields(fields)
            issues = [
                self._render(issue, wanted, "changelog" in expand.split(","), request.base_url)
                for issue in page
            ]
            payload: dict[str, Any] = {"issues": issues}
            if more and page:
                payload["nextPageToken"] = _encode_token(
                    query_hash, _sort_key(page[-1], self._order(parsed), ranks)
                )
            payload["isLast"] = not more
            return Response(200, payload)

    def _ranks(self) -> dict[str, int]:
        return {key: rank for rank, key in enumerate(sorted(self.store.jira.projects))}

    def _order(self, parsed: Jql) -> tuple[tuple[str, bool], ...]:
        return parsed.order or (("key", True),)  # Jira's default order: newest key first

    def _page(
        self, parsed: Jql, after: list[int] | None, limit: int
    ) -> tuple[list[JiraIssue], bool]:
        assert parsed.where is not None
        where = parsed.where
        order = self._order(parsed)
        ranks = self._ranks()
        jira = self.store.jira
        if _fast_order(order):
            # Walk the (updated, project, number) index from the first candidate.
            start = 0
            if parsed.updated_from is not None:
                start = jira.position_updated(
                    parsed.updated_from[0], inclusive=parsed.updated_from[1]
                )
            if after is not None:
                by_rank = {rank: key for key, rank in ranks.items()}
                updated, rank, number = after[0], after[-2], after[-1]
                start = max(start, jira.position_after((updated, by_rank.get(rank, ""), number)))
            candidates: Iterator[JiraIssue] = jira.ordered_from(start)
            if parsed.projects is not None:
                allowed = parsed.projects
                candidates = (i for i in candidates if i.project in allowed)
            page = []
            for issue in candidates:
                if where(issue):
                    page.append(issue)
                    if len(page) > limit:
                        break
            return page[:limit], len(page) > limit
        matching = sorted(
            (i for i in jira.all() if where(i)), key=lambda i: _sort_key(i, order, ranks)
        )
        if after is not None:
            matching = [i for i in matching if _sort_key(i, order, ranks) > after]
        return matching[:limit], len(matching) > limit

    # rendering -------------------------------------------------------------------------------

    def _user(self, account_id: str | None, base_url: str) -> dict[str, Any] | None:
        user = self.store.jira.users.get(account_id) if account_id else None
        if user is None:
            return None
        return {
            "self": f"{base_url}/rest/api/3/user?accountId={user.account_id}",
            "accountId": user.account_id,
            "displayName": user.display_name,
            "active": True,
            "timeZone": user.time_zone,
            "accountType": "atlassian",
        }

    def _render(
        self, issue: JiraIssue, wanted: frozenset[str] | None, changelog: bool, base: str
    ) -> Any:
        if wanted is not None and not wanted and not changelog:
            return {"id": str(issue.id)}  # "Only id is returned by default" (reference §2)
        zone = self.store.jira_zone
        status_id, category = STATUSES[issue.status]
        category_id, color, category_name = STATUS_CATEGORIES[category]
        project = self.store.jira.projects[issue.project]
        values: dict[str, Any] = {
            "summary": issue.summary,
            "status": {
                "self": f"{base}/rest/api/3/status/{status_id}",
                "description": "",
                "name": issue.status,
                "id": status_id,
                "statusCategory": {
                    "self": f"{base}/rest/api/3/statuscategory/{category_id}",
                    "id": category_id,
                    "key": category,
                    "colorName": color,
                    "name": category_name,
                },
            },
            "priority": {
                "self": f"{base}/rest/api/3/priority/{PRIORITIES[issue.priority]}",
                "name": issue.priority,
                "id": PRIORITIES[issue.priority],
            },
            "assignee": self._user(issue.assignee, base),
            "reporter": self._user(issue.reporter, base),
            "project": {
                "self": f"{base}/rest/api/3/project/{project.id}",
                "id": project.id,
                "key": project.key,
                "name": project.name,
                "projectTypeKey": "software",
                "simplified": False,
            },
            "issuetype": {
                "self": f"{base}/rest/api/3/issuetype/{ISSUE_TYPES.get(issue.issue_type, '10002')}",
                "id": ISSUE_TYPES.get(issue.issue_type, "10002"),
                "name": issue.issue_type,
                "subtask": False,
                "hierarchyLevel": 0,
            },
            "components": [
                {
                    "self": f"{base}/rest/api/3/component/{project.components.get(c, '0')}",
                    "id": project.components.get(c, "0"),
                    "name": c,
                }
                for c in issue.components
            ],
            "labels": list(issue.labels),
            "created": jira_format(issue.created, zone),
            "updated": jira_format(issue.updated, zone),
            "resolutiondate": (
                jira_format(issue.resolutiondate, zone)
                if issue.resolutiondate is not None
                else None
            ),
            "resolution": (
                {
                    "self": f"{base}/rest/api/3/resolution/{RESOLUTIONS[issue.resolution]}",
                    "id": RESOLUTIONS[issue.resolution],
                    "name": issue.resolution,
                    "description": "",
                }
                if issue.resolution
                else None
            ),
            "issuelinks": [],
            JIRA_SLA_FIELD: self._sla(issue),
            # v3 descriptions are Atlassian Document Format.
            "description": {
                "type": "doc",
                "version": 1,
                "content": [
                    {"type": "paragraph", "content": [{"type": "text", "text": issue.summary}]}
                ],
            },
        }
        rendered: dict[str, Any] = {
            "expand": "operations,versionedRepresentations,editmeta,changelog,renderedFields",
            "id": str(issue.id),
            "self": f"{base}/rest/api/3/issue/{issue.id}",
            "key": issue.key,
            "fields": {
                name: values[name] for name in ALL_FIELDS if wanted is None or name in wanted
            },
        }
        if changelog:
            rendered["changelog"] = self._changelog(issue, base)
        variant = self.injector.garble(f"jira:{issue.id}:{issue.updated}")
        return _garble(rendered, variant) if variant else rendered

    def _sla(self, issue: JiraIssue) -> dict[str, Any]:
        """The SLA field as JSM sends it (SlaInformation): a completed cycle once resolved,
        else the ongoing one; ``breached`` from the story where it says, else the clock."""
        zone = self.store.jira_zone
        goal = SLA_GOAL_HOURS.get(issue.priority, 24) * 3_600_000
        breach_at = issue.created + goal
        now = int(self.store.now().timestamp() * 1000)
        stop = issue.resolutiondate
        breached = issue.sla_breached
        if breached is None:
            if issue.project in self.store.scenario.sla_always_met:
                breached = False
            else:
                breached = (stop if stop is not None else now) > breach_at
        if not breached and stop is None:
            # Still within (the story says so): the deadline is ahead of the last update.
            breach_at = max(breach_at, issue.updated + goal)

        def moment(ms: int) -> dict[str, Any]:
            return {
                "epochMillis": ms,
                "iso8601": jira_format(ms, zone),
                "jira": jira_format(ms, zone),
            }

        cycle: dict[str, Any] = {
            "startTime": moment(issue.created),
            "breachTime": moment(breach_at),
            "breached": breached,
            "goalDuration": {"millis": goal, "friendly": f"{goal // 3_600_000}h"},
        }
        value: dict[str, Any] = {"id": "1", "name": "Time to resolution", "completedCycles": []}
        if stop is not None:
            value["completedCycles"] = [{**cycle, "stopTime": moment(stop)}]
        else:
            value["ongoingCycle"] = {**cycle, "paused": False, "withinCalendarHours": False}
        return value

    def _changelog(self, issue: JiraIssue, base: str) -> dict[str, Any]:
        zone = self.store.jira_zone
        histories = [
            {
                "id": str(h.id),
                "author": self._user(h.author, base),
                "created": jira_format(h.created, zone),
                "items": [
                    {
                        "field": c.field,
                        "fieldtype": "jira",
                        "fieldId": c.field,
                        "from": c.from_id,
                        "fromString": c.from_string,
                        "to": c.to_id,
                        "toString": c.to_string,
                    }
                    for c in h.items
                ],
            }
            for h in issue.history
        ]
        return {
            "startAt": 0,
            "maxResults": len(histories),
            "total": len(histories),
            "histories": histories,
        }

    # GET /rest/api/3/myself, /rest/api/3/issue/{idOrKey} ---------------------------------------

    def myself(self, request: Request, account: JiraUser) -> Response:
        return Response(
            200,
            {
                "self": f"{request.base_url}/rest/api/3/user?accountId={account.account_id}",
                "accountId": account.account_id,
                "accountType": "atlassian",
                "emailAddress": account.email,
                "displayName": account.display_name,
                "active": True,
                "timeZone": account.time_zone,
                "locale": "en_US",
                "groups": {"size": 1, "items": []},
                "applicationRoles": {"size": 1, "items": []},
                "expand": "groups,applicationRoles",
            },
        )

    def issue(self, request: Request, id_or_key: str) -> Response:
        with self.store.lock:
            issue = self.store.jira.get(id_or_key)
            if issue is None:
                return jira_error(
                    404, "Issue does not exist or you do not have permission to see it."
                )
            fields = [f for value in request.params.get("fields", []) for f in value.split(",")]
            expand = request.param("expand", "") or ""
            return Response(
                200,
                self._render(
                    issue,
                    _wanted_fields(fields or ["*all"]),
                    "changelog" in expand,
                    request.base_url,
                ),
            )


def _wanted_fields(fields: list[str]) -> frozenset[str] | None:
    """None means every field; an empty set means none (only ``id`` is sent)."""
    names = [f.strip() for f in fields if f.strip()]
    if any(n in ("*all", "*navigable") for n in names):
        excluded = {n[1:] for n in names if n.startswith("-")}
        return frozenset(n for n in ALL_FIELDS if n not in excluded) if excluded else None
    return frozenset(n for n in names if n in ALL_FIELDS)


def _encode_token(query_hash: str, key: list[int]) -> str:
    raw = json.dumps({"q": query_hash, "after": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str, query_hash: str) -> list[int] | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError):
        return None
    if not isinstance(data, dict) or data.get("q") != query_hash:
        return None
    after = data.get("after")
    if not isinstance(after, list) or not all(isinstance(v, int) for v in after) or len(after) < 2:
        return None
    return after


def _garble(issue: dict[str, Any], variant: str) -> Any:
    broken = dict(issue)
    fields = dict(broken.get("fields") or {})
    if variant == "missing_id":
        broken.pop("id", None)
        broken.pop("key", None)
    elif variant == "bad_timestamp":
        fields["updated"] = "yesterday afternoon"
    elif variant == "wrong_type":
        fields["status"] = "Done"
        fields["priority"] = 3
    else:  # not_an_object
        return "<issue could not be serialised>"
    broken["fields"] = fields
    return broken
