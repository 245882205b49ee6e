"""A fake JSM Operations REST API on 127.0.0.1, speaking the documented wire format.

What integrations/connectors/jsm_ops.py relies on, as its docstring cites it: basic auth
(email and API token), ``/jsm/ops/api/{cloudId}/v1/alerts`` with ``query`` (``field: value``
and ``createdAt >= <epoch ms>`` clauses joined by ``AND``, the connector's own query in
parentheses), ``sort`` limited to the documented fields (``updatedAt`` is refused),
``order``, ``offset`` + ``size`` refused at the 20,000 cap, ``{"values", "count", "links":
{"next"}}``; ``GET /v1/alerts/{id}`` answering the alert itself, 404 once deleted. Changes
made with :meth:`JsmOpsFake.acknowledge`/``snooze``/``close_alert``/``delete`` stamp ``updatedAt``
as JSM does.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .fakes import FakeSource, Reply, Request, basic_auth

EMAIL = "ops-bot@acme.example"
TOKEN = "ATATT3x-jsm-ops-test-token"
CLOUD_ID = "3f5e2a9c-1b7d-4c8e-9a01-23456789abcd"
PREFIX = f"/jsm/ops/api/{CLOUD_ID}/v1/alerts"
SORTS = ("createdAt", "insertedAt", "lastOccurredAt", "priority")
CLAUSE = re.compile(r"^(\w+)\s*(>=|<=|>|<|:|=)\s*(.+)$")
COMPARE = {">=": operator.ge, ">": operator.gt, "<": operator.lt, "<=": operator.le}


def iso(moment: datetime) -> str:
    """JSM's form: milliseconds and ``Z``."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


@functools.lru_cache(maxsize=65536)
def _ms(value: str) -> int:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return int(moment.timestamp() * 1000)


def alert(
    number: int,
    created: datetime,
    *,
    status: str = "open",
    acknowledged: bool = False,
    snoozed: bool = False,
    message: str = "",
    priority: str = "P3",
    team: str | None = "c8007b3c-5f0a-4a8e-9d2b-0123456789ab",
    owner: str = "",
    entity: str = "payments-api",
    tags: list[str] | None = None,
) -> dict[str, Any]:
    """An alert as ``GET /v1/alerts`` lists it (the reference's AlertResponse)."""
    stamp = iso(created)
    record: dict[str, Any] = {
        "id": f"{number:08d}-73c9-4907-9996-8cb53a6a20d0-1704440650350",
        "tinyId": str(number),
        "createdAt": stamp,
        "updatedAt": stamp,
        "message": message or f"Alert {number}",
        "entity": entity,
        "source": "Datadog",
        "status": status,
        "alias": f"alias-{number}",
        "tags": tags if tags is not None else ["prod"],
        "acknowledged": acknowledged,
        "count": 1,
        "owner": owner,
        "snoozed": snoozed,
        "lastOccurredAt": stamp,
        "integrationType": "Datadog",
        "integrationName": "Datadog - prod",
        "priority": priority,
        "responders": [{"id": team, "type": "team"}] if team else [],
        "actions": [],
        "seen": False,
    }
    if status == "closed":
        record["closeTime"] = stamp
    return record


