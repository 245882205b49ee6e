"""Checks of a connector's base URL when it is saved (the connection-time check in
integrations.connectors.http is the one that counts: it sees the resolved addresses)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings

from integrations.connectors.http import METADATA_HOSTNAMES, refusal_reason


def base_url_problem(url: str) -> str | None:
    """Why `url` cannot be a connector's base URL, or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return "Use an http:// or https:// URL."
    if not parts.hostname:
        return "The URL has no host."
    if parts.username or parts.password:
        return "Put credentials in the auth fields, not in the URL."
    host = parts.hostname.rstrip(".").lower()
    if host in METADATA_HOSTNAMES:
        return f"{host} is a cloud metadata host; connectors may not call it."
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    reason = refusal_reason(
        address, allow_private_networks=settings.CONNECTOR_ALLOW_PRIVATE_NETWORKS
    )
    return f"Refused: {reason}." if reason else None
