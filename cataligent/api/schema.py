"""The OpenAPI schema says which errors each operation answers, not only its success.

Every refusal the API makes is JSON (cataligent.api.errors): 400 with the fields named,
401 and 403 with the reason, 404 for an unknown object or page, 409 when a write conflicts,
415 for a body in a type the parsers do not read. Clients (and the schema fuzzing suite,
tests/api/test_schema_fuzz.py) rely on the schema listing them.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What is wrong, in a sentence.")


_FIELD_ERRORS = OpenApiResponse(
    response={
        "type": "object",
        "description": "Each key names a field in error (nested for nested fields) and holds "
        'its messages; "detail" holds a problem with the request as a whole.',
        "additionalProperties": True,
    },
    description="The input is invalid; the fields in error are named.",
)
_NOT_SIGNED_IN = OpenApiResponse(ErrorSerializer, description="Not signed in, or a bad token.")
_REFUSED = OpenApiResponse(ErrorSerializer, description="Not allowed; the reason is given.")
_NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such object, page or endpoint.")
_CONFLICT = OpenApiResponse(
    ErrorSerializer, description="Conflicts with existing data (in use, or written concurrently)."
)
_UNSUPPORTED = OpenApiResponse(ErrorSerializer, description="The body's content type is not read.")

_WRITES = {"POST", "PUT", "PATCH", "DELETE"}


class AutoSchema(openapi.AutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        errors: dict[str, OpenApiResponse] = {
            "400": _FIELD_ERRORS,
            "401": _NOT_SIGNED_IN,
            "403": _REFUSED,
            "404": _NOT_FOUND,
        }
        if self.method in _WRITES:
            errors["409"] = _CONFLICT
        if self.method in {"POST", "PUT", "PATCH"}:
            errors["415"] = _UNSUPPORTED
        for code, response in errors.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses
