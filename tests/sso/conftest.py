"""Single sign-on against a real local OpenID Connect provider (tests/sso/provider.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from django.test import Client

from cataligent.sso_groups import parse_group_map
from tests.sso.provider import CLIENT_ID, CLIENT_SECRET, LocalProvider, new_key

GROUP_MAP = {
    "idp-admins": ["admin"],
    "idp-leaders": "leadership",
    "lending-leads": ["team_lead", "team:team-a"],
    "lending": ["team:team-a"],
    "ghosts": ["team:no-such-team"],
}


@pytest.fixture(scope="session")
def provider_key() -> Any:
    return new_key()


@pytest.fixture
def provider(provider_key: Any) -> Iterator[LocalProvider]:
    provider = LocalProvider(
        key=provider_key,
        person={
            "sub": "idp-user-1001",
            "preferred_username": "alice",
            "email": "alice@example.com",
            "email_verified": True,
            "given_name": "Alice",
            "family_name": "Archer",
            "groups": ["idp-admins", "lending"],
        },
    ).start()
    yield provider
    provider.stop()


@pytest.fixture
def sso(settings: Any, provider: LocalProvider, people: dict[str, Any]) -> LocalProvider:
    """Single sign-on configured against `provider`; teams A and B exist (`people`)."""
    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_PROVIDER_NAME = "Example IdP"
    settings.OIDC_ROLES_CLAIM = "groups"
    settings.OIDC_GROUP_MAP = parse_group_map(json.dumps(GROUP_MAP), name="OIDC_GROUP_MAP")
    settings.CONNECTOR_ALLOW_PRIVATE_NETWORKS = True  # the provider is on 127.0.0.1
    settings.LOCAL_LOGIN = True
    return provider


def sign_in_with_provider(client: Client, provider: LocalProvider, next_url: str = "/map/") -> Any:
    """The whole flow as a browser does it: to the provider and back with a code."""
    start = client.get("/sso/login/", {"next": next_url})
    assert start.status_code == 302, start.content
    authorize = start["Location"]
    if not authorize.startswith(provider.issuer):
        return start  # refused before leaving (the page says why)
    at_provider = httpx.get(authorize, follow_redirects=False)
    assert at_provider.status_code == 302, at_provider.text
    callback = at_provider.headers["Location"]
    assert callback.startswith("http://testserver/sso/callback/?")
    return client.get(callback)


def messages_of(client: Client) -> list[str]:
    """The messages the next page would show."""
    page = client.get("/login/")
    return [str(m) for m in page.context["messages"]]
