"""Small fake ITSM servers on 127.0.0.1 speaking the tools' real wire formats.

Each fake serves records loaded from ``fixtures/<tool>/`` (real payload shapes, see each
file's ``source``) and implements the parts of the tool's API the connectors use: the
incremental time filter read the way the tool reads it (Jira and RT: in the user's time
zone), ordering, paging and its headers, auth. ``inject()`` queues canned responses (429,
503, 401...) that are served before normal handling, and ``requests`` records what came in.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

FIXTURES = Path(__file__).parent / "fixtures"


def load_fixture(tool: str, scenario: str) -> Any:
    return json.loads((FIXTURES / tool / f"{scenario}.json").read_text())


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    @classmethod
    def from_fixture(cls, tool: str, scenario: str, **overrides: Any) -> Reply:
        data = load_fixture(tool, scenario)
        reply = cls(
            status=data.get("status", 200), body=data["body"], headers=dict(data.get("headers", {}))
        )
        for name, value in overrides.items():
            setattr(reply, name, value)
        return reply


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""  # what was posted (a GraphQL query and its variables)

    def param(self, name: str, default: str = "") -> str:
        return self.query.get(name, [default])[0]


class FakeSource:
    """A threaded HTTP server; subclasses implement ``route``."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.faults: deque[Reply] = deque()
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else ~40 ms a response (Nagle + delayed ACK)

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                reply = fake.dispatch(request)
                if reply.delay:
                    time.sleep(reply.delay)
                if isinstance(reply.body, bytes | str):
                    payload = reply.body.encode() if isinstance(reply.body, str) else reply.body
                    content_type = "text/plain"
                else:
                    payload = json.dumps(reply.body).encode()
                    content_type = "application/json"
                try:
                    self.send_response(reply.status)
                    headers = {"Content-Type": content_type, **reply.headers}
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            do_GET = do_POST = do_PUT = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def inject(self, *replies: Reply) -> None:
        self.faults.extend(replies)

    def dispatch(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self.faults:
                return self.faults.popleft()
        return self.route(request)

    def route(self, request: Request) -> Reply:
        raise NotImplementedError

    def requests_to(self, path_part: str) -> list[Request]:
        return [r for r in self.requests if path_part in r.path]


def basic_auth(username: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{secret}".encode()).decode()


# --- ServiceNow ------------------------------------------------------------------------------


class ServiceNowFake(FakeSource):
    """Table API: sysparm_query (>= on sys_updated_on, field=value, ORDERBY), offset paging
    with X-Total-Count and Link, sysparm_fields with dot-walked names, exclude_reference_link.
    """

    def __init__(self, records: list[Any], *, username: str = "svc", secret: str = "pw") -> None:
        super().__init__()
        self.tables: dict[str, list[Any]] = {"incident": records}
        self.names: dict[str, str] = load_fixture("servicenow", "reference_names")
        self.users = [{"user_name": username, "time_zone": "GMT"}]
        self.choices = [
            {
                "name": "incident",
                "element": "state",
                "inactive": "false",
                "value": v,
                "label": label,
            }
            for v, label in [
                ("1", "New"),
                ("2", "In Progress"),
                ("3", "On Hold"),
                ("6", "Resolved"),
                ("7", "Closed"),
                ("8", "Canceled"),
            ]
        ]
        self.accepted = {basic_auth(username, secret), f"Bearer {secret}"}

    def route(self, request: Request) -> Reply:
        if request.headers.get("authorization") not in self.accepted:
            return Reply.from_fixture("servicenow", "unauthorized_401")
        match = re.fullmatch(r"/api/now/table/(\w+)", request.path)
        if not match:
            return Reply(400, {"error": {"message": "Invalid path"}, "status": "failure"})
        table = match.group(1)
        rows = {"sys_user": self.users, "sys_choice": self.choices}.get(table)
        if rows is None:
            rows = self.tables.get(table, [])
        return self._list(request, table, rows)

    def _list(self, request: Request, table: str, rows: list[Any]) -> Reply:
        query = request.param("sysparm_query")
        order: list[str] = []
        selected = list(rows)
        for part in query.split("^") if query else []:
            if part.startswith("ORDERBY"):
                order.append(part.removeprefix("ORDERBY"))
            elif part.startswith("sys_updated_on>="):
                bound = part.split(">=", 1)[1]
                selected = [r for r in selected if _sn_value(r, "sys_updated_on") >= bound]
            elif match := re.fullmatch(r"(\w+)IN(.*)", part):
                wanted = set(match.group(2).split(","))
                selected = [r for r in selected if _sn_value(r, match.group(1)) in wanted]
            elif "=" in part and re.fullmatch(r"[\w.]+=[^=]*", part):
                name, value = part.split("=", 1)
                selected = [r for r in selected if _sn_value(r, name) == value]
            # other parts are ignored, as ServiceNow ignores invalid parts (§1)
        for key in reversed(order):
            selected.sort(key=lambda r, k=key: _sn_value(r, k))
        total = len(selected)
        limit = int(request.param("sysparm_limit", "10000"))
        offset = int(request.param("sysparm_offset", "0"))
        page = selected[offset : offset + limit]
        fields = [f for f in request.param("sysparm_fields").split(",") if f]
        exclude_links = request.param("sysparm_exclude_reference_link") == "true"
        result = [self._shape(r, fields, exclude_links) for r in page]
        base = f"{self.base_url}/api/now/table/{table}"

        def link(at: int, rel: str) -> str:
            params = {k: v[0] for k, v in request.query.items()} | {"sysparm_offset": str(at)}
            return f'<{base}?{urlencode(params)}>;rel="{rel}"'

        links = [link(0, "first"), link(offset - limit, "prev")]
        if offset + limit < total:
            links.append(link(offset + limit, "next"))
        links.append(link(max(total - limit, 0), "last"))
        headers = {"X-Total-Count": str(total), "Link": ",".join(links)}
        return Reply(200, {"result": result}, headers)

    def _shape(self, record: Any, fields: list[str], exclude_links: bool) -> Any:
        if not isinstance(record, dict):
            return record
        out: dict[str, Any] = {}
        for name in fields or list(record):
            if "." in name:
                base, _, attr = name.partition(".")
                ref = record.get(base)
                sys_id = ref.get("value") if isinstance(ref, dict) else ref
                if attr == "name" and isinstance(sys_id, str) and sys_id in self.names:
                    out[name] = self.names[sys_id]
                continue
            if name not in record:
                continue  # "invalid fields are ignored"
            value = copy.deepcopy(record[name])
            if exclude_links and isinstance(value, dict) and "link" in value:
                value = value["value"]
            out[name] = value
        return out


def _sn_value(record: Any, name: str) -> str:
    value = record.get(name, "") if isinstance(record, dict) else ""
    if isinstance(value, dict):
        value = value.get("value", "")
    return str(value)


# --- Jira -------------------------------------------------------------------------------------


class JiraFake(FakeSource):
    """search/jql (nextPageToken), api/2/search (startAt/total), myself; JQL ``updated >=``
    read in the account's time zone at minute precision, ORDER BY updated, key."""

    def __init__(
        self,
        issues: list[Any],
        *,
        email: str = "bot@acme.example",
        token: str = "api-token",
        time_zone: str = "Europe/Berlin",
        cloud: bool = True,
    ) -> None:
        super().__init__()
        self.issues = issues
        self.time_zone = time_zone
        self.cloud = cloud
        self.accepted = {basic_auth(email, token), f"Bearer {token}"}

    def route(self, request: Request) -> Reply:
        if request.headers.get("authorization") not in self.accepted:
            return Reply.from_fixture("jira", "unauthorized_401")
        if request.path in ("/rest/api/3/myself", "/rest/api/2/myself"):
            me = load_fixture("jira", "myself")["body"]
            return Reply(200, {**me, "timeZone": self.time_zone})
        if request.path == "/rest/api/3/search/jql" and self.cloud:
            return self._search(request, token_paging=True)
        if request.path == "/rest/api/2/search":
            if self.cloud:
                return Reply.from_fixture("jira", "search_removed_410")
            return self._search(request, token_paging=False)
        return Reply(404, {"errorMessages": ["Not found"], "errors": {}})

    def _search(self, request: Request, *, token_paging: bool) -> Reply:
        jql = request.param("jql")
        match = re.search(r'updated >= "(\d{4}/\d{2}/\d{2} \d{2}:\d{2})"', jql)
        if match is None:
            return Reply.from_fixture("jira", "unbounded_jql_400")
        local = datetime.strptime(match.group(1), "%Y/%m/%d %H:%M")
        bound = local.replace(tzinfo=ZoneInfo(self.time_zone)).astimezone(UTC)
        selected = [i for i in self.issues if _jira_updated(i) is None or _jira_updated(i) >= bound]
        if "ORDER BY updated ASC, key ASC" in jql:
            selected.sort(key=lambda i: (_jira_updated(i) or bound, _key_order(i)))
        limit = int(request.param("maxResults", "50"))
        if token_paging:
            token = request.param("nextPageToken")
            offset = int(base64.b64decode(token)) if token else 0
        else:
            offset = int(request.param("startAt", "0"))
        fields = request.param("fields")
        page = [_project_fields(i, fields) for i in selected[offset : offset + limit]]
        if not token_paging:
            return Reply(
                200,
                {"expand": "schema,names", "startAt": offset, "maxResults": limit,
                 "total": len(selected), "issues": page},
            )  # fmt: skip
        body: dict[str, Any] = {"issues": page, "isLast": offset + limit >= len(selected)}
        if offset + limit < len(selected):
            body["nextPageToken"] = base64.b64encode(str(offset + limit).encode()).decode()
        return Reply(200, body)


def _jira_updated(issue: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(issue["fields"]["updated"]).astimezone(UTC)
    except (KeyError, TypeError, ValueError):
        return None


def _key_order(issue: Any) -> tuple[str, int]:
    key = str(issue.get("key", "")) if isinstance(issue, dict) else ""
    project, _, number = key.partition("-")
    return project, int(number) if number.isdigit() else 0


def _project_fields(issue: Any, fields: str) -> Any:
    # §2: only `id` is returned unless fields are asked for.
    if not isinstance(issue, dict):
        return issue
    shaped = {k: v for k, v in issue.items() if k != "fields"}
    wanted = [f for f in fields.split(",") if f]
    if "fields" in issue and wanted:
        shaped["fields"] = {k: v for k, v in issue["fields"].items() if k in wanted}
    return shaped


# --- Request Tracker -------------------------------------------------------------------------


class RTFake(FakeSource):
    """REST2 tickets search: ``LastUpdated >= '...'`` read in the user's zone, orderby/order
    pairs, per_page clamped to 100, next_page only when there is one, pages 0.0 when empty."""

    def __init__(
        self,
        tickets: list[Any],
        *,
        token: str = "1-14-0123456789abcdef0123456789abcdef",
        username: str = "cataligent",
        password: str = "pw",
        time_zone: str = "America/New_York",
        server_time_zone: str = "US/Eastern",
    ) -> None:
        super().__init__()
        self.tickets = tickets
        self.username = username
        self.time_zone = time_zone
        self.server_time_zone = server_time_zone
        self.accepted = {f"token {token}", basic_auth(username, password)}

    def route(self, request: Request) -> Reply:
        if request.headers.get("authorization") not in self.accepted:
            return Reply.from_fixture("rt", "unauthorized_401")
        if request.path == "/REST/2.0/rt":
            return Reply.from_fixture("rt", "rt_version")
        if request.path == f"/REST/2.0/user/{self.username}":
            user = load_fixture("rt", "user_api")["body"]
            return Reply(200, {**user, "Name": self.username, "Timezone": self.time_zone})
        if request.path == "/REST/2.0/tickets":
            return self._search(request)
        return Reply(404, {"message": "Not Found"})

    def _search(self, request: Request) -> Reply:
        query = request.param("query")
        if "Foo" in query:
            return Reply.from_fixture("rt", "bad_ticketsql_400")
        selected = list(self.tickets)
        # The user's own zone, else the server's $Timezone (RT's stock default).
        zone = ZoneInfo(self.time_zone or self.server_time_zone)
        for op, text in re.findall(
            r"LastUpdated (>=|<) '(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})'", query
        ):
            local = datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
            bound = local.replace(tzinfo=zone).astimezone(UTC)
            selected = [
                t
                for t in selected
                if (updated := _rt_updated(t)) is None or (updated >= bound) == (op == ">=")
            ]
        for wanted_id in re.findall(r"\bid = (\d+)", query):
            selected = [
                t for t in selected if isinstance(t, dict) and str(t.get("id")) == wanted_id
            ]
        orders = list(
            zip(request.query.get("orderby", []), request.query.get("order", []), strict=False)
        )
        for name, direction in reversed(orders):
            selected.sort(key=lambda t, n=name: _rt_sort_key(t, n), reverse=direction == "DESC")
        try:
            per_page = int(request.param("per_page", "20")) or 20
        except ValueError:
            per_page = 20
        per_page = min(per_page, 100)
        page = int(request.param("page", "1"))
        chunk = selected[(page - 1) * per_page : page * per_page]
        pages = -(-len(selected) // per_page)
        body: dict[str, Any] = {
            "count": len(chunk),
            "page": page,
            "per_page": per_page,
            "total": len(selected),
            "pages": pages if selected else 0.0,
            "items": [_rt_shape(t, request) for t in chunk],
        }
        params = {k: v for k, v in request.query.items()}
        if page < pages:
            nxt = urlencode({**{k: v[0] for k, v in params.items()}, "page": page + 1})
            body["next_page"] = f"{self.base_url}/REST/2.0/tickets?{nxt}"
        if page > 1:
            prev = urlencode({**{k: v[0] for k, v in params.items()}, "page": page - 1})
            body["prev_page"] = f"{self.base_url}/REST/2.0/tickets?{prev}"
        return Reply(200, body)


def _rt_updated(ticket: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(ticket["LastUpdated"]).astimezone(UTC)
    except (KeyError, TypeError, ValueError):
        return None


def _rt_sort_key(ticket: Any, name: str) -> Any:
    if not isinstance(ticket, dict):
        return (0, "")
    if name == "id":
        value = str(ticket.get("id", ""))
        return (1, int(value)) if value.isdigit() else (0, value)
    return (1, str(ticket.get(name, "")))


def _rt_shape(ticket: Any, request: Request) -> Any:
    # §3: only type, id and _url unless fields are asked for.
    if not isinstance(ticket, dict):
        return ticket
    wanted = [f for f in request.param("fields").split(",") if f]
    shaped = {k: ticket[k] for k in ("id", "type", "_url") if k in ticket}
    for name in wanted:
        if name in ticket:
            shaped[name] = copy.deepcopy(ticket[name])
    queue = shaped.get("Queue")
    if isinstance(queue, dict) and request.param("fields[Queue]") != "Name":
        queue.pop("Name", None)
    return shaped


FakeFactory = Callable[[list[Any]], FakeSource]
