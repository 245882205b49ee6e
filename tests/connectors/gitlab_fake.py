"""A fake GitLab GraphQL API on 127.0.0.1, speaking the documented wire format.

What integrations/connectors/gitlab.py relies on, as its docstring cites it: ``POST
/api/graphql`` with ``Authorization: Bearer``; ``project(fullPath:) { issues(updatedAfter:,
sort: UPDATED_ASC, first:, after:) }`` with keyset cursors; ``{"project": null}`` for a
project the token cannot see; ``project(fullPath:) { issue(iid:) }`` (null for no such
issue); errors with HTTP 200; 429 ``Retry later`` with
``Retry-After``. Issues are kept in the GraphQL shape; :func:`issue_hook` gives the issue
hook GitLab would send for one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .fakes import Reply
from .graphql_fake import GraphQLIssuesFake, iso

TOKEN = "glpat-test0123456789"
PROJECT = "acme/platform/widgets"
ISSUES_SHAPE = (
    "project(fullPath: $path) { issues(updatedAfter: $since, sort: UPDATED_ASC, "
    "first: $first, after: $cursor)"
)


def issue(
    iid: int,
    updated: datetime,
    *,
    created: datetime | None = None,
    state: str = "opened",
    labels: tuple[str, ...] = (),
    milestone: str | None = None,
    assignees: tuple[str, ...] = (),
    title: str = "",
) -> dict[str, Any]:
    """An issue node as the ``issues`` connection answers it."""
    return {
        "id": f"gid://gitlab/Issue/{5000 + iid}",
        "iid": str(iid),
        "title": title or f"Issue {iid}",
        "webUrl": f"https://gitlab.com/{PROJECT}/-/issues/{iid}",
        "state": state,
        "createdAt": iso(created or updated),
        "updatedAt": iso(updated),
        "closedAt": iso(updated) if state == "closed" else None,
        "labels": {"nodes": [{"title": n} for n in labels]},
        "milestone": {"title": milestone} if milestone else None,
        "assignees": {"nodes": [{"username": a} for a in assignees]},
    }


def issue_hook(node: dict[str, Any], action: str = "update") -> dict[str, Any]:
    """The issue hook GitLab sends for this issue (its documented example's fields)."""

    def hook_time(value: str | None) -> str | None:
        return value.replace("T", " ").replace("Z", " UTC") if value else None

    ident = int(node["id"].rsplit("/", 1)[1])
    return {
        "object_kind": "issue",
        "event_type": "issue",
        "user": {"id": 1, "name": "Administrator", "username": "root"},
        "project": {
            "id": 1,
            "name": "widgets",
            "web_url": f"https://gitlab.com/{PROJECT}",
            "path_with_namespace": PROJECT,
        },
        "object_attributes": {
            "id": ident,
            "iid": int(node["iid"]),
            "title": node["title"],
            "project_id": 1,
            "created_at": hook_time(node["createdAt"]),
            "updated_at": hook_time(node["updatedAt"]),
            "closed_at": hook_time(node["closedAt"]),
            "milestone_id": 7 if node["milestone"] else None,
            "state": node["state"],
            "url": node["webUrl"],
            "action": action,
            "moved_to_id": None,
        },
        "labels": [{"id": 1, "title": n["title"]} for n in node["labels"]["nodes"]],
        "assignees": [
            {"name": a["username"].title(), "username": a["username"]}
            for a in node["assignees"]["nodes"]
        ],
        "changes": {},
    }


class GitLabFake(GraphQLIssuesFake):
    path = "/api/graphql"

    def __init__(self, issues: list[dict[str, Any]]) -> None:
        super().__init__()
        self.issues = {i["id"]: i for i in issues}

    def accepts(self, authorization: str) -> bool:
        return authorization == f"Bearer {TOKEN}"

    # --- changes, as GitLab makes them -------------------------------------------------

    def node(self, iid: int) -> dict[str, Any]:
        return next(i for i in self.issues.values() if i["iid"] == str(iid))

    def update(self, iid: int, at: datetime | None = None, **fields: Any) -> dict[str, Any]:
        record = self.node(iid)
        record.update(fields, updatedAt=iso(at or datetime.now(UTC)))
        if fields.get("state") == "closed":
            record["closedAt"] = record["updatedAt"]
        return record

    def add(self, record: dict[str, Any]) -> None:
        self.issues[record["id"]] = record

    def delete(self, iid: int) -> dict[str, Any]:
        return self.issues.pop(self.node(iid)["id"])

    @staticmethod
    def throttled(retry_after: int) -> Reply:
        """GitLab.com over its rate limit: 429, ``Retry later``, ``Retry-After``."""
        return Reply(
            429,
            "Retry later\n",
            headers={
                "Retry-After": str(retry_after),
                "RateLimit-Limit": "2000",
                "RateLimit-Observed": "2001",
                "RateLimit-Remaining": "0",
            },
        )

    # --- the API -----------------------------------------------------------------------

    def answer(self, query: str, variables: dict[str, Any]) -> Reply:
        if variables.get("path") != PROJECT:
            return Reply(200, {"data": {"project": None}})
        if "count" in query and "issues(state: opened)" in query:
            count = sum(1 for i in self.issues.values() if i["state"] == "opened")
            return Reply(
                200, {"data": {"project": {"fullPath": PROJECT, "issues": {"count": count}}}}
            )
        if "project(fullPath: $path) { issue(iid: $iid) {" in query:
            iid = variables.get("iid")
            found = next((i for i in self.issues.values() if i["iid"] == iid), None)
            return Reply(200, {"data": {"project": {"issue": found}}})
        if ISSUES_SHAPE not in query:
            return Reply(200, {"errors": [{"message": "Unexpected query"}]})
        first = variables.get("first")
        if not isinstance(first, int) or not 1 <= first <= 100:
            return Reply(200, {"errors": [{"message": "first must be between 1 and 100"}]})
        page = self.page(since=variables.get("since"), first=first, after=variables.get("cursor"))
        return Reply(200, {"data": {"project": {"issues": page}}})
