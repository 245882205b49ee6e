"""GitLab issues connector: one project's issues over the GraphQL API as tickets.

Wire facts (sources below):

- ``POST /api/graphql`` on ``https://gitlab.com`` (a self-managed instance: its own URL),
  ``{"query", "variables"}``; auth ``Authorization: Bearer <token>``, which GitLab accepts
  for personal, project and group access tokens as for OAuth tokens (``read_api`` scope). [1]
- ``project(fullPath:) { issues(updatedAfter:, sort: UPDATED_ASC, first:, after:) {
  pageInfo { hasNextPage endCursor } nodes {...} } }``; the cursors are keyset cursors of
  the sort. ``updatedAfter`` bounds ``updated_at`` from below (as the REST API's
  ``updated_after``); inclusive or not, the overlap reads the cursor's last second again.
  Issue fields read: ``id`` (a
  global id ``gid://gitlab/Issue/<id>``; the webhook's ``object_attributes.id``), ``iid``
  (a String), ``title``, ``webUrl``, ``state`` (opened, closed; ``locked`` is in the
  enum), ``createdAt``, ``updatedAt``, ``closedAt``, ``labels{nodes{title}}``,
  ``milestone{title}``, ``assignees{nodes{username}}``. [2][3]
- A project that does not exist or that the token cannot see answers ``{"data":
  {"project": null}}`` (no error); errors come with HTTP 200 and ``{"errors": [{"message"}]}``,
  among them "Query has complexity of N, which exceeds max complexity of M" (then lower the
  page size). [4]
- Rate limits: over them GitLab answers 429 with ``Retry-After`` (seconds; the body "Retry
  later"), waited out by .http; some answers lack the header and get our backoff. [5]
- Webhooks ("Issue Hook"): ``X-Gitlab-Event: Issue Hook``, ``{"object_kind": "issue",
  "event_type": "issue" | "confidential_issue", "project": {"path_with_namespace"},
  "object_attributes": {id, iid, title, url, state, created_at, updated_at, closed_at,
  action: open | close | reopen | update}, "labels": [{title}], "assignees": [{username}]}``.
  The milestone comes by ``milestone_id`` only [9], so a hook whose ``milestone_id`` is not
  null is answered by reading the issue back, ``project(fullPath:) { issue(iid: String!)
  }`` (one request; a failed read is quarantined with its reason). The secret token is
  sent as is in ``X-Gitlab-Token``; a delivery is named
  by ``Idempotency-Key`` (GitLab 17.4+, the same on retries) or ``X-Gitlab-Event-UUID``
  (integrations/webhooks.py). GitLab sends no hook when an issue is deleted ([8] asks for
  one); one moved to another project is closed here (``moved_to_id``) and opened there.
  [6][7][8]

Key ``<project path>#<iid>``; external id the issue's numeric id. Deleted issues leave the
``issues`` connection silently: the nightly full sync marks them gone.

Sources: [1] docs.gitlab.com "GraphQL API" (the endpoint, authentication) and "Personal
access tokens"; [2] docs.gitlab.com GraphQL reference (Project.issues arguments, Issue,
IssuableState, IssueSort), as gitlab-org/gitlab#326474, !18094 and !19713 quote its queries
(``project(fullPath:) { issues(sort: ...) { pageInfo {...} } }``); [3]
gitlab-org/gitlab-ce!17417 (``updated_before``/``updated_after``); [4]
gitlab-org/gitlab#469590 (the complexity error), !52448 (``queryComplexity``) and #36513;
[5] NARKOZ/gitlab#628, python-gitlab 7a3724f and gitlab-org/gitlab#365728 (429,
``Retry-After``, sometimes missing); [6] docs.gitlab.com "Webhook events" (Issue events)
and gitlab-org/gitlab#20191 (an issue hook's payload); [7] docs.gitlab.com "Webhooks"
(``X-Gitlab-Token``) and a GitLab webhook receiver reading ``Idempotency-Key`` ("GitLab
before 17.4 has no such header"); [8] gitlab-org/gitlab-ce#30851 ("Trigger webhook on issue
delete"); [9] gitlab-org/gitlab#218295 ("Issue webhook does not include milestone detail
or milestone group ID"; its workaround, reading the issue again) and public GitLab clients'
``project(fullPath: $fullPath) { issue(iid: $iid) }`` queries with ``$iid: String!`` (not
GitLab's reference itself). Read again for this module: [2]'s quoted queries, [3], [4],
[5], [6], [8], [9]; the
``updatedAfter`` argument, ``X-Gitlab-Event-UUID`` and the ``Bearer`` scheme for access
tokens are as issue 16 states them, not re-read here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .base import (
    NormalizedTicket,
    PushAction,
    RecordRejected,
    StatusCategory,
    optional_text,
    require_mapping,
    require_text,
)
from .errors import ConfigurationError, ConnectorError
from .graphql import GraphQLIssuesConnector, connection_nodes, named_nodes

__all__ = ["GitLabConnector"]

DEFAULT_STATUS_MAP: Mapping[str, StatusCategory] = {
    "opened": "open",
    "locked": "open",
    "closed": "closed",
}
ISSUE_FIELDS = """
        id iid title webUrl state createdAt updatedAt closedAt
        labels { nodes { title } }
        milestone { title }
        assignees { nodes { username } }
"""
ISSUES_QUERY = (
    """
query Issues($path: ID!, $since: Time, $first: Int!, $cursor: String) {
  project(fullPath: $path) {
    issues(updatedAfter: $since, sort: UPDATED_ASC, first: $first, after: $cursor) {
      pageInfo { hasNextPage endCursor }
      nodes {"""
    + ISSUE_FIELDS
    + """}
    }
  }
}
"""
)
ISSUE_QUERY = (
    """