class JsmOpsFake(FakeSource):
    def __init__(self, alerts: list[dict[str, Any]], *, max_records: int = 20_000) -> None:
        super().__init__()
        self.alerts = {a["id"]: a for a in alerts}
        self.max_records = max_records

    @property
    def api_url(self) -> str:
        """The connector's base URL: the fake's host with the cloud id's path."""
        return f"{self.base_url}/jsm/ops/api/{CLOUD_ID}"

    # --- changes, as JSM makes them ------------------------------------------------------

    def _change(self, ident: str, at: datetime | None, **values: Any) -> dict[str, Any]:
        record = self.alerts[ident]
        record.update(values, updatedAt=iso(at or datetime.now(UTC)))
        return record

    def acknowledge(self, ident: str, at: datetime | None = None) -> dict[str, Any]:
        return self._change(ident, at, acknowledged=True)

    def snooze(self, ident: str, at: datetime | None = None) -> dict[str, Any]:
        return self._change(ident, at, snoozed=True)

    def close_alert(self, ident: str, at: datetime | None = None) -> dict[str, Any]:
        record = self._change(ident, at, status="closed")
        record["closeTime"] = record["updatedAt"]
        return record

    def assign(self, ident: str, owner: str, at: datetime | None = None) -> dict[str, Any]:
        return self._change(ident, at, owner=owner)

    def create(self, record: dict[str, Any]) -> None:
        self.alerts[record["id"]] = record

    def delete(self, ident: str) -> None:
        del self.alerts[ident]

    # --- the API -----------------------------------------------------------------------

    def route(self, request: Request) -> Reply:
        if request.headers.get("authorization") != basic_auth(EMAIL, TOKEN):
            return Reply(401, {"message": "Unauthorized", "code": 401})
        if request.path == PREFIX:
            return self._list(request)
        if request.path.startswith(PREFIX + "/"):
            record = self.alerts.get(request.path.removeprefix(PREFIX + "/"))
            if record is None:
                return Reply(404, {"message": "Alert not found", "code": 404})
            return Reply(200, record)
        return Reply(404, {"message": "Not found", "code": 404})

    def _invalid(self, message: str) -> Reply:
        return Reply(400, {"message": message, "code": 400})

    def _list(self, request: Request) -> Reply:
        size = int(request.param("size", "20"))
        offset = int(request.param("offset", "0"))
        sort = request.param("sort", "insertedAt")
        if sort not in SORTS:
            return self._invalid(f"sort must be one of {', '.join(SORTS)}")
        if offset + size >= self.max_records:
            return self._invalid(
                f"More than {self.max_records} alerts cannot be retrieved. Sum of offset and "
                "size should be lower than that."
            )
        try:
            wanted = _filter(request.param("query"))
            rows = [r for r in self.alerts.values() if wanted(r)]
        except ValueError as exc:
            return self._invalid(f"Invalid query: {exc}")
        key = {"insertedAt": "createdAt"}.get(sort, sort)
        rows.sort(key=lambda r: (r[key], r["id"]), reverse=request.param("order") != "asc")
        page = rows[offset : offset + size]
        body: dict[str, Any] = {"values": page, "count": len(rows), "links": {}}
        if offset + size < len(rows):
            body["links"]["next"] = f"/v1/alerts?offset={offset + size}&size={size}&sort={sort}"
        return Reply(200, body)


def _filter(query: str) -> Callable[[dict[str, Any]], bool]:
    """The conjunctions the connector sends: ``(user query) AND status: open AND createdAt
    >= <ms>``; the user part here is itself ``field: value`` clauses joined by ``AND``.
    Read once per request (a ValueError names what cannot be read)."""
    tests: list[Callable[[dict[str, Any]], bool]] = []
    clauses = [c.strip().strip("()").strip() for c in query.split(" AND ")] if query else []
    for clause in clauses:
        match = CLAUSE.match(clause)
        if match is None:
            raise ValueError(f"cannot read {clause!r}")
        field, op, value = match.group(1), match.group(2), match.group(3).strip().strip('"')
        if field == "createdAt":
            compare = COMPARE.get(op, operator.eq)
            wanted = int(value)
            tests.append(lambda r, c=compare, w=wanted: c(_ms(r["createdAt"]), w))
        elif field == "tag":
            tests.append(lambda r, v=value: v in r["tags"])
        elif field in ("status", "priority", "entity", "owner"):
            tests.append(lambda r, f=field, v=value: str(r[f]) == v)
        elif field in ("acknowledged", "snoozed"):
            tests.append(lambda r, f=field, v=value == "true": r[f] is v)
        else:
            raise ValueError(f"unknown field {field!r}")
    return lambda record: all(test(record) for test in tests)
