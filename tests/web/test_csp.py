"""The Content-Security-Policy header (cataligent/csp.py), and templates it would break."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def _policy(response: Any) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


@pytest.mark.parametrize("url", ["/login/", "/health/", "/no-such-page/", "/api/nodes/"])
def test_every_response_has_the_policy(url: str) -> None:
    policy = _policy(Client().get(url))
    assert policy["script-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert policy["default-src"] == "'self'"


def test_pages_allow_no_inline_style_the_api_html_does(people: dict[str, Any]) -> None:
    client = Client()
    client.force_login(people["admin"])
    page = client.get("/objectives/")
    assert page.status_code == 200
    assert _policy(page)["style-src"] == "'self'"
    # DRF's browsable API and Swagger UI style with inline attributes; their script is strict.
    for url in ("/api/nodes/", "/api/docs/"):
        response = client.get(url, HTTP_ACCEPT="text/html")
        assert response.status_code == 200, url
        policy = _policy(response)
        assert policy["style-src"] == "'self' 'unsafe-inline'"
        assert policy["script-src"] == "'self'"


def test_the_api_docs_load_their_script_from_a_url(people: dict[str, Any]) -> None:
    client = Client()
    client.force_login(people["member"])
    html = client.get("/api/docs/").content.decode()
    assert not re.search(r"<script>(?!\s*</script>)", html), "inline script in the API docs"
    script = re.search(r'<script src="([^"]*script=[^"]*)"', html)
    assert script, html
    response = client.get(script[1].replace("&amp;", "&"))
    assert response.status_code == 200 and b"SwaggerUIBundle" in response.content


# Inline script (not JSON data), event handler attributes, htmx attributes that evaluate code,
# javascript: URLs, inline <style>: each refused by the policy.
INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>"
    r"|\son[a-z]+\s*="
    r"|\shx-on[:-]"
    r"|hx-(?:vals|vars)=['\"]\s*js:"
    r"|javascript:"
    r"|<style",
    re.IGNORECASE,
)


def test_no_template_has_inline_script_or_style() -> None:
    found = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)!r}"
        for path in TEMPLATES.rglob("*.html")
        if "notifications" not in path.parts  # e-mail, not served to a browser
        for match in INLINE.finditer(re.sub(r"\{#.*?#\}", "", path.read_text()))
    ]
    assert not found, found


def test_favicon_is_served() -> None:
    response = Client().get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith("favicon.svg")


def test_debug_error_pages_keep_their_inline_script(settings: Any) -> None:
    settings.DEBUG = True
    assert "Content-Security-Policy" not in Client().get("/no-such-page/")
    assert "Content-Security-Policy" in Client().get("/login/")
