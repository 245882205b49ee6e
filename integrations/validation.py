"""Checks of a connector's configuration when it is saved.

The base URL check here is the first line; the connection-time check in
integrations.connectors.http is the one that counts (it sees the resolved addresses).
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from integrations.connectors import (
    STATUS_CATEGORIES,
    ConfigurationError,
    ConnectorConfig,
    connector_class,
    connector_for,
)
from integrations.connectors.destinations import METADATA_HOSTNAMES, refusal_reason
from integrations.connectors.timestamps import load_zone


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


# The rules below are shared by the API serializer and the admin pages' form, so the two
# ways of configuring a connector accept and refuse the same things, with the same words.


def status_map_problem(value: Any) -> str | None:
    if not isinstance(value, dict):
        return "Give an object: raw status → category."
    wrong = {k: v for k, v in value.items() if v not in STATUS_CATEGORIES}
    if wrong:
        return f"Unknown categories {wrong}; use one of {', '.join(STATUS_CATEGORIES)}."
    return None


def priority_map_problem(value: Any) -> str | None:
    if not isinstance(value, dict):
        return "Give an object: raw priority → 1..5."
    wrong = {
        k: v
        for k, v in value.items()
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 5
    }
    if wrong:
        return f"Priorities must be whole numbers 1..5: {wrong}."
    return None


def blocker_labels_problem(value: Any) -> str | None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return 'Give a list of labels, e.g. ["blocker"].'
    return None


def kind_problems(
    kind: str,
    *,
    auth_type: str | None,
    options: Any,
    username: str | None = None,
    base_url: str | None = None,
) -> dict[str, str]:
    """What the chosen tool refuses: {"auth_type" | "username" | "options" | "base_url":
    message}. A tool with rules of its own for the URL or the user (JSM Operations: the
    cloud id in the URL, the account's email) has a ``settings_problems`` classmethod."""
    klass = connector_class(kind)
    problems = {}
    if auth_type and auth_type not in klass.auth_types:
        problems["auth_type"] = f"{klass.label} supports {', '.join(sorted(klass.auth_types))}."
    elif auth_type == "oauth" and username is not None and not username.strip():
        problems["username"] = "Give the OAuth application's client id as the user."
    own_rules = getattr(klass, "settings_problems", None)
    if own_rules is not None:
        problems.update(own_rules(base_url=base_url, username=username))
    unknown = set(options or {}) - set(klass.option_help) - {"overlap_seconds"}
    if unknown:
        problems["options"] = (
            f"Unknown for {klass.label}: {', '.join(sorted(unknown))}. "
            f"Known: {', '.join(sorted(klass.option_help)) or 'none'}."
        )
    return problems


# Where a connector's own refusal belongs on the form, by what its message names (first
# match wins; the user's words come before the secret's: Zendesk's names both).
_REFUSAL_FIELDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("option", "deployment must", "servicenow table", "time zone"), "options"),
    (("query",), "query"),
    (("base url",), "base_url"),
    (("priority map",), "priority_map"),
    (("status map", "status category"), "status_map"),
    (("supports auth", "auth type"), "auth_type"),
    (("user", "client id", "email"), "username"),
)


def refusal_field(message: str) -> str | None:
    """The settings field a connector's ConfigurationError is about, or None (the whole form)."""
    text = message.casefold()
    for words, field in _REFUSAL_FIELDS:
        if any(word in text for word in words):
            return field
    return None


def construction_problems(kind: str, **settings_given: Any) -> dict[str | None, str]:
    """What the connector class itself refuses in these settings, found by building it (no
    request is made): {field or None: message}. Catches what only the class knows, such as
    an option's value, the GitHub query's owner/name or the Enterprise Server /api/v3 URL.

    `settings_given` are ConnectorConfig's fields; the secret is not checked here (it is
    write-only and may be the stored one), so a stand-in takes its place."""
    settings_given.setdefault("allow_private_networks", settings.CONNECTOR_ALLOW_PRIVATE_NETWORKS)
    try:
        config = ConnectorConfig(kind=kind, secret="stand-in", **settings_given)
        with connector_for(config):
            pass
        # Read only when the first sync asks the tool for its clock: checked now instead.
        zone = config.options.get("time_zone")
        if zone is not None and "time_zone" in connector_class(kind).option_help:
            if not isinstance(zone, str):
                raise ConfigurationError("option 'time_zone' must be an IANA zone name")
            try:
                load_zone(zone)
            except ConfigurationError as exc:
                raise ConfigurationError(f"option 'time_zone': {exc}") from exc
    except ConfigurationError as exc:
        message = str(exc)
        return {refusal_field(message): message[:1].upper() + message[1:].rstrip(".") + "."}
    return {}
