"""API tokens: get one with a password; list, create and revoke your own.

- `POST /api/auth/token/` (`username`, `password`): `{"token": "<key>", "expires_at": ...}`;
  failed passwords count towards the sign-in limits (429 with Retry-After when locked).
- `GET|POST /api/auth/tokens/`, `DELETE /api/auth/tokens/<id>/`: the caller's own tokens.
  Tokens are their user's alone: the queryset holds only the caller's, so another's
  token is a 404, and nothing else is needed from the permission policy.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from cataligent.api_tokens import api_token_create, api_token_revoke, api_tokens_of
from cataligent.models import ApiToken
from cataligent.signin import passwords_refused
from cataligent.signin_limits import SignInLocked, authenticate_with_limits

DEFAULT_NAME = "API token"


def _days_field() -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1,
        max_value=settings.API_TOKEN_MAX_DAYS,
        required=False,
        write_only=True,
        help_text=f"Lifetime in days (default {settings.API_TOKEN_DAYS}).",
    )


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, trim_whitespace=False)
    password = serializers.CharField(
        max_length=4096, trim_whitespace=False, style={"input_type": "password"}
    )
    name = serializers.CharField(max_length=100, required=False, default=DEFAULT_NAME)
    expires_in_days = _days_field()


class ApiTokenSerializer(serializers.ModelSerializer):
    name = serializers.CharField(max_length=100, required=False, default=DEFAULT_NAME)
    expires_in_days = _days_field()
    expired = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "prefix",
            "created_at",
            "expires_at",
            "last_used_at",
            "expired",
            "expires_in_days",
        ]
        read_only_fields = ["id", "prefix", "created_at", "expires_at", "last_used_at"]


class IssuedTokenSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="The key; shown only this once.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]


TOKEN_ANSWER = inline_serializer(
    "IssuedKey",
    {"token": serializers.CharField(), "expires_at": serializers.DateTimeField()},
)


@extend_schema(
    request=TokenRequestSerializer,
    responses={200: TOKEN_ANSWER},
    description="A new API token for these credentials. Too many failed passwords for an "
    "account or from an address answer 429 with Retry-After until the lockout ends. Where "
    "passwords are switched off (single sign-on only) this answers 403: create a token on "
    "the account page instead.",
)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([])
def obtain_token(request: Any) -> Response:
    refusal = passwords_refused(
        where=f"at {settings.SITE_URL}/login/, then create an API token on your account page, "
        f"{settings.SITE_URL}/account/tokens/ (or with POST /api/v1/auth/tokens/ while signed in)"
    )
    if refusal is not None:
        return Response({"detail": refusal}, status=status.HTTP_403_FORBIDDEN)
    serializer = TokenRequestSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    try:
        user = authenticate_with_limits(
            request=request, username=data["username"], password=data["password"]
        )
    except SignInLocked as locked:
        return Response(
            {"detail": locked.message},
            status=status.HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(locked.retry_after)},
        )
    if user is None:
        raise serializers.ValidationError(
            {"non_field_errors": ["Unable to log in with provided credentials."]}
        )
    issued = api_token_create(
        user=user, name=data["name"], days=data.get("expires_in_days"), actor_label="api"
    )
    return Response({"token": issued.key, "expires_at": issued.token.expires_at})


@extend_schema(responses=ApiTokenSerializer)
class ApiTokenViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Your API tokens: list them, create one (its key is in this answer only), revoke one."""

    permission_classes = [IsAuthenticated]
    serializer_class = ApiTokenSerializer
    pagination_class = None
    filter_backends: list[Any] = []

    def get_queryset(self) -> Any:
        return api_tokens_of(self.request.user)

    @extend_schema(request=ApiTokenSerializer, responses={201: IssuedTokenSerializer})
    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        issued = api_token_create(
            user=request.user,
            name=serializer.validated_data["name"],
            days=serializer.validated_data.get("expires_in_days"),
            actor_label="api",
        )
        body = IssuedTokenSerializer(issued.token).data
        body["token"] = issued.key
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: ApiToken) -> None:
        api_token_revoke(token=instance, actor=self.request.user, actor_label="api")
