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
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from .faults import FaultInjector
from .records import (
    ISSUE_TYPES,
    PRIORITIES,
    RESOLUTIONS,
    STATUS_CATEGORIES,
    STATUSES,
    JiraIssue,
    JiraUser,
)
from .store import SimulatorStore
from .timestamps import jira_format, jql_date_to_epoch_ms, to_epoch_ms
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


class JqlError(ValueError):
    """Turned into Jira's 400 ``{"errorMessages": [...]}``."""


# --- JQL ----------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>!=|>=|<=|!~|[=<>~(),])
      | (?P<word>[^\s=!<>~(),"']+)
    )""",
    re.VERBOSE,
)
_KEYWORDS: Final = frozenset({"and", "or", "not", "in", "is", "empty", "null", "order", "by"})


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "string", "op", "word", "end"
    text: str

    def keyword(self, *words: str) -> bool:
        return self.kind == "word" and self.text.lower() in words


def _tokens(jql: str) -> list[_Token]:
    tokens, position = [], 0
    while position < len(jql):
        if jql[position:].strip() == "":
            break
        match = _TOKEN.match(jql, position)
        if match is None or match.end() == position:
            raise JqlError(
                "Error in the JQL Query: "
                f"The character '{jql[position]}' is a reserved JQL character."
            )
        kind = match.lastgroup or "word"
        text = match.group(kind)
        if kind == "string":
            text = re.sub(r"\\(.)", r"\1", text[1:-1])
        tokens.append(_Token(kind, text))
        position = match.end()
    tokens.append(_Token("end", ""))
    return tokens


Predicate = Callable[[JiraIssue], bool]


@dataclass(frozen=True, slots=True)
class Jql:
    where: Predicate | None  # None: unbounded
    order: tuple[tuple[str, bool], ...]  # (field, descending)
    # For the fast path: projects and the lower bound on updated from top-level AND clauses.
    projects: frozenset[str] | None
    updated_from: tuple[int, bool] | None  # (epoch ms, inclusive)


class _Parser:
    """Recursive descent over the subset of JQL connectors use:

    query   := [or] [ORDER BY field [ASC|DESC] (, field [ASC|DESC])*]
    or      := and (OR and)*
    and     := not (AND not)*
    not     := NOT not | "(" or ")" | clause
    clause  := field op value | field [NOT] IN "(" values ")" | field IS [NOT] EMPTY
    """

    def __init__(self, jql: str, store: SimulatorStore) -> None:
        self.tokens = _tokens(jql)
        self.index = 0
        self.store = store
        self.now_ms = to_epoch_ms(store.now())
        self.projects: frozenset[str] | None = None
        self.updated_from: tuple[int, bool] | None = None

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect_op(self, text: str) -> None:
        token = self.take()
        if token.kind != "op" or token.text != text:
            raise JqlError(f"Error in the JQL Query: Expecting '{text}' but got '{token.text}'.")

    def parse(self) -> Jql:
        where: Predicate | None = None
        if not self.peek().keyword("order") and self.peek().kind != "end":
            where = self.parse_or(top=True)
        order: list[tuple[str, bool]] = []
        if self.peek().keyword("order"):
            self.take()
            if not self.take().keyword("by"):
                raise JqlError("Error in the JQL Query: Expecting 'by' after 'order'.")
            while True:
                field = self.take()
                if field.kind not in ("word", "string") or field.text.lower() not in _SORTABLE:
                    raise JqlError(f"Not able to sort using field '{field.text}'.")
                descending = False
                if self.peek().keyword("asc", "desc"):
                    descending = self.take().text.lower() == "desc"
                order.append((_SORTABLE[field.text.lower()], descending))
                if self.peek().kind == "op" and self.peek().text == ",":
                    self.take()
                    continue
                break
        if self.peek().kind != "end":
            raise JqlError(
                "Error in the JQL Query: Expecting either 'OR' or 'AND' "
                f"but got '{self.peek().text}'."
            )
        return Jql(where, tuple(order), self.projects, self.updated_from)

    def parse_or(self, *, top: bool = False) -> Predicate:
        parts = [self.parse_and(top=top)]
        while self.peek().keyword("or"):
            self.take()
            parts.append(self.parse_and(top=False))
        if len(parts) > 1 and top:
            # An OR at the top level: the fast-path hints from its branches do not hold.
            self.projects = None
            self.updated_from = None
        return parts[0] if len(parts) == 1 else (lambda i: any(p(i) for p in parts))

    def parse_and(self, *, top: bool) -> Predicate:
        parts = [self.parse_not(top=top)]
        while self.peek().keyword("and"):
            self.take()
            parts.append(self.parse_not(top=top))
        return parts[0] if len(parts) == 1 else (lambda i: all(p(i) for p in parts))

    def parse_not(self, *, top: bool) -> Predicate:
        if self.peek().keyword("not"):
            self.take()
            inner = self.parse_not(top=False)
            return lambda i: not inner(i)
        if self.peek().kind == "op" and self.peek().text == "(":
            self.take()
            inner = self.parse_or(top=False)
            self.expect_op(")")
            return inner
        return self.parse_clause(top=top)

    def value(self) -> str:
        token = self.take()
        if token.kind == "word" and self.peek().kind == "op" and self.peek().text == "(":
            self.take()
            self.expect_op(")")
            if token.text.lower() == "now":
                return str(self.now_ms)
            raise JqlError(f"Error in the JQL Query: Unable to find JQL function '{token.text}()'.")
        if token.kind not in ("word", "string"):
            raise JqlError(f"Error in the JQL Query: Expecting a value but got '{token.text}'.")
        return token.text

    def parse_clause(self, *, top: bool) -> Predicate:
        token = self.take()
        if token.kind not in ("word", "string") or token.text.lower() in _KEYWORDS:
            raise JqlError(
                f"Error in the JQL Query: Expecting a field name but got '{token.text}'."
            )
        field = token.text.lower()
        if field not in _FIELDS:
            raise JqlError(
                f"Field '{token.text}' does not exist or you do not have permission to view it."
            )
        negate = False
        op_token = self.take()
        if op_token.keyword("is"):
            if self.peek().keyword("not"):
                self.take()
                negate = True
            if not self.take().keyword("empty", "null"):
                raise JqlError("Error in the JQL Query: Expecting 'EMPTY' after 'IS'.")
            getter = _FIELDS[field]
            return lambda i: (getter(i) in (None, [], "")) != negate
        if op_token.keyword("not") and self.peek().keyword("in"):
            self.take()
            op = "not in"
        elif op_token.keyword("in"):
            op = "in"
        elif op_token.kind == "op" and op_token.text in (
            "=",
            "!=",
            ">",
            ">=",
            "<",
            "<=",
            "~",
            "!~",
        ):
            op = op_token.text
        else:
            raise JqlError(f"Error in the JQL Query: Expecting operator but got '{op_token.text}'.")
        if op in ("in", "not in"):
            self.expect_op("(")
            values = [self.value()]
            while self.peek().kind == "op" and self.peek().text == ",":
                self.take()
                values.append(self.value())
            self.expect_op(")")
        else:
            values = [self.value()]
        return self.build(field, op, values, top=top)

    def build(self, field: str, op: str, values: list[str], *, top: bool) -> Predicate:
        getter = _FIELDS[field]
        if field in _DATE_FIELDS:
            if op not in ("=", "!=", ">", ">=", "<", "<="):
                raise JqlError(f"The operator '{op}' is not supported by the '{field}' field.")
            try:
                moment = jql_date_to_epoch_ms(values[0], self.store.jira_zone, self.now_ms)
            except ValueError as exc:
                raise JqlError(
                    f"Date value '{values[0]}' for field '{field}' is invalid. Valid formats "
                    "include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', "
                    "'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
                ) from exc
            if top and field == "updated" and op in (">=", ">"):
                self.updated_from = (moment, op == ">=")
            return _compare_dates(getter, op, moment)
        if field == "project":
            known = self.store.jira.projects
            keys = set()
            for value in values:
                matches = [
                    p.key
                    for p in known.values()
                    if value.upper() in (p.key, p.id) or value.lower() == p.name.lower()
                ]
                if not matches:
                    raise JqlError(f"The value '{value}' does not exist for the field 'project'.")
                keys.update(matches)
            if top and op in ("=", "in"):
                self.projects = frozenset(keys) if self.projects is None else self.projects & keys
            values = sorted(keys)
        wanted = {v.lower() for v in values}
        if op in ("~", "!~"):
            needle = values[0].lower().strip("*")
            return lambda i: (needle in str(getter(i) or "").lower()) == (op == "~")

        def match(issue: JiraIssue) -> bool:
            actual = getter(issue)
            candidates = actual if isinstance(actual, list) else [actual]
            hit = any(str(c).lower() in wanted for c in candidates if c is not None)
            return hit if op in ("=", "in") else not hit

        if op in ("=", "in", "!=", "not in"):
            return match
        raise JqlError(f"The operator '{op}' is not supported by the '{field}' field.")


def _compare_dates(getter: Callable[[JiraIssue], Any], op: str, moment: int) -> Predicate:
    def compare(issue: JiraIssue) -> bool:
        value = getter(issue)
        if value is None:
            return False
        return bool(
            {
                "=": value == moment,
                "!=": value != moment,
                ">": value > moment,
                ">=": value >= moment,
                "<": value < moment,
                "<=": value <= moment,
            }[op]
        )

    return compare


_FIELDS: Final[dict[str, Callable[[JiraIssue], Any]]] = {
    "project": lambda i: i.project,
    "key": lambda i: i.key,
    "issuekey": lambda i: i.key,
    "id": lambda i: str(i.id),
    "updated": lambda i: i.updated,
    "updateddate": lambda i: i.updated,
    "created": lambda i: i.created,
    "createddate": lambda i: i.created,
    "resolved": lambda i: i.resolutiondate,
    "resolutiondate": lambda i: i.resolutiondate,
    "status": lambda i: i.status,
    "statuscategory": lambda i: [i.status_category, STATUS_CATEGORIES[i.status_category][2]],
    "priority": lambda i: i.priority,
    "labels": lambda i: i.labels,
    "component": lambda i: i.components,
    "issuetype": lambda i: i.issue_type,
    "type": lambda i: i.issue_type,
    "assignee": lambda i: i.assignee,
    "reporter": lambda i: i.reporter,
    "resolution": lambda i: i.resolution,
    "summary": lambda i: i.summary,
    "text": lambda i: i.summary,
}
_DATE_FIELDS: Final = frozenset(
    {"updated", "updateddate", "created", "createddate", "resolved", "resolutiondate"}
)
_SORTABLE: Final = {
    "updated": "updated",
    "updateddate": "updated",
    "created": "created",
    "createddate": "created",
    "key": "key",
    "issuekey": "key",
    "id": "id",
    "priority": "priority",
    "resolutiondate": "resolutiondate",
    "resolved": "resolutiondate",
}


def parse_jql(jql: str, store: SimulatorStore) -> Jql:
    return _Parser(jql, store).parse()


# --- search -------------------------------------------------------------------------------------


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