query Issue($path: ID!, $iid: String!) {
  project(fullPath: $path) { issue(iid: $iid) {"""
    + ISSUE_FIELDS
    + """} }
}
"""
)
CHECK_QUERY = """
query Check($path: ID!) {
  project(fullPath: $path) { fullPath issues(state: opened) { count } }
}
"""
GLOBAL_ID = re.compile(r"^gid://gitlab/Issue/(\d+)$")
# "2013-12-03 17:15:43 UTC", as older issue hooks send times.
HOOK_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) UTC$")


class GitLabConnector(GraphQLIssuesConnector):
    kind = "gitlab"
    label = "GitLab"
    auth_types = frozenset({"bearer"})
    graphql_path = "/api/graphql"
    default_status_map = DEFAULT_STATUS_MAP
    issues_query = ISSUES_QUERY
    root_field = "project"

    def parse_path(self, query: str) -> str:
        parts = query.strip("/").split("/")
        if len(parts) < 2 or not all(p.strip() for p in parts):
            raise ConfigurationError(
                f"the query must name one GitLab project by its path, group/project, not {query!r}"
            )
        return "/".join(p.strip() for p in parts)

    # --- reading ---------------------------------------------------------------------------

    def path_variables(self) -> dict[str, str]:
        return {"path": self.path}

    def test_connection(self) -> str:
        project = self.root(self.graphql(CHECK_QUERY, {"path": self.path}))
        issues = project.get("issues")
        count = issues.get("count") if isinstance(issues, Mapping) else "?"
        return f"Connected to GitLab: {project.get('fullPath')}, open issues: {count}."

    # --- webhooks --------------------------------------------------------------------------

    def push_envelope(self, body: Mapping[str, Any]) -> tuple[PushAction, object]:
        """An issue hook: its issue in the GraphQL shape; with a milestone, which the hook
        names by id only, the issue read back by its iid. Other hooks change no ticket."""
        kind = body.get("object_kind")
        if kind is None:
            raise RecordRejected("not a GitLab hook: no 'object_kind'")
        if kind != "issue":
            return "ignore", f"a GitLab {kind!r} hook: only issue hooks change tickets"
        project = body.get("project")
        path = project.get("path_with_namespace") if isinstance(project, Mapping) else None
        if isinstance(path, str) and path.casefold() != self.path.casefold():
            raise RecordRejected(f"the hook is for {path!r}, not {self.path!r}")
        issue = require_mapping(body.get("object_attributes"), "'object_attributes'")
        ident = require_text(issue, "id")
        if not GLOBAL_ID.match(f"gid://gitlab/Issue/{ident}"):
            raise RecordRejected(f"'id' is not a GitLab issue id: {ident[:100]!r}")
        if "milestone_id" not in issue or issue["milestone_id"] is not None:
            # Its milestone's title is not in the hook: mirrored without it, the ticket
            # would lose its component until the issue changes again.
            return "upsert", self._issue_read_back(require_text(issue, "iid"))
        return "upsert", {
            "id": f"gid://gitlab/Issue/{ident}",
            "iid": issue.get("iid"),
            "title": issue.get("title"),
            "webUrl": issue.get("url"),
            "state": issue.get("state"),
            "createdAt": _hook_time(issue.get("created_at")),
            "updatedAt": _hook_time(issue.get("updated_at")),
            "closedAt": _hook_time(issue.get("closed_at")),
            "labels": {"nodes": named_nodes(body.get("labels"), "title")},
            "milestone": None,
            "assignees": {"nodes": named_nodes(body.get("assignees"), "username")},
        }

    def _issue_read_back(self, iid: str) -> Mapping[str, Any]:
        try:
            found = self.root(self.graphql(ISSUE_QUERY, {"path": self.path, "iid": iid}))
        except ConnectorError as exc:  # quarantined with the reason, not a failed request
            raise RecordRejected(f"GitLab issue {iid} could not be read back: {exc}") from exc
        issue = found.get("issue")
        if not isinstance(issue, Mapping):
            raise RecordRejected(
                f"GitLab has no issue {iid} in {self.path!r} to read back; the next sync "
                "mirrors the project as it is"
            )
        return issue

    # --- mapping ---------------------------------------------------------------------------

    def _identity(self, raw: object) -> tuple[str, datetime] | None:
        if not isinstance(raw, Mapping) or not isinstance(raw.get("id"), str):
            return None
        match = GLOBAL_ID.match(raw["id"])
        try:
            updated = self.time(raw, "updatedAt")
        except RecordRejected:
            return None
        return (match.group(1), updated) if match and updated else None

    def issue_ticket(self, issue: Mapping[str, Any]) -> NormalizedTicket:
        global_id = require_text(issue, "id")
        match = GLOBAL_ID.match(global_id)
        if match is None:
            raise RecordRejected(f"'id' is not a GitLab issue id: {global_id!r}")
        milestone = issue.get("milestone")
        return self.ticket(
            issue,
            external_id=match.group(1),
            key=f"{self.key_prefix}#{require_text(issue, 'iid')}",
            url=optional_text(issue.get("webUrl")) or "",
            status_raw=require_text(issue, "state").lower(),
            labels=self.label_names(issue.get("labels"), "title"),
            milestone=optional_text(milestone.get("title"))
            if isinstance(milestone, Mapping)
            else None,
            assignees=[
                name
                for node in connection_nodes(issue.get("assignees"), "assignees")
                if (name := optional_text(node.get("username")))
            ],
        )


def _hook_time(value: object) -> object:
    """A hook's time in ISO 8601 (older hooks send ``2013-12-03 17:15:43 UTC``)."""
    if isinstance(value, str) and (match := HOOK_TIME.match(value.strip())):
        return f"{match.group(1)}T{match.group(2)}Z"
    return value
