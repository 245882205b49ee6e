from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

from cataligent import log_context
from cataligent.api.versions import (
    UNVERSIONED_DEPRECATED_SINCE,
    is_unversioned_api_path,
    v1_path,
)
from cataligent.hostile import NUL_MESSAGE
from cataligent.metrics import observe_request

access_log = logging.getLogger("cataligent.access")


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every page needs a signed-in user, except those marked `login_not_required`.

    The API is left to DRF, which answers an anonymous request with 401 in JSON
    instead of a redirect to the login page.
    """

    def process_view(self, request: Any, view_func: Any, view_args: Any, view_kwargs: Any) -> Any:
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class ApiVersionMiddleware:
    """Marks answers on the deprecated unversioned /api/ paths with where to move."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        response = self.get_response(request)
        path = request.path_info
        if is_unversioned_api_path(path):
            response["Deprecation"] = UNVERSIONED_DEPRECATED_SINCE
            successor = request.build_absolute_uri(
                request.META.get("SCRIPT_NAME", "") + v1_path(path)
            )
            response["Link"] = f'<{successor}>; rel="successor-version"'
        return response


class RequestIdMiddleware:
    """Gives each request an id (the caller's `X-Request-ID` if it sends a plain one), puts
    it in every log line and every task the request queues, and returns it in the answer.
    Also counts the request for /metrics. First in MIDDLEWARE, so it sees every answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = log_context.accepted_request_id(request.headers.get("X-Request-ID"))
        request.request_id = rid  # type: ignore[attr-defined]
        id_token = log_context.request_id.set(rid)
        request_token = log_context.current_request.set(request)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            seconds = time.perf_counter() - started
            # The access log (gunicorn's is off: this line has the request id and user).
            access_log.info(
                "%s %s %s %.0fms",
                request.method,
                request.path,
                response.status_code,
                seconds * 1000,
            )
        finally:
            log_context.current_request.reset(request_token)
            log_context.request_id.reset(id_token)
        response["X-Request-ID"] = rid
        observe_request(request, response, seconds)
        return response


class OperationsMiddleware:
    """Answers the probes and /metrics before host validation and the HTTPS redirect: an
    orchestrator probes the container's own address over plain HTTP, and Prometheus scrapes
    `web:8000`, neither of which is a public host name (ALLOWED_HOSTS)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from cataligent import views
        from cataligent.metrics import metrics_view

        self.get_response = get_response
        self.routes: dict[str, tuple[str, Callable[[HttpRequest], HttpResponse]]] = {
            "/health/live": ("health-live", views.health_live),
            "/health/live/": ("health-live", views.health_live),
            "/health/ready": ("health-ready", views.health_ready),
            "/health/ready/": ("health-ready", views.health_ready),
            "/metrics": ("metrics", metrics_view),
            "/metrics/": ("metrics", metrics_view),
        }

    def __call__(self, request: HttpRequest) -> HttpResponse:
        route = self.routes.get(request.path_info)
        if route is None or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        request.metrics_view = route[0]  # type: ignore[attr-defined]
        return route[1](request)


class RefuseHostileQueryMiddleware:
    """A NUL character in the path or a query parameter is a 400 naming it, for every page
    and API endpoint, before a lookup sends it to PostgreSQL (which cannot hold U+0000).

    Bodies are checked where they are parsed: the API's parsers (cataligent.api.parsers)
    and the pages' forms (cataligent.forms).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path_info:
            return _bad_request(request, "path", NUL_MESSAGE)
        for name, values in request.GET.lists():
            for value in (name, *values):
                if "\x00" in value:
                    return _bad_request(request, name.replace("\x00", "\\x00"), NUL_MESSAGE)
        return self.get_response(request)


def _bad_request(request: HttpRequest, field: str, message: str) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return JsonResponse({field: [message]}, status=400)
    return HttpResponseBadRequest(f"{field}: {message}", content_type="text/plain")
