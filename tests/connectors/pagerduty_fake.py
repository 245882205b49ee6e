"""A fake PagerDuty REST API v2 on 127.0.0.1, speaking the documented wire format.

What integrations/connectors/pagerduty.py relies on, as its docstring cites it: ``Token
token=`` auth, ``GET /incidents`` filtering ``since``/``until`` on creation time (refusing a
window over 6 months; the last 30 days without them; ``date_range=all`` ignoring both),
``statuses[]``, ``sort_by=created_at:asc``, offset paging with ``limit`` <= 100 and
``more``, the 10,000-record cap (``offset + limit`` past it answers 400), ``GET
/incidents/{id}``, ``GET /log_entries`` by creation time. Changes made with
:meth:`PagerDutyFake.acknowledge`/``resolve``/``trigger`` write the log entries PagerDuty
would.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from .fakes import FakeSource, Reply, Request

TOKEN = "u+pd-test-key"
MAX_WINDOW = timedelta(days=183)  # "6 months"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _ref(kind: str, ident: str, summary: str) -> dict[str, Any]:
    return {
        "id": ident,
        "type": f"{kind}_reference",
        "summary": summary,
        "self": f"https://api.pagerduty.com/{kind}s/{ident}",
        "html_url": f"https://acme.pagerduty.com/{kind}s/{ident}",
    }


def incident(
    number: int,
    created: datetime,
    *,
    status: str = "triggered",
    title: str = "",
    priority: str | None = "P2",
    urgency: str = "high",
    service: str = "Payments API",
    team: str | None = "Payments",
    assignee: str | None = "Ada Lovelace",
) -> dict[str, Any]:
    """An incident as ``GET /incidents`` lists it (the documented example's fields)."""
    ident = f"Q{number:06d}"
    stamp = iso(created)
    return {
        "id": ident,
        "type": "incident",
        "summary": f"[#{number}] {title or 'Incident'}",
        "self": f"https://api.pagerduty.com/incidents/{ident}",
        "html_url": f"https://acme.pagerduty.com/incidents/{ident}",
        "incident_number": number,
        "title": title or f"Incident {number}",
        "created_at": stamp,
        "updated_at": stamp,
        "status": status,
        "incident_key": f"key-{number}",
        "service": _ref("service", "PSVC001", service),
        "assignments": (
            [{"at": stamp, "assignee": _ref("user", "PUSR001", assignee)}] if assignee else []
        ),
        "acknowledgements": [],
        "last_status_change_at": stamp,
        "resolved_at": stamp if status == "resolved" else None,
        "escalation_policy": _ref("escalation_policy", "PESC001", "Payments on call"),
        "teams": [_ref("team", "PTEAM01", team)] if team else [],
        "priority": (
            {"id": f"PPRI{priority}", "type": "priority", "summary": priority, "name": priority}
            if priority
            else None
        ),
        "urgency": urgency,
    }


def service(ident: str, name: str, *, business: bool) -> dict[str, Any]:
    kind = "business_service" if business else "service"
    return {
        "id": ident,
        "type": kind,
        "name": name,
        "summary": name,
        "description": f"{name} as PagerDuty knows it",
        "html_url": f"https://acme.pagerduty.com/{kind}s/{ident}",
    }


def depends(dependent: dict[str, Any], supporting: dict[str, Any]) -> dict[str, Any]:
    """A service_dependency relationship: ``dependent`` relies on ``supporting``."""

    def ref(s: dict[str, Any]) -> dict[str, str]:
        kind = "business_service" if s["type"] == "business_service" else "technical_service"
        return {"id": s["id"], "type": kind}

    return {
        "id": f"D{dependent['id']}{supporting['id']}",
        "type": "service_dependency",
        "dependent_service": ref(dependent),
        "supporting_service": ref(supporting),
    }


class PagerDutyFake(FakeSource):
    def __init__(
        self, incidents: list[dict[str, Any]], *, token: str = TOKEN, max_records: int = 10_000
    ) -> None:
        super().__init__()
        self.incidents = {i["id"]: i for i in incidents}
        self.token = token
        self.max_records = max_records
        # Business and technical services, and service_dependency relationships.
        self.business_services: list[dict[str, Any]] = []
        self.services: list[dict[str, Any]] = []
        self.relationships: list[dict[str, Any]] = []
        # ``include[]=incidents`` honoured (False: references only, as an older API might).
        self.embed_incidents = True
        self._ids = itertools.count(1)
        self.log_entries: list[dict[str, Any]] = []
        for record in incidents:
            self._log("trigger", record, _parse(record["created_at"]))

    # --- changes, as PagerDuty makes them ----------------------------------------------

    def _log(self, kind: str, record: dict[str, Any], at: datetime) -> None:
        self.log_entries.append(
            {
                "id": f"R{next(self._ids):08d}",
                "type": f"{kind}_log_entry",
                "summary": f"{kind} of {record['id']}",
                "created_at": iso(at),
                "incident": {"id": record["id"], "type": "incident_reference"},
            }
        )

    def _change(self, ident: str, status: str, at: datetime | None) -> dict[str, Any]:
        at = at or datetime.now(UTC)
        record = self.incidents[ident]
        record.update(status=status, updated_at=iso(at), last_status_change_at=iso(at))
        if status == "resolved":
            record["resolved_at"] = iso(at)
            record["assignments"] = []  # PagerDuty clears the assignments of a resolved one
        self._log({"resolved": "resolve", "acknowledged": "acknowledge"}[status], record, at)
        return record

    def acknowledge(self, ident: str, at: datetime | None = None) -> dict[str, Any]:
        return self._change(ident, "acknowledged", at)

    def resolve(self, ident: str, at: datetime | None = None) -> dict[str, Any]:
        return self._change(ident, "resolved", at)

    def reassign(self, ident: str, assignee: str, at: datetime | None = None) -> None:
        """A new assignee; the incident's times stay as they were (only the log says when)."""
        record = self.incidents[ident]
        record["assignments"] = [
            {"at": iso(at or datetime.now(UTC)), "assignee": _ref("user", "PUSR002", assignee)}
        ]
        self._log("assign", record, at or datetime.now(UTC))

    def trigger(self, record: dict[str, Any]) -> None:
        self.incidents[record["id"]] = record
        self._log("trigger", record, _parse(record["created_at"]))

    # --- the API -----------------------------------------------------------------------

    def route(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Token token={self.token}":
            return Reply(401, {"error": {"message": "Authentication Required", "code": 2006}})
        if request.path == "/incidents":
            rows = sorted(self.incidents.values(), key=lambda r: (r["created_at"], r["id"]))
            return self._list(request, "incidents", rows)
        if request.path.startswith("/incidents/"):
            record = self.incidents.get(request.path.removeprefix("/incidents/"))
            if record is None:
                return Reply(404, {"error": {"message": "Not Found", "code": 2100}})
            return Reply(200, {"incident": record})
        if request.path == "/business_services":
            return self._list(request, "business_services", self.business_services)
        if request.path == "/services":
            return self._list(request, "services", self.services)
        prefix = "/service_dependencies/business_services/"
        if request.path.startswith(prefix):
            ident = request.path.removeprefix(prefix)
            if ident not in {s["id"] for s in self.business_services}:
                return Reply(404, {"error": {"message": "Not Found", "code": 2100}})
            related = [
                r
                for r in self.relationships
                if ident in (r["dependent_service"]["id"], r["supporting_service"]["id"])
            ]
            return Reply(200, {"relationships": related})
        if request.path == "/log_entries":
            entries = self.log_entries
            if "incidents" in request.query.get("include[]", []) and self.embed_incidents:
                entries = [{**e, "incident": self.incidents[e["incident"]["id"]]} for e in entries]
            return self._list(request, "log_entries", entries)
        return Reply(404, {"error": {"message": "Not Found", "code": 2100}})

    def _invalid(self, message: str) -> Reply:
        return Reply(
            400, {"error": {"message": "Invalid Input Provided", "code": 2001, "errors": [message]}}
        )

    def _list(self, request: Request, key: str, rows: list[dict[str, Any]]) -> Reply:
        limit = int(request.param("limit", "25"))
        offset = int(request.param("offset", "0"))
        if limit > 100:
            return self._invalid("Limit must be at most 100")
        if offset + limit > self.max_records:
            return self._invalid(f"Offset must be less than {self.max_records - limit + 1}")
        statuses = request.query.get("statuses[]")
        if statuses:
            rows = [r for r in rows if r["status"] in statuses]
        if key in ("incidents", "log_entries") and request.param("date_range") != "all":
            now = datetime.now(UTC)
            since = _parse(request.param("since")) if request.param("since") else None
            until = _parse(request.param("until")) if request.param("until") else now
            since = since or until - timedelta(days=30)
            if until - since > MAX_WINDOW:
                return self._invalid("Date range is too large (at most 6 months)")
            rows = [r for r in rows if since <= _parse(r["created_at"]) < until]
        page = rows[offset : offset + limit]
        return Reply(
            200,
            {
                key: page,
                "limit": limit,
                "offset": offset,
                "total": None,
                "more": offset + limit < len(rows),
            },
        )
