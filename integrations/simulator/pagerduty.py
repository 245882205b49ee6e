"""The simulated PagerDuty REST API v2: ``GET /incidents``, ``/incidents/{id}``,
``/log_entries`` and the page an incident's ``html_url`` opens.

The wire format is the one integrations/connectors/pagerduty.py reads, with the sources its
docstring cites (developer.pagerduty.com API reference: List incidents, Get incident, List
log entries; the 30-day default and the 6-month window from PagerDuty's community answer):

- ``Authorization: Token token=<key>``; anything else is a 401 with PagerDuty's error
  object (code 2006);
- ``GET /incidents``: ``since``/``until`` filter on the *creation* time, at most 6 months
  apart (else 400, code 2001), the last 30 days without them, ``date_range=all`` ignores
  both; ``statuses[]``; sorted by creation (``sort_by=created_at:asc`` or by default); offset
  paging with ``limit`` (default 25, over 100 refused), ``offset``, ``more`` and ``total``
  null; ``offset + limit`` past 10,000 refused;
- ``GET /incidents/{id}``: ``{"incident": {...}}``, or 404 (code 2100);
- ``GET /log_entries``: by the entry's creation time as above; ``include[]=incidents``
  embeds each entry's incident. The entries come oldest first here; the connector does not
  rely on an order.

``time_zone`` is accepted and ignored: every time goes out in UTC with ``Z``, as PagerDuty
sends them with ``time_zone=UTC`` (which the connector asks for). The simulator's fault
injection and its random changes do not reach PagerDuty; the story's incidents stay as
they are.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from .oncall import PagerDutyAccount
from .wire import Request, Response, int_param

INCIDENT_PATH: Final = re.compile(r"^/incidents/([A-Za-z0-9]+)/?$")
PAGE_PATH: Final = re.compile(r"^/pagerduty/incidents/([A-Za-z0-9]+)/?$")
MAX_LIMIT: Final = 100
MAX_RECORDS: Final = 10_000
MAX_WINDOW: Final = timedelta(days=183)  # "6 months"
DEFAULT_WINDOW: Final = timedelta(days=30)


def pagerduty_error(status: int, message: str, code: int, *errors: str) -> Response:
    body: dict[str, Any] = {"message": message, "code": code}
    if errors:
        body["errors"] = list(errors)
    return Response(status, {"error": body})


def _parse(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else None


def _created(record: dict[str, Any]) -> datetime:
    parsed = _parse(record["created_at"])
    assert parsed is not None  # the account writes these
    return parsed


class PagerDutyApi:
    """Answers the PagerDuty paths of one simulator, from its store's account."""

    def __init__(self, account: PagerDutyAccount, lock: Any, api_key: str) -> None:
        self.account = account
        self.lock = lock
        self.api_key = api_key

    def handles(self, path: str) -> bool:
        return path in ("/incidents", "/log_entries") or bool(
            INCIDENT_PATH.match(path) or PAGE_PATH.match(path)
        )

    def route(self, request: Request, now: datetime) -> Response:
        page = PAGE_PATH.match(request.path)
        if page:
            return self._page(request, page.group(1))
        if request.method != "GET":
            return pagerduty_error(405, "Method Not Allowed", 2000)
        if request.headers.get("authorization", "").strip() != f"Token token={self.api_key}":
            return pagerduty_error(401, "Authentication Required", 2006)
        with self.lock:
            if request.path.rstrip("/") == "/incidents":
                rows = sorted(self.account.incidents.values(), key=lambda r: (_created(r), r["id"]))
                return self._list(request, "incidents", rows, now)
            if request.path == "/log_entries":
                return self._log_entries(request, now)
            match = INCIDENT_PATH.match(request.path)
            record = self.account.incidents.get(match.group(1)) if match else None
            if record is None:
                return pagerduty_error(404, "Not Found", 2100)
            return Response(200, {"incident": self._out(record, request)})

    def _out(self, record: dict[str, Any], request: Request) -> dict[str, Any]:
        """The incident as sent: its links point at this simulator."""
        return {
            **record,
            "self": f"{request.base_url}/incidents/{record['id']}",
            "html_url": f"{request.base_url}/pagerduty/incidents/{record['id']}",
        }

    def _log_entries(self, request: Request, now: datetime) -> Response:
        entries = list(self.account.log_entries)
        if "incidents" in request.params.get("include[]", []):
            incidents = self.account.incidents
            entries = [
                {**e, "incident": self._out(incidents[e["incident"]["id"]], request)}
                for e in entries
            ]
        return self._list(request, "log_entries", entries, now)

    def _list(
        self, request: Request, key: str, rows: list[dict[str, Any]], now: datetime
    ) -> Response:
        limit = int_param(request, "limit", 25)
        offset = int_param(request, "offset", 0)
        if not 0 < limit <= MAX_LIMIT or offset < 0:
            return pagerduty_error(
                400, "Invalid Input Provided", 2001, f"Limit must be 1 to {MAX_LIMIT}"
            )
        if offset + limit > MAX_RECORDS:
            return pagerduty_error(
                400,
                "Invalid Input Provided",
                2001,
                f"Offset must be less than {MAX_RECORDS - limit + 1}",
            )
        statuses = request.params.get("statuses[]")
        if statuses and key == "incidents":
            rows = [r for r in rows if r["status"] in statuses]
        if request.param("date_range") != "all":
            since_text, until_text = request.param("since"), request.param("until")
            since = _parse(since_text) if since_text else None
            until = _parse(until_text) if until_text else now
            if (since_text and since is None) or until is None:
                return pagerduty_error(
                    400, "Invalid Input Provided", 2001, "since and until must be ISO 8601 times"
                )
            since = since or until - DEFAULT_WINDOW
            if until - since > MAX_WINDOW:
                return pagerduty_error(
                    400, "Invalid Input Provided", 2001, "Date range is too large (6 months)"
                )
            rows = [r for r in rows if since <= _created(r) < until]
        chunk = rows[offset : offset + limit]
        if key == "incidents":
            chunk = [self._out(r, request) for r in chunk]
        return Response(
            200,
            {
                key: chunk,
                "limit": limit,
                "offset": offset,
                "total": None,
                "more": offset + limit < len(rows),
            },
        )

    def _page(self, request: Request, ident: str) -> Response:
        """What "open in PagerDuty" shows: the incident and its log, read-only."""
        with self.lock:
            record = self.account.incidents.get(ident)
            log = [e for e in self.account.log_entries if e["incident"]["id"] == ident]
        if record is None:
            return Response(
                404,
                b"<!doctype html><title>Not found</title><p>No such incident.</p>",
                {"Content-Type": "text/html; charset=utf-8"},
            )
        priority = (record.get("priority") or {}).get("summary") or "none"
        who = ", ".join(a["assignee"]["summary"] for a in record["assignments"]) or "nobody"
        facts = [
            ("Incident", f"#{record['incident_number']}"),
            ("Status", record["status"]),
            ("Priority", f"{priority} ({record['urgency']} urgency)"),
            ("Service", record["service"]["summary"]),
            ("Team", ", ".join(t["summary"] for t in record["teams"])),
            ("Assigned to", who),
            ("Triggered", record["created_at"]),
        ]
        rows = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in facts)
        entries = "".join(
            f"<li>{html.escape(e['created_at'])}: {html.escape(e['summary'])}</li>" for e in log
        )
        text = (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{html.escape(record['title'])}</title></head><body>"
            "<p>PagerDuty (simulated by Cataligent's demo)</p>"
            f"<h1>{html.escape(record['title'])}</h1><dl>{rows}</dl><h2>Log</h2><ul>{entries}</ul>"
            "</body></html>"
        )
        return Response(200, text.encode(), {"Content-Type": "text/html; charset=utf-8"})
