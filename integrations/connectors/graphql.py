"""What the GitHub and GitLab issue connectors share: one repository's (project's) issues
read through GraphQL, oldest change first, and mapped to tickets the same way.

Reading (each tool's module names its query and cites its wire facts):

- one POST of ``{"query", "variables"}`` to the GraphQL endpoint a page; a query is a read,
  so it is retried as a GET would be (.http, ``idempotent=True``);
- issues filtered on their update time (at or after the cursor's window start), sorted by it
  ascending, ``first`` <= 100, and paged with ``after: pageInfo.endCursor`` while
  ``hasNextPage``. Both tools' cursors for this order are keyset cursors (the update time and
  the id), so two issues sharing a time at a page edge are each read once in a run; across
  runs the overlap window (``overlap_seconds``, default 60) reads the last seconds again and
  the watermark drops what it already passed on (.watermark);
- a GraphQL error comes with HTTP 200 and an ``errors`` array: it is raised as a clear
  ConnectorError (``RATE_LIMITED`` waits the reset the rate-limit headers give and asks
  again, within the retry policy; see .http for the 403/429 answers). Except on a page of
  issues whose every error points inside one issue: GraphQL allows ``data`` with
  ``errors`` (a field that failed is null, its siblings kept), and an error "must contain
  ... ``path``", "the path of the response field which experienced the error", list
  indices as 0-based integers (the GraphQL specification, "Response: Errors", as
  graphql-js's GraphQLFormattedError and Sourcegraph's GraphQLError restate it). GitHub
  does answer so, a node null or a field of it FORBIDDEN (aquasecurity/vuln-list-update#151,
  dtolnay/star-history#1, linuxfoundation/crowd.dev#4656). Then
  ``path: [<root>, "issues", "nodes", <i>, ...]`` names the issue: that one is quarantined
  with the error, the rest of the page read, and the cursor moves on past it as for any
  rejected record.

Mapping: the state (and GitHub's close reason) is the raw status, through the status map;
labels are labels, and the highest priority among the labels the priority map names (matched
without regard to case) is the priority, else the ``default_priority`` option (3); a label
in ``blocker_labels`` marks a blocker; the first assignee is the assignee; the milestone is
the component; the repository (project path) is the CI. No assignment group: neither tool
has a team on an issue.
"""

from __future__ import annotations

import time
from abc import abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from .base import (
    Connector,
    NormalizedTicket,
    RawPage,
    RecordRejected,
    content_revision,
    json_body,
    optional_text,
    require_mapping,
)
from .errors import (
    AuthenticationError,
    ConfigurationError,
    RateLimitedError,
    RequestRejectedError,
    ResponseFormatError,
)
from .http import rate_limit_wait
from .timestamps import format_cursor_time, iso_field
from .watermark import Watermark

__all__ = ["GraphQLIssuesConnector", "connection_nodes", "named_nodes"]

MAX_FIRST = 100  # both tools: ``first`` is at most 100
# Longer repository (project) paths make keys longer than the mirror holds (100): those are
# keyed by the last part of the path alone.
MAX_KEY_PREFIX = 80
# Where a GraphQL error that names one node of a page is kept on that node.
NODE_ERRORS = "_graphql_errors"


def connection_nodes(value: object, what: str) -> list[Mapping[str, Any]]:
    """The ``nodes`` of a GraphQL connection (``{"nodes": [...]}``); absent is none."""
    if value is None:
        return []
    nodes = value.get("nodes") if isinstance(value, Mapping) else None
    if not isinstance(nodes, list):
        raise RecordRejected(f"{what!r} is not a connection with 'nodes'")
    return [n for n in nodes if isinstance(n, Mapping)]


def _node_errors_set(data: object, errors: object, nodes_at: Sequence[str]) -> bool:
    """Put each error on the node its ``path`` names (``[*nodes_at, <index>, ...]``: the
    spec's path of the response field, list indices as integers), if every error names one
    and the answer holds that node's list; else change nothing and say False."""
    nodes: object = data
    for field in nodes_at:
        nodes = nodes.get(field) if isinstance(nodes, Mapping) else None
    if not isinstance(nodes, list) or not isinstance(errors, list):
        return False
    depth = len(nodes_at)
    found: dict[int, list[str]] = {}
    for error in errors:
        path = error.get("path") if isinstance(error, Mapping) else None
        if not isinstance(path, list) or len(path) <= depth or path[:depth] != list(nodes_at):
            return False
        index = path[depth]
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(nodes):
            return False
        where = ".".join(str(p) for p in path[depth + 1 :]) or "the issue"
        message = str(error.get("message", "")).strip()[:300]
        found.setdefault(index, []).append(f"{where}: {message or 'an error'}")
    for index, messages in found.items():
        node = nodes[index]
        nodes[index] = {**(node if isinstance(node, Mapping) else {}), NODE_ERRORS: messages}
    return True


