"""A fake Zendesk Support API on 127.0.0.1, speaking the documented wire format.

What integrations/connectors/zendesk.py relies on, as its docstring cites it: Basic auth
with ``{email}/token`` (or an OAuth bearer token); ``GET
/api/v2/incremental/tickets/cursor.json`` started with ``start_time`` (unix seconds, on
``generated_timestamp``) and carried on with ``cursor``; ``per_page`` up to 1,000; tickets
in (``generated_timestamp``, id) order, the ones changed within the last minute left out;
``after_cursor`` shaped as Zendesk's (base64 of ``"<timestamp>.0||<id>|"``) and none on an
answer without tickets when the export started from a time; ``end_of_stream``; deleted
tickets with ``status: "deleted"`` unless ``exclude_deleted=true``; the ``users``,
``groups`` and ``metric_sets`` sideloads and the per-ticket ``slas`` one (``{"policy_metrics":
[...]}``); ``GET /api/v2/tickets/show_many.json`` and ``GET /api/v2/users/me.json``. Changes
made with :meth:`ZendeskFake.update`/``system_update``/``delete``/``create`` move the
ticket's ``generated_timestamp`` as Zendesk does.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

from .fakes import FakeSource, Reply, Request, basic_auth

EMAIL = "ops@acme.example"
TOKEN = "zd-api-token"
GROUPS = {"Payments": 360001, "Network": 360002}
USERS = {"Ada Lovelace": 9001, "Grace Hopper": 9002}
EXCLUDED_LAST = timedelta(minutes=1)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def unix(moment: datetime) -> int:
    return int(moment.astimezone(UTC).timestamp())


def encode_cursor(timestamp: int, ident: int) -> str:
    return base64.b64encode(f"{timestamp}.0||{ident}|".encode()).decode()


def decode_cursor(cursor: str) -> tuple[int, int]:
    stamp, _, rest = base64.b64decode(cursor.encode()).decode().partition("||")
    return int(float(stamp)), int(rest.strip("|"))


def ticket(
    ident: int,
    updated: datetime,
    *,
    created: datetime | None = None,
    status: str = "open",
    priority: str | None = "normal",
    subject: str = "",
    group: str | None = "Payments",
    assignee: str | None = "Ada Lovelace",
    tags: list[str] | None = None,
    custom_fields: list[dict[str, Any]] | None = None,
    ticket_type: str | None = "incident",
) -> dict[str, Any]:
    """A ticket as the export lists it (the Tickets API example's fields)."""
    return {
        "url": f"https://acme.zendesk.com/api/v2/tickets/{ident}.json",
        "id": ident,
        "external_id": None,
        "via": {"channel": "web", "source": {"from": {}, "to": {}, "rel": None}},
        "created_at": iso(created or updated),
        "updated_at": iso(updated),
        "generated_timestamp": unix(updated),
        "type": ticket_type,
        "subject": subject or f"Ticket {ident}",
        "raw_subject": subject or f"Ticket {ident}",
        "description": "The printer is on fire.",
        "priority": priority,
        "status": status,
        "recipient": "support@acme.example",
        "requester_id": 7001,
        "submitter_id": 7001,
        "assignee_id": USERS[assignee] if assignee else None,
        "organization_id": None,
        "group_id": GROUPS[group] if group else None,
        "collaborator_ids": [],
        "follower_ids": [],
        "problem_id": None,
        "has_incidents": False,
        "is_public": True,
        "due_at": None,
        "tags": tags if tags is not None else ["payments"],
        "custom_fields": custom_fields or [],
        "satisfaction_rating": None,
        "sharing_agreement_ids": [],
        "brand_id": 1001,
        "allow_channelback": False,
        "allow_attachments": True,
    }


class ZendeskFake(FakeSource):
    def __init__(
        self, tickets: list[dict[str, Any]], *, email: str = EMAIL, token: str = TOKEN
    ) -> None:
        super().__init__()
        self.tickets: dict[int, dict[str, Any]] = {t["id"]: t for t in tickets}
        # An API token with Basic auth, or an OAuth access token (here the same string).
        self.accepted = {basic_auth(f"{email}/token", token), f"Bearer {token}"}
        self.role = "admin"
        # Zendesk's clock: ours, moved on by ``advance`` (to let the excluded minute pass).
        self.offset = timedelta(0)
        self.metric_sets: dict[int, dict[str, Any]] = {
            t["id"]: self._metric_set(t["id"]) for t in tickets
        }
        # Ticket id -> its SLA policy metrics (``{"metric", "stage", "breach_at"...}``).
        self.slas: dict[int, list[dict[str, Any]]] = {}

    def clock(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)

    # --- changes, as Zendesk makes them ---------------------------------------------

    def _metric_set(self, ident: int, **values: Any) -> dict[str, Any]:
        return {
            "id": 50_000 + ident,
            "ticket_id": ident,
            "group_stations": 1,
            "assignee_stations": 1,
            "reopens": 0,
            "replies": 1,
            "solved_at": None,
            **values,
        }

    def create(self, record: dict[str, Any]) -> None:
        self.tickets[record["id"]] = record
        self.metric_sets[record["id"]] = self._metric_set(record["id"])

    def update(self, ident: int, at: datetime | None = None, **fields: Any) -> dict[str, Any]:
        """An agent's update: ``updated_at`` and ``generated_timestamp`` move."""
        at = at or self.clock()
        record = self.tickets[ident]
        if "group" in fields:
            group = fields.pop("group")
            record["group_id"] = GROUPS[group] if group else None
            self.metric_sets[ident]["group_stations"] += 1
        if "assignee" in fields:
            assignee = fields.pop("assignee")
            record["assignee_id"] = USERS[assignee] if assignee else None
        if fields.get("status") in ("solved", "closed"):
            self.metric_sets[ident]["solved_at"] = iso(at)
        if fields.get("status") == "open" and record["status"] in ("solved", "closed"):
            self.metric_sets[ident]["reopens"] += 1
        record.update(fields, updated_at=iso(at), generated_timestamp=unix(at))
        return record

    def system_update(self, ident: int, at: datetime | None = None) -> None:
        """A system change (an SLA recount...): only ``generated_timestamp`` moves."""
        self.tickets[ident]["generated_timestamp"] = unix(at or self.clock())

    def delete(self, ident: int, at: datetime | None = None) -> None:
        at = at or self.clock()
        self.tickets[ident].update(status="deleted", generated_timestamp=unix(at))

    # --- the API -----------------------------------------------------------------------

    def route(self, request: Request) -> Reply:
        if request.headers.get("authorization") not in self.accepted:
            return Reply(401, {"error": "Couldn't authenticate you"})
        if request.path == "/api/v2/users/me.json":
            return Reply(200, {"user": {"id": 9001, "name": "Ada Lovelace", "role": self.role}})
        if request.path == "/api/v2/incremental/tickets/cursor.json":
            return self._export(request)
        if request.path == "/api/v2/tickets/show_many.json":
            wanted = [int(i) for i in request.param("ids").split(",") if i.isdigit()]
            rows = [t for i in wanted if (t := self.tickets.get(i)) and t["status"] != "deleted"]
            loaded = self._sideloads(request, rows)
            return Reply(200, {"tickets": self._with_slas(request, rows), **loaded})
        return Reply(404, {"error": "InvalidEndpoint", "description": "Not found"})

    def _invalid(self, description: str) -> Reply:
        return Reply(400, {"error": "InvalidPaginationParameter", "description": description})

    def _export(self, request: Request) -> Reply:
        per_page = int(request.param("per_page", "1000"))
        if not 1 <= per_page <= 1000:
            return self._invalid("per_page must be between 1 and 1000")
        horizon = unix(self.clock() - EXCLUDED_LAST)
        rows = sorted(
            (t for t in self.tickets.values() if t["generated_timestamp"] <= horizon),
            key=lambda t: (t["generated_timestamp"], t["id"]),
        )
        if request.param("exclude_deleted") == "true":
            rows = [t for t in rows if t["status"] != "deleted"]
        cursor = request.param("cursor")
        if cursor:
            try:
                position = decode_cursor(cursor)
            except (ValueError, UnicodeDecodeError):
                return self._invalid("cursor is invalid")
            rows = [t for t in rows if (t["generated_timestamp"], t["id"]) > position]
        else:
            start = request.param("start_time")
            if not start.isdigit():
                return self._invalid("start_time is required")
            if int(start) > horizon:
                return self._invalid("start_time must be at least one minute in the past")
            rows = [t for t in rows if t["generated_timestamp"] >= int(start)]
        page = rows[:per_page]
        after = encode_cursor(page[-1]["generated_timestamp"], page[-1]["id"]) if page else cursor
        before = encode_cursor(page[0]["generated_timestamp"], page[0]["id"]) if page else None
        base = "https://acme.zendesk.com" + request.path
        return Reply(
            200,
            {
                "tickets": self._with_slas(request, page),
                "after_url": f"{base}?cursor={after}" if after else None,
                "after_cursor": after or None,
                "before_url": f"{base}?cursor={before}" if before else None,
                "before_cursor": before,
                "end_of_stream": len(rows) <= per_page,
                **self._sideloads(request, page),
            },
        )

    def _with_slas(self, request: Request, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if "slas" not in request.param("include").split(","):
            return rows
        return [{**t, "slas": {"policy_metrics": self.slas.get(t["id"], [])}} for t in rows]

    def _sideloads(self, request: Request, rows: list[dict[str, Any]]) -> dict[str, Any]:
        include = set(request.param("include").split(",")) - {""}
        loaded: dict[str, Any] = {}
        if "users" in include:
            ids = {t["assignee_id"] for t in rows} | {t["requester_id"] for t in rows}
            loaded["users"] = [
                {"id": i, "name": n, "role": "agent"} for n, i in USERS.items() if i in ids
            ]
        if "groups" in include:
            ids = {t["group_id"] for t in rows}
            loaded["groups"] = [{"id": i, "name": n} for n, i in GROUPS.items() if i in ids]
        if "metric_sets" in include:
            loaded["metric_sets"] = [
                self.metric_sets[t["id"]] for t in rows if t["id"] in self.metric_sets
            ]
        return loaded
