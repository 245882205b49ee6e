"""GitHub issues connector: one repository's issues over the GraphQL API (v4) as tickets.

Wire facts (sources below):

- ``POST /graphql`` on ``https://api.github.com`` (GitHub Enterprise Server: the base URL
  ``https://HOST/api``, GraphQL at ``/api/graphql``), ``{"query", "variables"}``; auth
  ``Authorization: bearer <token>`` (or ``token <token>``) with a personal access token or
  an app token that can read the repository's issues. [1][2]
- ``repository(owner:, name:) { issues(filterBy: {since:}, orderBy: {field: UPDATED_AT,
  direction: ASC}, first:, after:) { pageInfo { hasNextPage endCursor } nodes {...} } }``:
  ``IssueFilters.since`` lists "issues that have been updated at or after the given date";
  ``first`` is 1..100 on every connection; the ``issues`` connection holds no pull requests.
  Issue fields read: ``id`` (the global node id, the webhook's ``node_id``), ``number``,
  ``title``, ``url``, ``state`` (OPEN, CLOSED), ``stateReason`` (COMPLETED, NOT_PLANNED,
  REOPENED; DUPLICATE, which public clients ask for as ``stateReason(enableDuplicate:
  true)``: what an unasked duplicate reads as is not verified here), ``createdAt``,
  ``updatedAt``, ``closedAt``, ``labels{nodes{name}}``, ``milestone{title}``,
  ``assignees{nodes{login}}``. Times are ISO 8601 with ``Z``. [1][3]
- Errors come with HTTP 200 and ``{"errors": [{"type": "NOT_FOUND" | "RATE_LIMITED" |
  "FORBIDDEN" | ..., "message", "path"}]}`` (a repository the token cannot see is
  ``NOT_FOUND``, "Could not resolve to a Repository with the name ..."). ``data`` may come
  beside ``errors``, an issue node null or a field of it failed, with the error's ``path``
  naming the node: that issue alone is quarantined (.graphql). [4][5]
- ``nodes(ids: [ID!]!)`` ("Lookup nodes by a list of IDs", ``[Node]!``) reads quarantined
  issues again by node id, ``... on Issue`` with ``repository { nameWithOwner }``; an id it
  cannot resolve comes back null with an error whose ``path`` is ``["nodes", <i>]``. [1]
- Rate limits: a primary budget of points an hour; the answers carry
  ``x-ratelimit-remaining`` and ``x-ratelimit-reset`` (the epoch second the window
  resets); over it, ``RATE_LIMITED`` (or a 403/429 with ``x-ratelimit-remaining: 0``), and
  secondary limits answer 403 or 429 with ``retry-after`` (seconds). All are waited out
  (.graphql, .http). [2][6]
- Webhooks: ``X-GitHub-Event: issues`` with ``action`` opened, edited, closed, reopened,
  labeled, assigned, milestoned... and ``deleted``/``transferred`` (gone from this
  repository), ``{"action", "issue": {REST issue: node_id, number, html_url, state,
  state_reason, labels[].name, milestone.title, assignees[].login, created_at, updated_at,
  closed_at}, "repository": {"full_name"}}``; ``issue_comment`` events carry the issue too
  (a comment changes its ``updated_at``); a pull request (a ``pull_request`` event, or an
  issue with a ``pull_request`` key) is no issue; a ``ping`` is sent when the hook is made.
  Signed ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>``, delivery id
  ``X-GitHub-Delivery`` (integrations/webhooks.py). [7][8]

Key ``<owner>/<name>#<number>``; external id the node id. Deleted and transferred issues
leave the ``issues`` connection silently: the webhook marks them gone at once, and the
nightly full sync marks gone whatever the connection no longer lists.

Sources: [1] docs.github.com/graphql (Forming calls; Objects: Issue; Input objects:
IssueFilters, IssueOrder; Using pagination), the ``since`` argument as the octokit GraphQL
schema and its generated clients restate it ("List issues that have been updated at or
after the given date"); [2] docs.github.com "Rate limits and query limits for the GraphQL
API" (points; ``first``/``last`` 1..100; 500,000 nodes a call); [3] the Relay ``pageInfo``
paging (``hasNextPage``, ``endCursor``), as GitHub's GraphQL explorer examples show it;
[4] renovatebot/renovate#21861 (``{"errors": [{"type": "RATE_LIMITED", ...}]}`` with HTTP
200); [5] berenddeboer/ready-for-agent#1038 and cli/cli#436 (``data.repository: null`` and
``NOT_FOUND`` on the ``repository`` path); [6] docs.github.com "Rate limits for the REST
API" (primary and secondary limits, ``x-ratelimit-*``, ``retry-after``) and
KnpLabs/php-github-api#1072 (a secondary limit's headers); [7] octokit/webhooks (the
``issues`` actions, among them ``deleted`` and ``transferred``; payload examples) and the
openapi-github ``WebhookIssuesTransferred`` model; [8] docs.github.com "Validating webhook
deliveries" (X-Hub-Signature-256) and "Webhook events and payloads" (X-GitHub-Delivery,
``ping``). Read again for this module: [2] (node limits), [4], [5], [6], [7] and the
``since`` wording of [1]; the endpoint paths and header names of [1] and [8] are as issue 16
states them from GitHub's documentation, not re-read here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from .base import (
    NormalizedTicket,
    PushAction,
    RecordRejected,
    StatusCategory,
    optional_text,
    require_mapping,
    require_text,
)
from .errors import ConfigurationError, ResponseFormatError
from .graphql import (
    MAX_FIRST,
    NODE_ERRORS,
    GraphQLIssuesConnector,
    connection_nodes,
    named_nodes,
)

__all__ = ["GitHubConnector"]

DEFAULT_STATUS_MAP: Mapping[str, StatusCategory] = {
    "open": "open",
    "closed": "closed",
    "not_planned": "cancelled",
    "duplicate": "cancelled",
}
ISSUE_FIELDS = """
    id number title url state stateReason createdAt updatedAt closedAt
    labels(first: 100) { nodes { name } }
    milestone { title }
    assignees(first: 20) { nodes { login } }
