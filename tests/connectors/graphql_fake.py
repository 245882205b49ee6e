"""What the fake GitHub and GitLab GraphQL APIs share: a POSTed ``{"query", "variables"}``
checked against the documented query shape, and issues sorted by update time with keyset
cursors (the update time and the id, as both tools' cursors for this order are), so a change
made between two pages moves an issue to the end rather than shifting the others."""

from __future__ import annotations

import base64
import json
import re
import time
from datetime import UTC, datetime
from typing import Any

from .fakes import FakeSource, Reply, Request


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def squeeze(query: str) -> str:
    """The query with its whitespace reduced, to compare its shape."""
    return re.sub(r"\s+", " ", query).replace("( ", "(").replace(" )", ")")


class GraphQLIssuesFake(FakeSource):
    """Subclasses name the endpoint, the auth they accept and answer the queries."""

    path = "/graphql"

    def __init__(self) -> None:
        super().__init__()
        self.issues: dict[str, dict[str, Any]] = {}
        self.queries: list[dict[str, Any]] = []

    def accepts(self, authorization: str) -> bool:
        raise NotImplementedError

    def answer(self, query: str, variables: dict[str, Any]) -> Reply:
        raise NotImplementedError

    def route(self, request: Request) -> Reply:
        if request.path != self.path:
            return Reply(404, {"message": "Not Found"})
        if request.method != "POST":
            return Reply(404, {"message": "Not Found"})
        if not self.accepts(request.headers.get("authorization", "")):
            return Reply(401, {"message": "Bad credentials"})
        try:
            body = json.loads(request.body)
            query, variables = body["query"], body.get("variables") or {}
        except (ValueError, KeyError, TypeError):
            return Reply(400, {"errors": [{"message": "Problems parsing JSON"}]})
        self.queries.append({"query": query, "variables": variables})
        return self.answer(squeeze(query), variables)

    # --- the issues connection -------------------------------------------------------------

    def page(
        self, *, since: str | None, first: int, after: str | None, updated: str = "updatedAt"
    ) -> dict[str, Any]:
        """``{"pageInfo", "nodes"}``: updated at or after ``since``, oldest first, keyset."""
        rows = sorted(self.issues.values(), key=lambda r: (r[updated], r["id"]))
        if since:
            bound = parse(since)
            rows = [r for r in rows if parse(r[updated]) >= bound]
        if after:
            last = json.loads(base64.b64decode(after).decode().removeprefix("cursor:v2:"))
            rows = [r for r in rows if (r[updated], r["id"]) > (last[0], last[1])]
        nodes = [json.loads(json.dumps(r)) for r in rows[:first]]
        end = None
        if nodes:
            key = json.dumps([nodes[-1][updated], nodes[-1]["id"]])
            end = base64.b64encode(f"cursor:v2:{key}".encode()).decode()
        return {
            "pageInfo": {"hasNextPage": len(rows) > first, "endCursor": end},
            "nodes": nodes,
        }


def epoch_in(seconds: int) -> str:
    return str(int(time.time()) + seconds)
