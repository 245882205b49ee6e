"""The one error hierarchy for outbound calls and connectors.

Modelled on healthchecks.io's ``TransportError(message, permanent)``: the caller needs one
decision from an error, "retry later" or "an admin must fix something", and ``permanent``
carries it. Messages are written for the admin who reads them on the connector page; they
never contain credentials.
"""

from __future__ import annotations

__all__ = [
    "ApiRemovedError",
    "AuthenticationError",
    "ConfigurationError",
    "ConnectorError",
    "HttpStatusError",
    "NetworkError",
    "RateLimitedError",
    "RecordRejected",
    "RequestRejectedError",
    "ResponseFormatError",
    "ServerError",
    "UnsafeDestinationError",
]


class ConnectorError(Exception):
    """An outbound call or a connector failed.

    ``permanent`` is True when retrying cannot help until someone changes the configuration
    (bad credentials, a removed API, a refused address); False for failures that may pass on
    their own (rate limits, 5xx, timeouts).
    """

    permanent_by_default = False

    def __init__(
        self,
        message: str,
        permanent: bool | None = None,
        *,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = self.permanent_by_default if permanent is None else permanent
        self.status_code = status_code
        # Seconds the source asked us to wait (Retry-After), when it said so.
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.message


class ConfigurationError(ConnectorError):
    """The connector's configuration (or a stored cursor) cannot work as it is."""

    permanent_by_default = True


class UnsafeDestinationError(ConnectorError):
    """The destination address is refused: link-local, cloud metadata, or private."""

    permanent_by_default = True


class NetworkError(ConnectorError):
    """Connection refused, DNS failure, timeout, broken connection (after retries)."""


class ResponseFormatError(ConnectorError):
    """The source answered 2xx with a body that is not the documented envelope."""


class HttpStatusError(ConnectorError):
    """The source answered with an error status."""


class AuthenticationError(HttpStatusError):
    """401/403: the credentials are wrong, expired or lack the needed role."""

    permanent_by_default = True


class ApiRemovedError(HttpStatusError):
    """410: the endpoint was removed (e.g. Jira Cloud's old /search, CHANGE-2046)."""

    permanent_by_default = True


class RequestRejectedError(HttpStatusError):
    """Another 4xx: the request itself is wrong (bad query, unknown table, 404)."""

    permanent_by_default = True


class RateLimitedError(HttpStatusError):
    """429 still there after the allowed waits, or a wait longer than we agree to."""


class ServerError(HttpStatusError):
    """5xx still there after the retries."""


class RecordRejected(Exception):
    """Raised inside a normalizer: this record is rejected for ``reason`` (quarantined with
    it; the rest of the page still lands)."""
