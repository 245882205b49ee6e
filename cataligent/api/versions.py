"""API versions: `/api/v1/` is the API; the unversioned `/api/` paths are deprecated aliases.

The aliases answer exactly as v1 does, are not in the OpenAPI schema, and carry
`Deprecation` (RFC 9745: since when) and `Link: <…/api/v1/…>; rel="successor-version"`
so that a client's logs say where to move.
"""

from __future__ import annotations

from typing import Any

API_V1_PREFIX = "/api/v1/"
UNVERSIONED_PREFIX = "/api/"
# 2026-12-07 00:00 UTC, when /api/v1/ arrived, as RFC 9745's structured-field date.
UNVERSIONED_DEPRECATED_SINCE = "@1796601600"


def is_unversioned_api_path(path: str) -> bool:
    return path.startswith(UNVERSIONED_PREFIX) and not path.startswith(API_V1_PREFIX)


def v1_path(path: str) -> str:
    """The /api/v1/ path that an unversioned /api/ path is an alias of."""
    return API_V1_PREFIX + path.removeprefix(UNVERSIONED_PREFIX)


def only_versioned_endpoints(endpoints: list[Any], **kwargs: Any) -> list[Any]:
    """drf-spectacular preprocessing hook: the schema documents /api/v1/ alone."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith(API_V1_PREFIX)]
