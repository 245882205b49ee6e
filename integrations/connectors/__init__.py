"""ITSM connectors: pure Python, no Django (DESIGN §4).

Usage from the sync service::

    connector = connector_for(config)           # config: ConnectorConfig
    for page in connector.fetch_pages(stored_cursor):
        upsert(page.tickets); quarantine(page.rejected); store(page.cursor)

Each tool is one module: :mod:`.servicenow`, :mod:`.jira`, :mod:`.rt`, :mod:`.pagerduty`,
:mod:`.jsm_ops`, :mod:`.zendesk`, :mod:`.github` and :mod:`.gitlab` (these two share
:mod:`.graphql`). All outbound HTTP goes through :mod:`.http`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import (
    ACTIVE_CATEGORIES,
    STATUS_CATEGORIES,
    Connector,
    ConnectorConfig,
    NormalizedTicket,
    Page,
    Rejected,
    StatusCategory,
    ticket_is_blocking,
)
from .errors import (
    ApiRemovedError,
    AuthenticationError,
    ConfigurationError,
    ConnectorError,
    HttpStatusError,
    NetworkError,
    RateLimitedError,
    RequestRejectedError,
    ResponseFormatError,
    ServerError,
    UnsafeDestinationError,
)
from .github import GitHubConnector
from .gitlab import GitLabConnector
from .jira import JiraConnector
from .jsm_ops import JsmOpsConnector
from .pagerduty import PagerDutyConnector
from .rt import RequestTrackerConnector
from .servicenow import ServiceNowConnector
from .watermark import Cursor
from .zendesk import ZendeskConnector

__all__ = [
    "ACTIVE_CATEGORIES",
    "CONNECTORS",
    "STATUS_CATEGORIES",
    "ApiRemovedError",
    "AuthenticationError",
    "ConfigurationError",
    "Connector",
    "ConnectorConfig",
    "ConnectorError",
    "Cursor",
    "GitHubConnector",
    "GitLabConnector",
    "HttpStatusError",
    "JiraConnector",
    "JsmOpsConnector",
    "NetworkError",
    "NormalizedTicket",
    "Page",
    "PagerDutyConnector",
    "RateLimitedError",
    "Rejected",
    "RequestRejectedError",
    "RequestTrackerConnector",
    "ResponseFormatError",
    "ServerError",
    "ServiceNowConnector",
    "StatusCategory",
    "UnsafeDestinationError",
    "ZendeskConnector",
    "connector_class",
    "connector_for",
    "default_page_size",
    "ticket_is_blocking",
]

CONNECTORS: Mapping[str, type[Connector]] = {
    ServiceNowConnector.kind: ServiceNowConnector,
    JiraConnector.kind: JiraConnector,
    RequestTrackerConnector.kind: RequestTrackerConnector,
    PagerDutyConnector.kind: PagerDutyConnector,
    GitHubConnector.kind: GitHubConnector,
    GitLabConnector.kind: GitLabConnector,
    JsmOpsConnector.kind: JsmOpsConnector,
    ZendeskConnector.kind: ZendeskConnector,
}


def connector_class(kind: str) -> type[Connector]:
    try:
        return CONNECTORS[kind]
    except KeyError:
        raise ConfigurationError(
            f"unknown connector kind {kind!r}; known: {', '.join(sorted(CONNECTORS))}"
        ) from None


def default_page_size(kind: str) -> int:
    """Records a page for a new connector of this kind: what its API serves comfortably."""
    return connector_class(kind).default_page_size


def connector_for(config: ConnectorConfig, **kwargs: Any) -> Connector:
    """The connector for ``config.kind``; ``kwargs`` go to its constructor (retry, sleep...)."""
    return connector_class(config.kind)(config, **kwargs)
