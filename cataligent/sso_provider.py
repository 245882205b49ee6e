"""The OpenID Connect provider named by OIDC_ISSUER: its discovery document, and the
HTTP client for every call to it.

mozilla-django-oidc reads fixed endpoint settings and does no discovery; here the
endpoints come from `<issuer>/.well-known/openid-configuration` (OpenID Connect
Discovery 1.0 §4), fetched on the first sign-in and kept in the shared cache for
OIDC_DISCOVERY_CACHE_SECONDS, so a provider that moves its endpoints or keys is
followed without a restart.

Calls go through the product's one HTTP client (integrations/connectors/http.py), so
they obey the same rule on private addresses as the connectors:
CONNECTOR_ALLOW_PRIVATE_NETWORKS.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache

from integrations.connectors.errors import ConnectorError
from integrations.connectors.http import HttpClient, RetryPolicy

DISCOVERY_PATH = "/.well-known/openid-configuration"
# A person is waiting at the sign-in page: fail fast rather than retry for minutes.
RETRY = RetryPolicy(max_attempts=2, backoff_base=0.2, backoff_max=1.0, retry_after_max=2.0)
TIMEOUT_SECONDS = 10.0


class ProviderUnavailable(Exception):
    """The provider cannot be used now; the message says why, for the sign-in page."""


@dataclass(frozen=True)
class IdentityProvider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str
    token_endpoint_auth_methods: tuple[str, ...]

    @property
    def client_secret_basic(self) -> bool:
        """Send the client's credentials as HTTP Basic (the default a provider must
        accept, Discovery §3) unless the provider offers only client_secret_post."""
        return "client_secret_basic" in self.token_endpoint_auth_methods or (
            "client_secret_post" not in self.token_endpoint_auth_methods
        )


def sso_enabled() -> bool:
    return bool(settings.OIDC_ISSUER)


def provider_name() -> str:
    return str(settings.OIDC_PROVIDER_NAME)


def provider_client() -> HttpClient:
    return HttpClient(
        allow_private_networks=settings.CONNECTOR_ALLOW_PRIVATE_NETWORKS,
        retry=RETRY,
        timeout=TIMEOUT_SECONDS,
    )


def provider_request(method: str, url: str, **kwargs: Any) -> Any:
    """One call to the provider; ProviderUnavailable naming the call when it fails."""
    try:
        with provider_client() as client:
            return client.request(method, url, **kwargs)
    except ConnectorError as exc:
        raise ProviderUnavailable(str(exc)) from exc


def _cache_key(issuer: str) -> str:
    return "oidc-discovery:" + hashlib.sha256(issuer.encode()).hexdigest()[:32]


def identity_provider() -> IdentityProvider:
    """The configured provider's endpoints, from the cache or its discovery document."""
    issuer = str(settings.OIDC_ISSUER)
    if not issuer:
        raise ProviderUnavailable("single sign-on is not configured (OIDC_ISSUER)")
    key = _cache_key(issuer)
    cached = cache.get(key)
    if cached is not None:
        return IdentityProvider(
            **{
                **cached,
                "token_endpoint_auth_methods": tuple(cached["token_endpoint_auth_methods"]),
            }
        )
    provider = _discover(issuer)
    cache.set(key, asdict(provider), timeout=settings.OIDC_DISCOVERY_CACHE_SECONDS)
    return provider


def _discover(issuer: str) -> IdentityProvider:
    url = issuer.rstrip("/") + DISCOVERY_PATH
    response = provider_request("GET", url)
    try:
        document = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        raise ProviderUnavailable(f"{url} did not answer JSON") from None
    if not isinstance(document, dict):
        raise ProviderUnavailable(f"{url} did not answer a JSON object")
    # Discovery §4.3: the document's issuer must be the one asked, or it is not this
    # provider's (a trailing slash is a common difference in how it is typed).
    if str(document.get("issuer", "")).rstrip("/") != issuer.rstrip("/"):
        raise ProviderUnavailable(
            f"{url} names the issuer {document.get('issuer')!r}, not OIDC_ISSUER {issuer!r}"
        )
    endpoints = {}
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = document.get(name)
        if not isinstance(value, str) or not value.startswith(("https://", "http://")):
            raise ProviderUnavailable(f"{url} has no usable {name}")
        endpoints[name] = value
    userinfo = document.get("userinfo_endpoint")
    methods = document.get("token_endpoint_auth_methods_supported") or []
    return IdentityProvider(
        issuer=str(document["issuer"]),
        userinfo_endpoint=userinfo if isinstance(userinfo, str) else "",
        token_endpoint_auth_methods=tuple(str(m) for m in methods if isinstance(m, str)),
        **endpoints,
    )