def _at_root(path: object) -> bool:
    """An error's path names the query's root field (or nothing): not something inside."""
    return path is None or (isinstance(path, list) and len(path) <= 1)


def named_nodes(values: object, name: str) -> list[dict[str, Any]]:
    """A webhook's REST list (``[{"name": ...}, ...]``) as GraphQL nodes with that field."""
    if not isinstance(values, list):
        return []
    return [{name: v.get(name)} for v in values if isinstance(v, Mapping)]


class GraphQLIssuesConnector(Connector):
    """One repository's issues over GraphQL; a subclass names the tool's query and shapes."""

    graphql_path: ClassVar[str] = "/graphql"
    # The query of one page of issues, and the field its answer hangs from.
    issues_query: ClassVar[str]
    root_field: ClassVar[str]
    max_page_size = MAX_FIRST
    default_page_size = MAX_FIRST
    default_overlap_seconds = 60
    default_priority_map: ClassVar[Mapping[str, int]] = {
        "P1": 1,
        "P2": 2,
        "P3": 3,
        "P4": 4,
        "P5": 5,
    }
    option_help: ClassVar[Mapping[str, str]] = {
        "default_priority": "priority (1-5) of an issue none of whose labels is in the "
        "priority map (default 3)",
        "overlap_seconds": "seconds re-read at the start of each run (default 60)",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The wait of a GraphQL rate limit answered with HTTP 200 is ours to sleep.
        self._sleep = kwargs.get("sleep", time.sleep)
        super().__init__(*args, **kwargs)
        self.default_priority = self.option_int("default_priority", 3, minimum=1)
        if self.default_priority > 5:
            raise ConfigurationError("option 'default_priority' must be between 1 and 5")
        self.label_priority = {k.casefold(): v for k, v in self.priority_map.items()}
        self.path = self.parse_path(self.config.query.strip())
        name = self.path.rsplit("/", 1)[-1]
        self.key_prefix = self.path if len(self.path) <= MAX_KEY_PREFIX else name[:MAX_KEY_PREFIX]

    # --- what each tool provides ---------------------------------------------------------

    @abstractmethod
    def parse_path(self, query: str) -> str:
        """The repository (project) the query field names; ConfigurationError if none."""

    @abstractmethod
    def path_variables(self) -> dict[str, str]:
        """The query variables that name the repository (project)."""

    # --- the issues connection -------------------------------------------------------------

    def root(self, data: Mapping[str, Any]) -> Mapping[str, Any]:
        """The repository (project) of an answer; None there: the token cannot see it."""
        value = data.get(self.root_field)
        if not isinstance(value, Mapping):
            raise ConfigurationError(
                f"{self.label} has no {self.root_field} {self.path!r} the token can see"
            )
        return value

    def issues_page(
        self, since: datetime | None, after: str | None, first: int
    ) -> tuple[list[object], bool, str | None]:
        """One page: (issue nodes, hasNextPage, endCursor)."""
        variables = {
            **self.path_variables(),
            "since": self.since_literal(since),
            "first": first,
            "cursor": after,
        }
        data = self.graphql(
            self.issues_query, variables, nodes_at=(self.root_field, "issues", "nodes")
        )
        issues = self.root(data).get("issues")
        page_info = issues.get("pageInfo") if isinstance(issues, Mapping) else None
        nodes = issues.get("nodes") if isinstance(issues, Mapping) else None
        if not isinstance(page_info, Mapping) or not isinstance(nodes, list):
            raise ResponseFormatError(f"{self.label} answered 'issues' without pageInfo and nodes")
        return nodes, page_info.get("hasNextPage") is True, page_info.get("endCursor")

    # --- GraphQL -------------------------------------------------------------------------

    def graphql(
        self, query: str, variables: Mapping[str, Any], *, nodes_at: Sequence[str] = ()
    ) -> Mapping[str, Any]:
        """The ``data`` of a query; its ``errors`` raised as ConnectorErrors, except, with
        ``nodes_at`` (the path of a connection's ``nodes`` list), errors whose every path
        points inside one node of it: those go on their node (``NODE_ERRORS``), which is
        then quarantined with them, and the rest of the page is read."""
        attempt = 0
        while True:
            attempt += 1
            response = self.http.request(
                "POST",
                self.graphql_path,
                json={"query": query, "variables": dict(variables)},
                idempotent=True,
            )
            body = json_body(response)
            if not isinstance(body, Mapping):
                raise ResponseFormatError(f"{self.label} GraphQL answered without an object")
            errors = body.get("errors")
            if errors and nodes_at and _node_errors_set(body.get("data"), errors, nodes_at):
                errors = None
            if not errors:
                data = body.get("data")
                if not isinstance(data, Mapping):
                    raise ResponseFormatError(f"{self.label} GraphQL answered without 'data'")
                return data
            error = self._graphql_error(errors)
            if not isinstance(error, RateLimitedError):
                raise error
            wait = rate_limit_wait(response, now=datetime.now(UTC))
            error.retry_after = wait
            policy = self.http.retry
            if wait is None or wait > policy.retry_after_max or attempt >= policy.max_attempts:
                raise error
            self._sleep(wait)

    def _graphql_error(self, errors: object) -> Exception:
        entries = [e for e in errors if isinstance(e, Mapping)] if isinstance(errors, list) else []
        types = {str(e.get("type", "")) for e in entries}
        text = "; ".join(str(e.get("message", "")).strip() for e in entries)[:500]
        message = f"{self.label} GraphQL: {text or errors!r}"
        if "RATE_LIMITED" in types:
            return RateLimitedError(message)
        # The repository (project) itself not found, rather than something inside it.
        if any(e.get("type") == "NOT_FOUND" and _at_root(e.get("path")) for e in entries):
            return ConfigurationError(f"{message} (check the query field: {self.path!r})")
        if types & {"FORBIDDEN", "INSUFFICIENT_SCOPES"}:
            return AuthenticationError(f"{message} (check the token's scopes)", status_code=200)
        if "complexity" in text:
            return ConfigurationError(f"{message} (lower the connector's page size)")
        return RequestRejectedError(message, permanent=True, status_code=200)

    # --- reading ---------------------------------------------------------------------------

    def _raw_pages(self, watermark: Watermark) -> Iterator[RawPage]:
        since = watermark.query_start()
        after: str | None = None
        while True:
            records, has_next, end_cursor = self.issues_page(since, after, self.page_size)
            yield RawPage(records=records, is_last=not has_next)
            if not has_next:
                return
            if not end_cursor or end_cursor == after:
                raise ResponseFormatError(
                    f"{self.label} said there is a next page but gave no new endCursor"
                )
            after = end_cursor

    @staticmethod
    def since_literal(since: datetime | None) -> str | None:
        return format_cursor_time(since) if since is not None else None

    # --- mapping ---------------------------------------------------------------------------

    def _normalize(self, raw: object) -> NormalizedTicket:
        issue = require_mapping(raw)
        errors = issue.get(NODE_ERRORS)
        if errors:
            raise RecordRejected(f"{self.label} GraphQL could not read this issue: {errors}")
        return self.issue_ticket(issue)

    @abstractmethod
    def issue_ticket(self, issue: Mapping[str, Any]) -> NormalizedTicket:
        """The ticket of one issue node (in the tool's GraphQL shape)."""

    def label_names(self, value: object, name_field: str) -> tuple[str, ...]:
        return tuple(
            text
            for node in connection_nodes(value, "labels")
            if (text := optional_text(node.get(name_field)))
        )

    def priority_of(self, labels: Sequence[str]) -> int:
        found = [p for label in labels if (p := self.label_priority.get(label.casefold()))]
        return min(found) if found else self.default_priority

    def ticket(
        self,
        raw: Mapping[str, Any],
        *,
        external_id: str,
        key: str,
        url: str,
        status_raw: str,
        labels: tuple[str, ...],
        milestone: str | None,
        assignees: Sequence[str],
        fields: tuple[str, str, str] = ("createdAt", "updatedAt", "closedAt"),
    ) -> NormalizedTicket:
        """The ticket of one issue node, from what the tool's module read of it."""
        created_name, updated_name, closed_name = fields
        created = self.time(raw, created_name)
        if created is None:
            raise RecordRejected(f"missing {created_name!r}")
        updated = self.time(raw, updated_name) or created
        category = self.status_map.get(status_raw)
        if category is None:
            raise RecordRejected(f"unknown status {status_raw!r}; add it to the status map")
        closed = self.time(raw, closed_name)
        title = raw.get("title")
        return NormalizedTicket(
            external_id=external_id,
            key=key,
            url=url,
            title=title.strip() if isinstance(title, str) else "",
            status_raw=status_raw,
            status_category=category,
            priority=self.priority_of(labels),
            is_blocker=self.marks_blocker(labels),
            assignee=assignees[0] if assignees else None,
            assignment_group=None,
            reassignment_count=None,
            ci=self.path,
            components=(milestone,) if milestone else (),
            labels=labels,
            opened_at=created,
            updated_at=updated,
            resolved_at=(closed or updated) if category not in ("open", "in_progress") else None,
            raw=dict(raw),
            revision=content_revision(raw),
        )

    @staticmethod
    def time(record: Mapping[str, Any], name: str) -> datetime | None:
        return iso_field(record, name, expected="an ISO 8601 time")
