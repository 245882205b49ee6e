"""LOCAL_LOGIN=0: single sign-on only. Passwords are refused on the sign-in page, the
admin's sign-in and the API's token endpoint, each saying to use the provider; API
tokens made on the account page keep working."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from cataligent.api_tokens import api_token_create
from cataligent.models import ApiToken, SignInLockout
from tests.sso.conftest import sign_in_with_provider
from tests.sso.provider import LocalProvider
from tests.test_settings import _manage

pytestmark = pytest.mark.django_db

SAYS_USE_SSO = "Passwords are switched off here: sign in with Example IdP"


@pytest.fixture
def sso_only(sso: LocalProvider, settings: Any) -> LocalProvider:
    settings.LOCAL_LOGIN = False
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    return sso


def test_the_sign_in_page_offers_only_the_provider(sso_only: LocalProvider) -> None:
    page = Client().get("/login/").content.decode()
    assert "Sign in with Example IdP" in page
    assert 'name="password"' not in page


def test_a_password_is_refused_at_the_sign_in_page_and_counts_for_nothing(
    sso_only: LocalProvider, people: dict[str, Any]
) -> None:
    client = Client()
    for _ in range(5):  # past the limit of 3: refused, never locked out
        response = client.post("/login/", {"username": "admin", "password": "pw"})
        assert response.status_code == 403
        assert f"{SAYS_USE_SSO} (the button above)." in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not SignInLockout.objects.exists()


def test_a_password_is_refused_at_the_admin_sign_in(
    sso_only: LocalProvider, people: dict[str, Any]
) -> None:
    client = Client()
    page = client.get("/admin/login/?next=/admin/").content.decode()
    assert 'href="/sso/login/?next=/admin/"' in page
    assert 'name="password"' not in page
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "admin", "password": "pw", "next": "/admin/"}
    )
    assert response.status_code == 200
    assert f"{SAYS_USE_SSO} on the sign-in page, /login/." in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("path", ["/api/auth/token/", "/api/v1/auth/token/"])
def test_a_password_is_refused_at_the_token_endpoint(
    sso_only: LocalProvider, people: dict[str, Any], path: str
) -> None:
    response = APIClient().post(path, {"username": "admin", "password": "pw"}, format="json")
    assert response.status_code == 403
    detail = response.json()["detail"]
    assert detail.startswith(f"{SAYS_USE_SSO} at http://localhost:8000/login/")
    assert "/account/tokens/" in detail
    assert not ApiToken.objects.exists()


def test_api_tokens_keep_working(sso_only: LocalProvider, people: dict[str, Any]) -> None:
    before = api_token_create(user=people["admin"], name="ci", days=None, actor_label="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {before.key}")
    assert client.get("/api/v1/nodes/").status_code == 200

    # A person who signed in with the provider makes one on the account page.
    browser = Client()
    sign_in_with_provider(browser, sso_only)
    page = browser.post("/account/tokens/", {"name": "laptop", "expires_in_days": 30})
    assert page.status_code == 200
    key = re.search(r"<code[^>]*>([A-Za-z0-9_\-]{20,})</code>", page.content.decode())
    assert key is not None, page.content.decode()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key.group(1)}")
    assert client.get("/api/v1/auth/tokens/").json()[0]["name"] == "laptop"


def test_settings_refuse_local_login_off_without_a_provider() -> None:
    result = _manage("check", env={"DEBUG": "1", "LOCAL_LOGIN": "0", "OIDC_ISSUER": ""})
    assert result.returncode != 0
    assert "LOCAL_LOGIN=0 needs single sign-on: set OIDC_ISSUER." in result.stderr


def test_settings_without_local_login_check_no_password_at_all() -> None:
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.AUTHENTICATION_BACKENDS)",
        env={
            "DEBUG": "1",
            "LOCAL_LOGIN": "0",
            "OIDC_ISSUER": "https://idp.example.org",
            "OIDC_CLIENT_ID": "cataligent",
            "OIDC_CLIENT_SECRET": "secret",
        },
    )
    assert result.returncode == 0, result.stderr
    assert "ModelBackend" not in result.stdout
    assert "cataligent.sso.SingleSignOnBackend" in result.stdout


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{not json", "OIDC_GROUP_MAP is not JSON"),
        ('["admins"]', "OIDC_GROUP_MAP must be a JSON object"),
        ('{"admins": ["root"]}', "'admins' grants 'root', which is neither a role"),
        ('{"admins": [1]}', "'admins' must map to a list of strings"),
    ],
)
def test_settings_refuse_a_bad_group_map(value: str, message: str) -> None:
    result = _manage("check", env={"DEBUG": "1", "OIDC_GROUP_MAP": value})
    assert result.returncode != 0
    assert message in result.stderr


def test_settings_need_the_client_credentials_with_an_issuer() -> None:
    result = _manage("check", env={"DEBUG": "1", "OIDC_ISSUER": "https://idp.example.org"})
    assert result.returncode != 0
    assert "OIDC_ISSUER needs OIDC_CLIENT_ID and OIDC_CLIENT_SECRET." in result.stderr


def test_deploy_check_wants_an_https_issuer() -> None:
    result = _manage(
        "check",
        "--deploy",
        env={
            "DEBUG": "0",
            "SECRET_KEY": "s" * 60,
            "ALLOWED_HOSTS": "x.example.com",
            "SITE_URL": "https://x.example.com",
            "FIELD_ENCRYPTION_KEY": "r2XVg7pe6rRGh0NQUJJl8iUfh3Y4ZYaw4L0OiZKqnTI=",
            "OIDC_ISSUER": "http://idp.example.com",
            "OIDC_CLIENT_ID": "cataligent",
            "OIDC_CLIENT_SECRET": "secret",
        },
    )
    assert "cataligent.W101" in result.stderr + result.stdout
