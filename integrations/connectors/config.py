"""What an admin configures for one source (DESIGN §2 ``Connector``), checked on creation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import httpx

from .errors import ConfigurationError
from .tickets import STATUS_CATEGORIES

__all__ = ["AUTH_TYPES", "AuthType", "ConnectorConfig"]

AuthType = Literal["basic", "token", "bearer", "oauth"]
AUTH_TYPES: tuple[AuthType, ...] = get_args(AuthType)


@dataclass(frozen=True)
class ConnectorConfig:
    """What an admin configures for one source (DESIGN §2 ``Connector``).

    ``status_map`` and ``priority_map`` are merged over the connector's defaults (see each
    connector's ``default_status_map``/``default_priority_map``); ``options`` holds the
    tool-specific settings each connector lists in ``option_help``.
    """

    kind: str
    base_url: str
    auth_type: AuthType = "basic"
    username: str = ""
    secret: str = field(default="", repr=False)  # never in reprs, logs or tracebacks
    query: str = ""
    status_map: Mapping[str, str] = field(default_factory=dict)
    priority_map: Mapping[str, int] = field(default_factory=dict)
    blocking_priority: int = 2
    blocker_labels: tuple[str, ...] = ()
    page_size: int = 100
    allow_private_networks: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        url = httpx.URL(self.base_url) if self.base_url else None
        if url is None or url.scheme not in ("http", "https") or not url.host:
            raise ConfigurationError(f"base URL must be an http(s) URL: {self.base_url!r}")
        if self.auth_type not in AUTH_TYPES:
            raise ConfigurationError(f"auth type must be one of {AUTH_TYPES}: {self.auth_type!r}")
        if not 1 <= self.blocking_priority <= 5:
            raise ConfigurationError("blocking priority must be between 1 and 5")
        if self.page_size < 1:
            raise ConfigurationError("page size must be at least 1")
        for raw, category in self.status_map.items():
            if category not in STATUS_CATEGORIES:
                raise ConfigurationError(
                    f"status map: {raw!r} maps to {category!r}, not one of {STATUS_CATEGORIES}"
                )
        for raw, priority in self.priority_map.items():
            valid = isinstance(priority, int) and not isinstance(priority, bool)
            if not valid or not 1 <= priority <= 5:
                raise ConfigurationError(
                    f"priority map: {raw!r} must map to 1..5, not {priority!r}"
                )
