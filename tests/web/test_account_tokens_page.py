"""/account/tokens/: a user's API tokens; a new key is shown once (issue 13)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from cataligent.api_tokens import api_token_create
from cataligent.models import ApiToken

pytestmark = pytest.mark.django_db

People = dict[str, Any]


def _signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_navigation_links_to_the_tokens_page(people: People) -> None:
    page = _signed_in(people["member"]).get("/objectives/").content.decode()
    assert 'href="/account/tokens/"' in page


def test_create_a_token_see_its_key_once_and_use_it(people: People) -> None:
    client = _signed_in(people["member"])
    response = client.post("/account/tokens/", {"name": "reporting", "expires_in_days": "30"})
    assert response.status_code == 200
    page = response.content.decode()
    key = re.search(r'<code id="new-token-key">([^<]+)</code>', page)
    assert key is not None, page
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key.group(1)}")
    assert api.get("/api/nodes/").status_code == 200

    again = client.get("/account/tokens/").content.decode()
    assert "reporting" in again
    assert key.group(1) not in again
    assert ApiToken.objects.get(name="reporting").prefix in again


def test_bad_input_is_a_400_naming_the_field(people: People, settings: Any) -> None:
    client = _signed_in(people["member"])
    response = client.post("/account/tokens/", {"name": "", "expires_in_days": "100000"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required." in page
    assert f"less than or equal to {settings.API_TOKEN_MAX_DAYS}" in page
    assert not ApiToken.objects.exists()


def test_revoke_a_token(people: People) -> None:
    issued = api_token_create(user=people["member"], name="old script")
    client = _signed_in(people["member"])
    response = client.post(f"/account/tokens/{issued.token.pk}/revoke/", follow=True)
    assert "Revoked old script" in response.content.decode()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {issued.key}")
    assert api.get("/api/nodes/").status_code == 401


def test_another_users_token_cannot_be_revoked(people: People) -> None:
    issued = api_token_create(user=people["admin"], name="the admin token")
    client = _signed_in(people["member"])
    assert client.post(f"/account/tokens/{issued.token.pk}/revoke/").status_code == 404
    assert "the admin token" not in client.get("/account/tokens/").content.decode()
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is None


def test_anonymous_is_sent_to_sign_in() -> None:
    response = Client().get("/account/tokens/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_page_has_no_inline_script(people: People) -> None:
    page = _signed_in(people["member"]).get("/account/tokens/").content.decode()
    assert "<script>" not in page and "onclick" not in page
