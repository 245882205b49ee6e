"""JSON errors that say what is wrong, never a 500 for bad input.

DRF already answers its own exceptions with JSON; this adds the Django ones
that reach a view from model validation, permission checks and constraints.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

log = logging.getLogger(__name__)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(detail=str(exc) or None)
    elif isinstance(exc, DjangoValidationError):
        detail: Any = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, ProtectedError):
        names = sorted({str(obj) for obj in exc.protected_objects})[:5]
        return Response(
            {"detail": f"Still in use by: {', '.join(names)}. Remove those references first."},
            status=status.HTTP_409_CONFLICT,
        )
    elif isinstance(exc, IntegrityError):
        # Validation normally catches these first; a concurrent write can still race it.
        log.info("integrity error answered as 409: %s", exc)
        return Response(
            {
                "detail": "This conflicts with data that already exists (it may have just been "
                "created by someone else). Reload and try again."
            },
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)