"""
ISSUES_QUERY = (
    """
query Issues($owner: String!, $name: String!, $since: DateTime, $first: Int!, $cursor: String) {
  repository(owner: $owner, name: $name) {
    issues(filterBy: {since: $since}, orderBy: {field: UPDATED_AT, direction: ASC},
           first: $first, after: $cursor) {
      pageInfo { hasNextPage endCursor }
      nodes {"""
    + ISSUE_FIELDS
    + """}
    }
  }
}
"""
)
# Quarantined issues read again by node id (``Query.nodes(ids: [ID!]!): [Node]!``), with the
# repository, as an issue transferred away still resolves by its id.
NODES_QUERY = (
    """
query Nodes($ids: [ID!]!) {
  nodes(ids: $ids) { ... on Issue {"""
    + ISSUE_FIELDS
    + """ repository { nameWithOwner } } }
}
"""
)
CHECK_QUERY = """
query Check($owner: String!, $name: String!) {
  repository(owner: $owner, name: $name) { nameWithOwner issues(states: OPEN) { totalCount } }
}
"""


class GitHubConnector(GraphQLIssuesConnector):
    kind = "github"
    label = "GitHub"
    auth_types = frozenset({"bearer", "token"})
    token_header = "token {secret}"
    default_status_map = DEFAULT_STATUS_MAP
    issues_query = ISSUES_QUERY
    root_field = "repository"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if httpx.URL(self.config.base_url).path.rstrip("/").endswith("/api/v3"):
            raise ConfigurationError(
                "GitHub Enterprise Server: give the base URL https://HOST/api (GraphQL is "
                "/api/graphql), not the REST API's /api/v3"
            )
        self.owner, self.name = self.path.split("/")

    def parse_path(self, query: str) -> str:
        owner, slash, name = query.partition("/")
        if not slash or not owner.strip() or not name.strip() or "/" in name:
            raise ConfigurationError(
                f"the query must name one GitHub repository as owner/name, not {query!r}"
            )
        return f"{owner.strip()}/{name.strip()}"

    # --- reading ---------------------------------------------------------------------------

    def path_variables(self) -> dict[str, str]:
        return {"owner": self.owner, "name": self.name}

    def _raw_records(self, external_ids: list[str]) -> list[object] | None:
        """Quarantined issues as they are now: those GitHub no longer resolves, or that
        are no issues of this repository now, are left out (a full sync marks them)."""
        records: list[object] = []
        for start in range(0, len(external_ids), MAX_FIRST):
            ids = external_ids[start : start + MAX_FIRST]
            data = self.graphql(NODES_QUERY, {"ids": ids}, nodes_at=("nodes",))
            nodes = data.get("nodes")
            if not isinstance(nodes, list):
                raise ResponseFormatError("GitHub answered 'nodes' without a list")
            for node in nodes:
                if not isinstance(node, Mapping) or not node.get("id") or NODE_ERRORS in node:
                    continue
                repository = node.get("repository")
                name = repository.get("nameWithOwner") if isinstance(repository, Mapping) else None
                if isinstance(name, str) and name.casefold() == self.path.casefold():
                    records.append({k: v for k, v in node.items() if k != "repository"})
        return records

    def test_connection(self) -> str:
        data = self.graphql(CHECK_QUERY, {"owner": self.owner, "name": self.name})
        repository = self.root(data)
        issues = repository.get("issues")
        count = issues.get("totalCount") if isinstance(issues, Mapping) else "?"
        return f"Connected to GitHub: {repository.get('nameWithOwner')}, open issues: {count}."

    # --- webhooks --------------------------------------------------------------------------

    def push_envelope(self, body: Mapping[str, Any]) -> tuple[PushAction, object]:
        """An ``issues`` (or ``issue_comment``) event: its issue in the GraphQL shape, or
        its node id when it was deleted or transferred away."""
        if "zen" in body and "hook_id" in body:
            return "ignore", "a GitHub ping"
        if "pull_request" in body:
            return "ignore", "a pull request event: pull requests are not mirrored"
        if "issue" not in body:
            # push, star, release...: a hook sent "everything" changes no ticket with them.
            return "ignore", "a GitHub event without an issue: only issues events are read"
        issue = require_mapping(body.get("issue"), "'issue'")
        if "pull_request" in issue:
            return "ignore", "an event of a pull request: pull requests are not mirrored"
        repository = body.get("repository")
        full_name = repository.get("full_name") if isinstance(repository, Mapping) else None
        if isinstance(full_name, str) and full_name.casefold() != self.path.casefold():
            raise RecordRejected(f"the event is for {full_name!r}, not {self.path!r}")
        node_id = require_text(issue, "node_id")
        if "comment" not in body and body.get("action") in ("deleted", "transferred"):
            return "delete", node_id
        milestone = issue.get("milestone")
        return "upsert", {
            "id": node_id,
            "number": issue.get("number"),
            "title": issue.get("title"),
            "url": issue.get("html_url"),
            "state": str(issue.get("state", "")).upper(),
            "stateReason": str(issue.get("state_reason") or "").upper() or None,
            "createdAt": issue.get("created_at"),
            "updatedAt": issue.get("updated_at"),
            "closedAt": issue.get("closed_at"),
            "labels": {"nodes": named_nodes(issue.get("labels"), "name")},
            "milestone": milestone if isinstance(milestone, Mapping) else None,
            "assignees": {"nodes": named_nodes(issue.get("assignees"), "login")},
        }

    # --- mapping ---------------------------------------------------------------------------

    def _identity(self, raw: object) -> tuple[str, datetime] | None:
        if not isinstance(raw, Mapping) or not isinstance(raw.get("id"), str) or not raw["id"]:
            return None
        try:
            updated = self.time(raw, "updatedAt")
        except RecordRejected:
            return None
        return (raw["id"], updated) if updated else None

    def issue_ticket(self, issue: Mapping[str, Any]) -> NormalizedTicket:
        state = require_text(issue, "state").lower()
        reason = optional_text(issue.get("stateReason"))
        status = reason.lower() if state == "closed" and reason in _CLOSE_REASONS else state
        milestone = issue.get("milestone")
        return self.ticket(
            issue,
            external_id=require_text(issue, "id"),
            key=f"{self.key_prefix}#{require_text(issue, 'number')}",
            url=optional_text(issue.get("url")) or "",
            status_raw=status,
            labels=self.label_names(issue.get("labels"), "name"),
            milestone=optional_text(milestone.get("title"))
            if isinstance(milestone, Mapping)
            else None,
            assignees=[
                login
                for node in connection_nodes(issue.get("assignees"), "assignees")
                if (login := optional_text(node.get("login")))
            ],
        )


# A closed issue's reason is its status when it says it was not done.
_CLOSE_REASONS = frozenset({"NOT_PLANNED", "DUPLICATE"})
