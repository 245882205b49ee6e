"""Content-Security-Policy on every response: the browser runs only our own script files.

Pages show text from ITSM sources (titles, assignees, URLs); should one ever slip through
escaping, an inline ``<script>``, an ``onclick=`` or a ``javascript:`` link it carries is not
run. So no template has inline script or event handlers (behaviour is in static/js/), htmx
is told not to inject its indicator ``<style>`` and not to evaluate attribute code
(templates/base.html), and Cytoscape finds its container stylesheet already in the page
(templates/map/map.html).

Django 5.2 has no CSP support of its own; this small middleware is all we need.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

POLICY: dict[str, str] = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    # data: for images drawn into CSS (Swagger UI's icons) and the map's PNG export.
    "img-src": "'self' data: blob:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
# The API's HTML comes from third parties: DRF's browsable API styles with inline
# attributes, Swagger UI with an inline <style>. Their script stays strict (the API docs
# load theirs from a file: SpectacularSwaggerSplitView).
INLINE_STYLE_PREFIXES = ("/api/",)


def _header(policy: dict[str, str]) -> str:
    return "; ".join(f"{directive} {sources}" for directive, sources in policy.items())


HEADER = _header(POLICY)
HEADER_INLINE_STYLE = _header({**POLICY, "style-src": "'self' 'unsafe-inline'"})


def policy_for(path: str) -> str:
    return HEADER_INLINE_STYLE if path.startswith(INLINE_STYLE_PREFIXES) else HEADER


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.DEBUG and response.status_code in (404, 500):
            return response  # Django's debug error pages style and script inline
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy_for(request.path_info)
        return response
