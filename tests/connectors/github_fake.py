"""A fake GitHub GraphQL API (v4) on 127.0.0.1, speaking the documented wire format.

What integrations/connectors/github.py relies on, as its docstring cites it: ``POST
/graphql`` (``/api/graphql`` for Enterprise Server) with ``Authorization: bearer|token``;
``repository(owner:, name:) { issues(filterBy: {since:}, orderBy: {field: UPDATED_AT,
direction: ASC}, first:, after:) }`` with ``since`` at or after, ``first`` 1..100, keyset
cursors; ``nodes(ids:)``; errors with HTTP 200 (``NOT_FOUND`` for an unknown repository or
node, ``RATE_LIMITED``);
``x-ratelimit-*`` headers on every answer. Issues are kept in the GraphQL shape;
:func:`webhook_issue` gives one in the REST shape an ``issues`` webhook carries.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .fakes import Reply
from .graphql_fake import GraphQLIssuesFake, epoch_in, iso

TOKEN = "ghp_test0123456789"
OWNER, NAME = "acme", "widgets"
ISSUES_SHAPE = (
    "repository(owner: $owner, name: $name) { issues(filterBy: {since: $since}, orderBy: "
    "{field: UPDATED_AT, direction: ASC}, first: $first, after: $cursor)"
)


def issue(
    number: int,
    updated: datetime,
    *,
    created: datetime | None = None,
    state: str = "OPEN",
    reason: str | None = None,
    labels: tuple[str, ...] = (),
    milestone: str | None = None,
    assignees: tuple[str, ...] = (),
    title: str = "",
) -> dict[str, Any]:
    """An issue node as the ``issues`` connection answers it."""
    closed = state == "CLOSED"
    return {
        "id": f"I_kwDOAcme{number:05d}",
        "number": number,
        "title": title or f"Issue {number}",
        "url": f"https://github.com/{OWNER}/{NAME}/issues/{number}",
        "state": state,
        "stateReason": reason or ("COMPLETED" if closed else None),
        "createdAt": iso(created or updated),
        "updatedAt": iso(updated),
        "closedAt": iso(updated) if closed else None,
        "labels": {"nodes": [{"name": n} for n in labels]},
        "milestone": {"title": milestone} if milestone else None,
        "assignees": {"nodes": [{"login": a} for a in assignees]},
    }


def webhook_issue(node: dict[str, Any]) -> dict[str, Any]:
    """The same issue as an ``issues`` webhook's ``issue`` (the REST shape)."""
    return {
        "url": f"https://api.github.com/repos/{OWNER}/{NAME}/issues/{node['number']}",
        "html_url": node["url"],
        "id": 1000 + node["number"],
        "node_id": node["id"],
        "number": node["number"],
        "title": node["title"],
        "user": {"login": "octocat", "id": 1},
        "labels": [{"id": 1, "name": n["name"]} for n in node["labels"]["nodes"]],
        "state": node["state"].lower(),
        "state_reason": (node["stateReason"] or "").lower() or None,
        "locked": False,
        "assignee": None,
        "assignees": [{"login": a["login"], "id": 2} for a in node["assignees"]["nodes"]],
        "milestone": {"number": 1, "title": node["milestone"]["title"]}
        if node["milestone"]
        else None,
        "comments": 0,
        "created_at": node["createdAt"],
        "updated_at": node["updatedAt"],
        "closed_at": node["closedAt"],
        "author_association": "OWNER",
        "body": "",
    }


