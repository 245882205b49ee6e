"""`Authorization: Token <key>` for the API, against hashed, expiring tokens."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from cataligent.api_tokens import TokenRefused, api_token_authenticate


def token_key(request: Any) -> str | None:
    """The key of an `Authorization: Token <key>` header, None when there is none."""
    parts = get_authorization_header(request).split()
    if not parts or parts[0].lower() != b"token":
        return None
    if len(parts) != 2:
        raise AuthenticationFailed("Invalid token header: send 'Authorization: Token <key>'.")
    try:
        return parts[1].decode("ascii")
    except UnicodeDecodeError:
        raise AuthenticationFailed("Invalid token header: the key is not ASCII.") from None


class ApiTokenAuthentication(BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        key = token_key(request)
        if key is None:
            return None
        try:
            token = api_token_authenticate(key)
        except TokenRefused as exc:
            raise AuthenticationFailed(str(exc)) from None
        return (token.user, token)

    def authenticate_header(self, request: Any) -> str:
        # Makes DRF answer an anonymous request 401 rather than 403.
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'A key from POST /api/v1/auth/token/, sent as "Token <key>".',
        }
