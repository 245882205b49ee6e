from __future__ import annotations

import logging
import time
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache

from cataligent.celery import app as celery_app

log = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    return redirect("objective-list")


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
    """Liveness for load balancers and people: database and broker; 503 when one is down."""
    checks = {"database": _check_database(), "broker": _check_broker()}
    ok = all(check["ok"] for check in checks.values())
    if not ok:
        log.warning("health check failing: %s", checks)
    return JsonResponse(
        {"status": "ok" if ok else "failing", "checks": checks}, status=200 if ok else 503
    )