class GitHubFake(GraphQLIssuesFake):
    def __init__(self, issues: list[dict[str, Any]], *, path: str = "/graphql") -> None:
        super().__init__()
        self.path = path
        self.issues = {i["id"]: i for i in issues}

    def accepts(self, authorization: str) -> bool:
        scheme, _, token = authorization.partition(" ")
        return scheme.lower() in ("bearer", "token") and token == TOKEN

    # --- changes, as GitHub makes them -------------------------------------------------

    def node(self, number: int) -> dict[str, Any]:
        return next(i for i in self.issues.values() if i["number"] == number)

    def update(self, number: int, at: datetime | None = None, **fields: Any) -> dict[str, Any]:
        record = self.node(number)
        record.update(fields, updatedAt=iso(at or datetime.now(UTC)))
        if fields.get("state") == "CLOSED":
            record["closedAt"] = record["updatedAt"]
            record.setdefault("stateReason", "COMPLETED")
        return record

    def add(self, record: dict[str, Any]) -> None:
        self.issues[record["id"]] = record

    def delete(self, number: int) -> dict[str, Any]:
        return self.issues.pop(self.node(number)["id"])

    def rate_limited(self, reset_in: int) -> Reply:
        """GitHub's answer once the hour's points are spent (HTTP 200, ``RATE_LIMITED``)."""
        return Reply(
            200,
            {
                "errors": [
                    {
                        "type": "RATE_LIMITED",
                        "code": "graphql_rate_limit",
                        "message": "API rate limit exceeded for user ID 1.",
                    }
                ]
            },
            headers={
                "x-ratelimit-limit": "5000",
                "x-ratelimit-remaining": "0",
                "x-ratelimit-used": "5000",
                "x-ratelimit-resource": "graphql",
                "x-ratelimit-reset": epoch_in(reset_in),
            },
        )

    # --- the API -----------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": "4999",
            "x-ratelimit-reset": epoch_in(3600),
            "x-ratelimit-resource": "graphql",
        }

    def _nodes(self, ids: list[str]) -> Reply:
        """``nodes(ids:)``: each issue with its repository, null and a NOT_FOUND error
        (``path: ["nodes", i]``) for an id that resolves to nothing."""
        nodes: list[Any] = []
        errors = []
        for index, ident in enumerate(ids):
            record = self.issues.get(ident)
            if record is None:
                nodes.append(None)
                errors.append(
                    {
                        "type": "NOT_FOUND",
                        "path": ["nodes", index],
                        "message": f"Could not resolve to a node with the global id of '{ident}'",
                    }
                )
            else:
                nodes.append({**record, "repository": {"nameWithOwner": f"{OWNER}/{NAME}"}})
        body: dict[str, Any] = {"data": {"nodes": nodes}}
        if errors:
            body["errors"] = errors
        return Reply(200, body, self._headers())

    def answer(self, query: str, variables: dict[str, Any]) -> Reply:
        if "nodes(ids: $ids)" in query:
            return self._nodes(variables.get("ids") or [])
        owner, name = variables.get("owner"), variables.get("name")
        if (owner, name) != (OWNER, NAME):
            return Reply(
                200,
                {
                    "data": {"repository": None},
                    "errors": [
                        {
                            "type": "NOT_FOUND",
                            "path": ["repository"],
                            "locations": [{"line": 2, "column": 3}],
                            "message": f"Could not resolve to a Repository with the name "
                            f"'{owner}/{name}'.",
                        }
                    ],
                },
                self._headers(),
            )
        if "totalCount" in query:
            count = sum(1 for i in self.issues.values() if i["state"] == "OPEN")
            repository = {"nameWithOwner": f"{OWNER}/{NAME}", "issues": {"totalCount": count}}
            return Reply(200, {"data": {"repository": repository}}, self._headers())
        if ISSUES_SHAPE not in query:
            return Reply(200, {"errors": [{"message": "Parse error: unexpected query"}]})
        first = variables.get("first")
        if not isinstance(first, int) or not 1 <= first <= 100:
            return Reply(
                200,
                {
                    "errors": [
                        {
                            "type": "EXCESSIVE_PAGINATION",
                            "message": f"Requesting {first} records on the `issues` connection "
                            "exceeds the `first` limit of 100 records.",
                        }
                    ]
                },
            )
        page = self.page(since=variables.get("since"), first=first, after=variables.get("cursor"))
        return Reply(200, {"data": {"repository": {"issues": page}}}, self._headers())
