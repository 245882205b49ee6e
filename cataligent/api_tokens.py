"""API tokens: named keys that expire, of which only a hash is kept (issue 13).

A key is 32 random bytes, so a plain SHA-256 of it can be neither reversed nor
guessed; a slow password hash would only slow every API request down. The key
itself exists only in the answer that creates the token.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from cataligent.audit import audit_changes, audit_created
from cataligent.models import ApiToken

# Recognisable in logs and by secret scanners; old keys (40 hex digits) still work.
KEY_START = "cat_"
# Refused tokens are kept this long, so their use is answered "expired" or "revoked".
KEEP_REFUSED = timedelta(days=30)
# last_used_at is written at most this often, not on every request.
TOUCH_EVERY = timedelta(minutes=5)
RENEW_HINT = "Create a new one with POST /api/v1/auth/token/ or at /account/tokens/."


class TokenRefused(Exception):
    """A key that names no usable token; the message says why."""


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    key: str  # shown once, never stored


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *, user: Any, name: str, days: int | None = None, actor_label: str = ""
) -> IssuedToken:
    days = settings.API_TOKEN_DAYS if days is None else days
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise ValueError(f"days must be between 1 and {settings.API_TOKEN_MAX_DAYS}")
    key = KEY_START + secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_hash=hash_key(key),
        prefix=key[:12],
        expires_at=now + timedelta(days=days),
    )
    audit_created(token, actor=user, actor_label=actor_label)
    # A script that asks for a token on every run leaves one row per run behind.
    ApiToken.objects.filter(user=user).filter(
        Q(expires_at__lt=now - KEEP_REFUSED) | Q(revoked_at__lt=now - KEEP_REFUSED)
    ).delete()
    return IssuedToken(token=token, key=key)


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: Any, actor_label: str = "") -> None:
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_changes(
        token, {"revoked_at": (None, token.revoked_at)}, actor=actor, actor_label=actor_label
    )


def api_tokens_of(user: Any) -> QuerySet[ApiToken]:
    """The user's tokens that were not revoked, newest first (expired ones too)."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True)


def api_token_authenticate(key: str) -> ApiToken:
    """The token `key` names, with its user; TokenRefused when it may not be used."""
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
    if token is None:
        raise TokenRefused("Invalid token.")
    now = timezone.now()
    if token.revoked_at is not None:
        raise TokenRefused(f"This token was revoked on {token.revoked_at:%Y-%m-%d}. {RENEW_HINT}")
    if token.expires_at <= now:
        raise TokenRefused(f"This token expired on {token.expires_at:%Y-%m-%d}. {RENEW_HINT}")
    if not token.user.is_active:
        raise TokenRefused("User inactive or deleted.")
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
