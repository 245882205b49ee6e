"""The HTTP server: one port speaks ServiceNow (``/api/now/...``), Jira (``/rest/api/...``)
and PagerDuty (``/incidents``, ``/log_entries``; see .pagerduty), like SaaS tenants behind one
local address.

Order of checks per API request, as the real services do it: authentication first (401), then
rate limiting and other injected faults (429 / 500 / slow), then the request itself.

Control endpoints for demos and tests run in other processes (no authentication, never
faulted): ``POST /_simulator/tick?changes=N``, ``PUT /_simulator/faults`` with a JSON body of
``Faults`` fields, ``GET /_simulator/status``.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Final, Literal
from urllib.parse import parse_qs, urlsplit

from .faults import FaultInjector, Faults
from .jira import REMOVED, JiraApi, jira_error
from .jira_records import JiraUser
from .pagerduty import PagerDutyApi
from .pages import incident_page, issue_page
from .scenario import DEMO_SCENARIO, Scenario
from .servicenow import ServiceNowApi
from .servicenow import error as servicenow_error
from .store import SimulatorStore
from .wire import Request, Response, int_param

logger = logging.getLogger(__name__)

_TABLE_PATH: Final = re.compile(
    r"^/api/now(?:/(v1|v2))?/table/([A-Za-z0-9_]+)(?:/([0-9a-fA-F]{32}))?/?$"
)
_ISSUE_PATH: Final = re.compile(r"^/rest/api/[23]/issue/([A-Za-z0-9-]+)/?$")
_BROWSE_PATH: Final = re.compile(r"^/browse/([A-Za-z][A-Za-z0-9]*-[0-9]+)/?$")

AuthResult = Literal["ok", "anonymous", "invalid"]


@dataclass(frozen=True, slots=True)
class Credentials:
    """What the simulated tenants accept. Defaults suit local demos and tests only."""

    servicenow_username: str = "admin"
    servicenow_password: str = "admin"
    jira_email: str = "integration@example.com"
    jira_api_token: str = "jira-api-token"
    # Accepted as "Authorization: Bearer ..." by both (ServiceNow OAuth, Jira Data Center PAT).
    bearer_tokens: frozenset[str] = field(default_factory=lambda: frozenset({"simulator-token"}))
    oauth_client_id: str = "cataligent"
    oauth_client_secret: str = "cataligent-secret"
    # PagerDuty: "Authorization: Token token=<REST API key>".
    pagerduty_api_key: str = "pagerduty-api-key"


def _basic(header: str) -> tuple[str, str] | None:
    try:
        decoded = base64.b64decode(header.split(" ", 1)[1], validate=True).decode()
    except (IndexError, binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True  # slow responses must not hold up shutdown
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        store: SimulatorStore,
        *,
        faults: Faults | None = None,
        credentials: Credentials | None = None,
        mutate_every: float | None = None,
        changes_per_tick: int = 3,
    ) -> None:
        super().__init__(address, _Handler)
        self.store = store
        self.credentials = credentials or Credentials()
        self.injector = FaultInjector(faults, seed=store.seed)
        self.servicenow = ServiceNowApi(store, self.injector)
        self.jira = JiraApi(store, self.injector)
        self.pagerduty = PagerDutyApi(
            store.pagerduty, store.lock, self.credentials.pagerduty_api_key
        )
        self.jira_account = JiraUser(
            account_id="5b10a2844c20165700ede21g",
            display_name="Cataligent Integration",
            email=self.credentials.jira_email,
            time_zone=str(store.jira_zone),
        )
        self.mutate_every = mutate_every
        self.changes_per_tick = changes_per_tick
        self._stop = threading.Event()
        self._serving = False
        self._background: list[threading.Thread] = []

    @property
    def base_url(self) -> str:
        host, port = self.server_address[0], self.server_address[1]
        return f"http://{host!s}:{port}"

    def start(self) -> SimulatorServer:
        """Serve (and mutate, if asked) in background threads; for tests and benchmarks."""
        # A short poll interval makes close() return quickly (tests start many servers).
        thread = threading.Thread(
            target=self.serve_forever, args=(0.05,), name="itsm-simulator", daemon=True
        )
        thread.start()
        self._background.append(thread)
        return self

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        self._serving = True
        if self.mutate_every and not any(
            t.name == "itsm-simulator-clock" for t in self._background
        ):
            clock = threading.Thread(
                target=self._mutate_loop, name="itsm-simulator-clock", daemon=True
            )
            clock.start()
            self._background.append(clock)
        super().serve_forever(poll_interval)

    def _mutate_loop(self) -> None:
        assert self.mutate_every is not None
        while not self._stop.wait(self.mutate_every):
            for change in self.store.tick(changes=self.changes_per_tick):
                logger.info(
                    "simulated %s %s %s %s", change.source, change.key, change.action, change.detail
                )

    def shutdown(self) -> None:
        self._stop.set()
        super().shutdown()

    def close(self) -> None:
        """Stop serving and release the port."""
        self._stop.set()
        if self._serving:  # shutdown() would wait forever for a loop that never ran
            self.shutdown()
        self.server_close()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # authentication ---------------------------------------------------------------------------

    def servicenow_auth(self, request: Request) -> AuthResult:
        header = request.headers.get("authorization", "")
        if not header:
            return "anonymous"
        creds = self.credentials
        if header.lower().startswith("basic "):
            pair = _basic(header)
            ok = pair == (creds.servicenow_username, creds.servicenow_password)
            return "ok" if ok else "invalid"
        if header.lower().startswith("bearer "):
            token = header.split(" ", 1)[1].strip()
            ok = token in creds.bearer_tokens or token in self.servicenow.oauth_tokens
            return "ok" if ok else "invalid"
        return "invalid"

    def jira_auth(self, request: Request) -> AuthResult:
        header = request.headers.get("authorization", "")
        if not header:
            return "anonymous"
        creds = self.credentials
        if header.lower().startswith("basic "):
            return "ok" if _basic(header) == (creds.jira_email, creds.jira_api_token) else "invalid"
        if header.lower().startswith("bearer "):
            return "ok" if header.split(" ", 1)[1].strip() in creds.bearer_tokens else "invalid"
        return "invalid"

    # routing ----------------------------------------------------------------------------------

    def route(self, request: Request) -> Response:
        path = request.path
        if path.startswith("/_simulator/"):
            return self._control(request)
        if path == "/oauth_token.do" and request.method == "POST":
            c = self.credentials
            return self.servicenow.oauth_token(
                request,
                client_id=c.oauth_client_id,
                client_secret=c.oauth_client_secret,
                username=c.servicenow_username,
                password=c.servicenow_password,
            )
        table = _TABLE_PATH.match(path)
        if table:
            if request.method != "GET":
                return servicenow_error(405, "Method not Supported", "Only GET is simulated")
            if self.servicenow_auth(request) != "ok":
                return servicenow_error(
                    401, "User Not Authenticated", "Required to provide Auth information"
                )
            faulted = self._fault("servicenow")
            if faulted is not None:
                return faulted
            version, name, sys_id = table.groups()
            return self.servicenow.table(request, name, sys_id, version or "default")
        if path.startswith("/rest/api/"):
            return self._jira(request)
        # The pages a ticket's link opens (the links the connectors build).
        if path == "/incident.do" and request.method == "GET":
            return incident_page(self.store, request.param("sys_id") or "")
        browse = _BROWSE_PATH.match(path)
        if browse and request.method == "GET":
            return issue_page(self.store, browse.group(1))
        if self.pagerduty.handles(path):
            return self.pagerduty.route(request, self.store.now())
        return Response(404, {"error": {"message": f"No such path {path}"}, "status": "failure"})

    def _jira(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        auth = self.jira_auth(request)
        if auth == "invalid":
            # Atlassian's wording for a bad token varies; the status is what matters. [unconfirmed]
            return jira_error(401, "Client must be authenticated to access this resource.")
        if path in ("/rest/api/2/search", "/rest/api/3/search"):
            return jira_error(410, REMOVED)
        if path in ("/rest/api/3/myself", "/rest/api/2/myself"):
            if auth == "anonymous":
                return jira_error(401, "Client must be authenticated to access this resource.")
            return self.jira.myself(request, self.jira_account)
        if path == "/rest/api/3/search/jql" and request.method in ("GET", "POST"):
            faulted = self._fault("jira")
            if faulted is not None:
                return faulted
            return self.jira.search(request, anonymous=auth == "anonymous")
        issue = _ISSUE_PATH.match(path)
        if issue and request.method == "GET":
            if auth == "anonymous":
                return jira_error(
                    404, "Issue does not exist or you do not have permission to see it."
                )
            return self.jira.issue(request, issue.group(1))
        return jira_error(404, f"No resource found for {request.method} {path}")

    def _fault(self, source: Literal["servicenow", "jira"]) -> Response | None:
        kind = self.injector.draw()
        if kind is None:
            return None
        if kind == "slow":
            time.sleep(self.injector.faults.slow_seconds)
            return None
        if kind == "server_error":
            if source == "servicenow":
                return servicenow_error(500, "Internal server error", "Simulated failure")
            return jira_error(500, "Internal server error")
        retry_after = self.injector.faults.retry_after
        if source == "servicenow":
            # ServiceNow "Inbound REST API rate limiting": X-RateLimit-Reset is UNIX seconds.
            response = servicenow_error(
                429, "Rate limit exceeded", "Too many requests for this user in the current hour"
            )
            response.headers.update(
                {
                    "Retry-After": str(retry_after),
                    "X-RateLimit-Limit": "1000",
                    "X-RateLimit-Reset": str(int(time.time()) + retry_after),
                    "X-RateLimit-Rule": "7a2f3c5e1b0a4c8d9e6f7a8b9c0d1e2f",
                }
            )
            return response
        # Jira: X-RateLimit-Reset is an ISO-8601 timestamp, not epoch (reference §2).
        reset = datetime.now(UTC) + timedelta(seconds=retry_after)
        response = jira_error(429, "Rate limit exceeded.")
        response.headers.update(
            {
                "Retry-After": str(retry_after),
                "X-RateLimit-Limit": "100",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%MZ"),
                "RateLimit-Reason": "jira-burst-based",
            }
        )
        return response

    def _control(self, request: Request) -> Response:
        if request.path == "/_simulator/tick" and request.method == "POST":
            changes = self.store.tick(changes=int_param(request, "changes", self.changes_per_tick))
            return Response(200, {"changes": [asdict(c) for c in changes]})
        if request.path == "/_simulator/faults" and request.method == "PUT":
            try:
                faults = Faults(**request.json_body())
            except (TypeError, ValueError) as exc:
                return Response(400, {"error": str(exc)})
            self.injector.configure(faults)
            return Response(200, asdict(faults))
        if request.path == "/_simulator/status" and request.method == "GET":
            with self.store.lock:
                return Response(
                    200,
                    {
                        "incidents": len(self.store.incidents),
                        "issues": len(self.store.jira),
                        "pagerduty_incidents": len(self.store.pagerduty.incidents),
                        "faults": asdict(self.injector.faults),
                        "injected": dict(self.injector.injected),
                    },
                )
        return Response(404, {"error": f"No such control {request.method} {request.path}"})


class _Handler(BaseHTTPRequestHandler):
    server: SimulatorServer
    # Keep-alive: clients page through thousands of requests.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm and the client's delayed
    # ACK every keep-alive response would wait ~40 ms.
    disable_nagle_algorithm = True
    server_version = "ITSMSimulator/1.0"

    def _handle(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        request = Request(
            method=self.command,
            path=url.path,
            params=parse_qs(url.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            base_url=f"http://{host}",
        )
        try:
            response = self.server.route(request)
        except Exception:  # a bug in the simulator must not kill the connection silently
            logger.exception("simulator failed on %s %s", self.command, self.path)
            response = Response(500, {"error": "simulator bug; see its log"})
        data = response.encode()
        self.send_response(response.status)
        headers = {"Content-Type": "application/json", **response.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = _handle
    do_POST = _handle
    do_PUT = _handle

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s %s", self.address_string(), format % args)


def make_server(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    seed: int = 0,
    tickets: int = 1000,
    jira_issues: int | None = None,
    faults: Faults | None = None,
    scenario: Scenario = DEMO_SCENARIO,
    credentials: Credentials | None = None,
    mutate_every: float | None = None,
    changes_per_tick: int = 3,
    jira_time_zone: str = "Europe/Berlin",
    history: timedelta = timedelta(days=30),
    store: SimulatorStore | None = None,
) -> SimulatorServer:
    """Build a simulated ServiceNow + Jira source on ``host:port`` (port 0: any free port).

    ``tickets`` background incidents (and ``jira_issues``, default ``min(tickets // 5, 1000)``)
    are generated with last updates spread over ``history`` up to now, plus the scenario's
    tickets. ``mutate_every`` seconds, ``changes_per_tick`` random changes are made while
    serving. Pass ``store`` to serve an existing store (e.g. one a replay filled) instead.
    Call ``serve_forever()`` (blocking) or ``start()`` (background), and ``close()``.
    """
    if store is None:
        store = SimulatorStore(seed=seed, scenario=scenario, jira_time_zone=jira_time_zone)
        store.preload(
            incidents=tickets,
            issues=min(tickets // 5, 1000) if jira_issues is None else jira_issues,
            span=history,
        )
    return SimulatorServer(
        (host, port),
        store,
        faults=faults,
        credentials=credentials,
        mutate_every=mutate_every,
        changes_per_tick=changes_per_tick,
    )
