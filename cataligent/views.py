from __future__ import annotations

import logging
import time
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from rest_framework.exceptions import AuthenticationFailed

from cataligent.api.authentication import token_key
from cataligent.api_tokens import TokenRefused, api_token_authenticate
from cataligent.celery import app as celery_app
from cataligent.models import Team
from cataligent.permissions import Action, can
from cataligent.roles import Role, led_team_ids, user_roles
from integrations.models import Connector

log = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    """Leadership starts on the blocked-capability map, a team lead on the page of the team
    they lead (its items, gaps, escalations, overdue updates); everyone else (admins too) on
    the objectives."""
    roles = user_roles(request.user)
    if Role.LEADERSHIP in roles:
        return redirect("map")
    if Role.ADMIN not in roles:
        led = Team.objects.filter(pk__in=led_team_ids(request.user)).order_by("name")
        first = led.values_list("slug", flat=True).first()
        if first is not None:
            return redirect("team-detail", slug=first)
    return redirect("objective-list")


@login_not_required
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages that name no icon (the admin, the API docs)."""
    # Not permanent: the hashed name changes with the file.
    return redirect(static("favicon.svg"))


def _check_database() -> dict[str, Any]:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # a health check reports, it does not raise
        return {"ok": False, "error": str(exc)}
    return {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}


def _check_broker() -> dict[str, Any]:
    started = time.monotonic()
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return {"ok": False, "error": str(exc)}
    return {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}


@login_not_required
@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and people: database and broker; 503 when one is down.

    Anyone may ask whether the app is up; only admins (signed in, or with an admin's
    API token) see the details: timings, error texts and each connector's freshness,
    since slugs are webhook paths and errors name internal hosts.
    """
    checks = {"database": _check_database(), "broker": _check_broker()}
    ok = all(check["ok"] for check in checks.values())
    if not ok:
        log.warning("health check failing: %s", checks)
    status = 200 if ok else 503
    if not checks["database"]["ok"]:
        # Without the database nobody can be recognised; say only what is up.
        return JsonResponse(_liveness(ok, checks), status=status)
    try:
        viewer = _health_viewer(request)
    except TokenRefused as exc:
        return JsonResponse({"detail": str(exc)}, status=401, headers={"WWW-Authenticate": "Token"})
    if not can(viewer, Action.VIEW, model=Connector):
        return JsonResponse(_liveness(ok, checks), status=status)
    # A stale or failing connector is reported but does not fail the health check:
    # the app still serves, and the source may be the one that is down.
    body = {
        "status": "ok" if ok else "failing",
        "checks": checks,
        "connectors": _connector_freshness(),
    }
    return JsonResponse(body, status=status)


@login_not_required
@never_cache
def health_live(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches neither the database nor the broker, so an
    orchestrator does not restart every web process when PostgreSQL blips."""
    return JsonResponse({"status": "ok"})


@login_not_required
@never_cache
def health_ready(request: HttpRequest) -> JsonResponse:
    """Readiness: the database and the broker answer (503 when one does not), so a load
    balancer sends no traffic to a process that could only fail it. No details: /health/
    gives admins those."""
    checks = {"database": _check_database(), "broker": _check_broker()}
    ok = all(check["ok"] for check in checks.values())
    if not ok:
        log.warning("not ready: %s", checks)
    return JsonResponse(_liveness(ok, checks), status=200 if ok else 503)


def _liveness(ok: bool, checks: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "status": "ok" if ok else "failing",
        "checks": {name: {"ok": check["ok"]} for name, check in checks.items()},
    }


def _health_viewer(request: HttpRequest) -> Any:
    """The signed-in user, else the user of an `Authorization: Token` header."""
    if request.user.is_authenticated:
        return request.user
    try:
        key = token_key(request)
    except AuthenticationFailed as exc:
        raise TokenRefused(str(exc.detail)) from None
    return api_token_authenticate(key).user if key is not None else None


def _connector_freshness() -> list[dict[str, Any]]:
    return [
        {
            "slug": c.slug,
            "health": c.health,
            "last_success_at": c.last_success_at.isoformat() if c.last_success_at else None,
            "poll_interval": c.poll_interval,
            "last_error": c.last_error[:300] if c.health == "failing" else "",
        }
        for c in Connector.objects.order_by("slug")
    ]
