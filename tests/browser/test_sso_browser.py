"""Single sign-on in a real browser: the button, the provider, and back (issue 15)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.browser.conftest import save_artifact
from tests.sso.conftest import provider, provider_key, sso  # noqa: F401 (fixtures)
from tests.sso.provider import LocalProvider

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server: Any, settings: Any, sso: LocalProvider) -> Any:  # noqa: F811
    # The live server is plain HTTP: secure-only cookies would never come back.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.LOCAL_LOGIN = False
    return live_server


def test_signing_in_with_the_provider(site: Any, sso: LocalProvider, page: Any) -> None:  # noqa: F811
    page.goto(f"{site.url}/objectives/")
    assert "/login/" in page.url
    assert page.locator("#id_password").count() == 0  # LOCAL_LOGIN=0: the button only
    save_artifact(page, "sso-sign-in-page.png")
    page.click("text=Sign in with Example IdP")
    page.wait_for_url(f"{site.url}/objectives/")
    assert "alice · admin" in page.inner_text("header")
    assert sso.authorize_requests[0]["code_challenge_method"] == "S256"


def test_an_expired_token_sends_the_person_back_with_the_reason(
    site: Any,
    sso: LocalProvider,  # noqa: F811
    page: Any,
) -> None:
    sso.id_token_claims = {"exp": int(time.time()) - 600, "iat": int(time.time()) - 900}
    page.goto(f"{site.url}/login/")
    page.click("text=Sign in with Example IdP")
    page.wait_for_url(f"{site.url}/login/")
    assert "Signing in with Example IdP failed: the ID token has expired." in page.inner_text(
        "main"
    )
    save_artifact(page, "sso-refused.png")
