"""System checks for configuration that `check --deploy` should catch."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured


@checks.register(checks.Tags.security, deploy=True)
def field_encryption_key(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    from cataligent.crypto import cipher

    if not settings.FIELD_ENCRYPTION_KEY and not settings.DEBUG:
        return [
            checks.Error(
                "FIELD_ENCRYPTION_KEY is not set: connector secrets cannot be stored.",
                hint="Set it to a Fernet key (see README, Configuration).",
                id="cataligent.E001",
            )
        ]
    try:
        cipher()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="cataligent.E002")]
    return []


@checks.register(checks.Tags.security, deploy=True)
def site_url(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """Links in escalation e-mails and the digest are built from SITE_URL: a production
    install that leaves the default sends people to their own laptop."""
    from urllib.parse import urlsplit

    host = urlsplit(settings.SITE_URL).hostname or ""
    if not settings.DEBUG and host in {"localhost", "127.0.0.1", "::1", ""}:
        return [
            checks.Warning(
                f"SITE_URL is {settings.SITE_URL!r}: links in e-mails will not reach anyone.",
                hint="Set SITE_URL to the address people open, e.g. https://cataligent.example.com",
                id="cataligent.W003",
            )
        ]
    return []


# What `make assets` lays in static/vendor/ (the map's drawing library and the reports' charts,
# from package-lock.json).
# Without them collectstatic succeeds, and then every page naming them answers 500 under the
# manifest storage; the staticfiles tag makes collectstatic itself stop with this message.
VENDOR_FILES = (
    "vendor/cytoscape.min.js",
    "vendor/cytoscape-dagre.min.js",
    "vendor/chart.umd.min.js",
)


@checks.register(checks.Tags.staticfiles)
def vendor_assets(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    from django.contrib.staticfiles import finders

    missing = [name for name in VENDOR_FILES if not finders.find(name)]
    if not missing:
        return []
    return [
        checks.Error(
            f"Static files the map needs are missing: {', '.join(missing)}.",
            hint="Run `make assets` (npm ci from package-lock.json) before collectstatic.",
            id="cataligent.E003",
        )
    ]


@checks.register(checks.Tags.security, deploy=True)
def sso_issuer(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """Codes, client secrets and the provider's signing keys travel to and from the issuer:
    over plain HTTP anyone on the way can read or replace them."""
    if settings.OIDC_ISSUER and not settings.OIDC_ISSUER.startswith("https://"):
        return [
            checks.Warning(
                f"OIDC_ISSUER is {settings.OIDC_ISSUER!r}, not an https:// address.",
                hint="Use the provider's https:// issuer (single sign-on, README).",
                id="cataligent.W101",
            )
        ]
    return []
