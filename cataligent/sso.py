"""Single sign-on with OpenID Connect, on mozilla-django-oidc.

The library runs the authorization code flow: state, nonce and the PKCE (S256)
verifier kept in the session, the code exchanged at the token endpoint, the ID
token's signature checked against the provider's JWKS and its nonce against the
session's. What this module adds, where the library leaves it open:

- the endpoints from discovery (cataligent/sso_provider.py), not from settings;
- every call to the provider through the product's HTTP client and its rule on
  private addresses, not `requests`;
- the ID token's audience, issuer, expiry and issue time checked too (the library
  turns audience checking off);
- people found by the provider's (issuer, subject), never by a name they can change;
  an existing account is linked once by its verified e-mail address;
- roles and team memberships from the groups claim at every sign-in
  (cataligent/sso_access.py);
- a failed sign-in back at /login/ with the reason, never a 500.
"""

from __future__ import annotations

import base64
import logging
import re
from typing import Any
from urllib.parse import quote

import jwt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils import timezone
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from cataligent.audit import audit_changes, audit_created
from cataligent.models import SingleSignOnIdentity
from cataligent.sso_access import claim_groups, sso_access_apply
from cataligent.sso_provider import (
    IdentityProvider,
    ProviderUnavailable,
    identity_provider,
    provider_name,
    provider_request,
    sso_enabled,
)

log = logging.getLogger(__name__)

# Seconds of clock difference between us and the provider that a token's times tolerate.
CLOCK_LEEWAY = 60
# Claims of the ID token itself, never taken from the userinfo answer.
TOKEN_CLAIMS = frozenset({"iss", "sub", "aud", "exp", "iat", "nbf", "nonce", "azp", "at_hash"})
USERNAME_UNSAFE = re.compile(r"[^\w.@+-]")


class SignInRefused(SuspiciousOperation):
    """The provider's answer cannot sign anyone in; the message says why."""


def actor_label() -> str:
    return f"sign-in with {provider_name()}"


class SingleSignOnBackend(OIDCAuthenticationBackend):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The library reads its endpoints from settings here. Django builds the backends
        # for every request and every password check, so discovery waits until a
        # sign-in with the provider really happens (authenticate below).
        self.UserModel = get_user_model()
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_CLIENT_SECRET

    def authenticate(self, request: Any, **kwargs: Any) -> Any:
        # Only the callback view passes a nonce; a password check never reaches the provider.
        if request is None or "nonce" not in kwargs or not sso_enabled():
            return None
        self.provider: IdentityProvider = identity_provider()
        self.OIDC_OP_TOKEN_ENDPOINT = self.provider.token_endpoint
        self.OIDC_OP_USER_ENDPOINT = self.provider.userinfo_endpoint
        self.OIDC_OP_JWKS_ENDPOINT = self.provider.jwks_uri
        return super().authenticate(request, **kwargs)

    # --- Calls to the provider -----------------------------------------------------------

    def get_token(self, payload: dict[str, Any]) -> dict[str, Any]:
        headers = {}
        if self.provider.client_secret_basic:
            # RFC 6749 §2.3.1: both parts form-encoded before Base64.
            client = quote(payload.pop("client_id"), safe="")
            secret = quote(payload.pop("client_secret"), safe="")
            pair = base64.b64encode(f"{client}:{secret}".encode()).decode()
            headers["Authorization"] = f"Basic {pair}"
        response = provider_request(
            "POST", self.OIDC_OP_TOKEN_ENDPOINT, data=payload, headers=headers
        )
        body = _json_object(response, "the token endpoint")
        if not isinstance(body.get("id_token"), str):
            raise SignInRefused("the token endpoint sent no ID token")
        return body

    def retrieve_matching_jwk(self, token: str) -> Any:
        """The provider's key for this token: the library's matching on `kid` and `alg`."""
        keys = _json_object(provider_request("GET", self.OIDC_OP_JWKS_ENDPOINT), "the JWKS")
        header = _token_header(token)
        for key in keys.get("keys") or []:
            if not isinstance(key, dict) or key.get("kid") != header.get("kid"):
                continue
            if "alg" in key and key["alg"] != header.get("alg"):
                continue
            try:
                return jwt.PyJWK(key)
            except jwt.PyJWTError as exc:
                raise SignInRefused(
                    f"the provider's key {key.get('kid')!r} is unusable: {exc}"
                ) from None
        raise SignInRefused("the ID token is signed with a key the provider does not publish")

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        """The ID token's claims, completed by the userinfo endpoint when there is one."""
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT and access_token:
            response = provider_request(
                "GET",
                self.OIDC_OP_USER_ENDPOINT,
                headers={"Authorization": f"Bearer {access_token}"},
            )
            info = _json_object(response, "the userinfo endpoint")
            # OpenID Connect Core §5.3.2: a userinfo answer for another subject is not used.
            if info.get("sub") != payload.get("sub"):
                raise SignInRefused("the userinfo endpoint answered for another person")
            claims.update({k: v for k, v in info.items() if k not in TOKEN_CLAIMS})
        return claims

    # --- The ID token --------------------------------------------------------------------

    def _verify_jws(self, payload: str, key: Any) -> dict[str, Any]:
        header = _token_header(payload)
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SignInRefused(
                f"the ID token is signed with {header.get('alg')!r}, not {self.OIDC_RP_SIGN_ALGO}"
            )
        try:
            claims = jwt.decode(
                payload,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=self.provider.issuer,
                leeway=CLOCK_LEEWAY,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
        except jwt.InvalidSignatureError:
            raise SignInRefused(
                "the ID token's signature does not match the provider's key"
            ) from None
        except jwt.ExpiredSignatureError:
            raise SignInRefused("the ID token has expired") from None
        except jwt.InvalidAudienceError:
            raise SignInRefused(
                "the ID token was issued for another application (audience)"
            ) from None
        except jwt.InvalidIssuerError:
            raise SignInRefused("the ID token was issued by another provider (issuer)") from None
        except jwt.PyJWTError as exc:
            raise SignInRefused(f"the ID token is not valid: {exc}") from None
        # Core §3.1.3.7: with several audiences, the token must have been issued to us.
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SignInRefused("the ID token was issued for another application (azp)")
        return claims

    # --- The person ----------------------------------------------------------------------

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return isinstance(claims.get("sub"), str) and bool(claims["sub"])

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        linked = self.UserModel.objects.filter(
            sso_identities__issuer=self.provider.issuer, sso_identities__subject=claims["sub"]
        )
        if linked.exists():
            return linked
        email = claims.get("email")
        # An account made before single sign-on is linked by its e-mail address once,
        # if the provider vouches for the address and the account has no other identity
        # at this provider.
        if not isinstance(email, str) or not email or claims.get("email_verified") is False:
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(email__iexact=email).exclude(
            sso_identities__issuer=self.provider.issuer
        )

    @transaction.atomic
    def create_user(self, claims: dict[str, Any]) -> Any:
        user = self.UserModel.objects.create_user(
            _free_username(self.UserModel, claims),
            email=_email(claims),
        )
        user.set_unusable_password()
        _copy_names(user, claims)
        user.save()
        audit_created(user, actor=None, actor_label=actor_label())
        return self.update_user(user, claims)

    @transaction.atomic
    def update_user(self, user: Any, claims: dict[str, Any]) -> Any:
        identity, made = SingleSignOnIdentity.objects.get_or_create(
            issuer=self.provider.issuer, subject=claims["sub"], defaults={"user": user}
        )
        if made:
            audit_created(identity, actor=None, actor_label=actor_label())
        identity.last_sign_in_at = timezone.now()
        identity.save(update_fields=["last_sign_in_at"])
        before = {"email": user.email, "first_name": user.first_name, "last_name": user.last_name}
        if _email(claims):
            user.email = _email(claims)
        _copy_names(user, claims)
        after = {"email": user.email, "first_name": user.first_name, "last_name": user.last_name}
        if after != before:
            user.save(update_fields=list(after))
            audit_changes(
                user,
                {f: (before[f], after[f]) for f in after},
                actor=None,
                actor_label=actor_label(),
            )
        sso_access_apply(user=user, groups=claim_groups(claims), actor_label=actor_label())
        return user


def _token_header(token: str) -> dict[str, Any]:
    try:
        return jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise SignInRefused(f"the ID token is not a JWT: {exc}") from None


def _json_object(response: Any, what: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise SignInRefused(f"{what} did not answer JSON") from None
    if not isinstance(body, dict):
        raise SignInRefused(f"{what} did not answer a JSON object")
    return body


def _email(claims: dict[str, Any]) -> str:
    """The e-mail claim if it fits the account's field (254 characters), else none."""
    email = claims.get("email")
    return email if isinstance(email, str) and len(email) <= 254 else ""


def _copy_names(user: Any, claims: dict[str, Any]) -> None:
    for field, claim in (("first_name", "given_name"), ("last_name", "family_name")):
        if isinstance(claims.get(claim), str):
            setattr(user, field, claims[claim][:150])


def _free_username(user_model: Any, claims: dict[str, Any]) -> str:
    """The provider's username if it is free, else with a number; never an existing
    account's (that one is linked by e-mail or not at all)."""
    wanted = ""
    for claim in ("preferred_username", "email", "sub"):
        value = claims.get(claim)
        if isinstance(value, str) and USERNAME_UNSAFE.sub("", value):
            wanted = USERNAME_UNSAFE.sub("", value)[:140]
            break
    wanted = wanted or "sso-user"
    candidate, n = wanted, 1
    while user_model.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{wanted}-{n}"
    return candidate


# --- Views -------------------------------------------------------------------------------


def _back_to_sign_in(request: Any, reason: str) -> HttpResponseRedirect:
    messages.error(request, f"Signing in with {provider_name()} failed: {reason}.")
    return redirect("login")


class SsoStartView(OIDCAuthenticationRequestView):
    """`/sso/login/?next=…`: off to the provider with state, nonce and a PKCE challenge."""

    def __init__(self, **kwargs: Any) -> None:
        # The library reads the authorization endpoint from settings here; it comes from
        # discovery in get().
        View.__init__(self, **kwargs)

    def get(self, request: Any) -> Any:
        if not sso_enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            provider = identity_provider()
        except ProviderUnavailable as exc:
            log.warning("single sign-on: discovery failed: %s", exc)
            return _back_to_sign_in(request, f"{provider_name()} cannot be reached ({exc})")
        self.OIDC_OP_AUTH_ENDPOINT = provider.authorization_endpoint
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID
        return super().get(request)


class SsoCallbackView(OIDCAuthenticationCallbackView):
    """`/sso/callback/`: the provider sends the person back here with a code."""

    def get(self, request: Any) -> Any:
        if not sso_enabled():
            raise Http404("Single sign-on is not configured.")
        if request.GET.get("error"):
            super().get(request)  # forgets the state, signs out
            said = request.GET.get("error_description") or request.GET["error"]
            return _back_to_sign_in(request, f"{provider_name()} answered: {said[:200]}")
        if "oidc_states" not in request.session or request.GET.get("state") not in (
            request.session.get("oidc_states") or {}
        ):
            # A callback this browser did not start, or started long ago.
            return _back_to_sign_in(request, "this sign-in was not started here, or expired")
        try:
            response = super().get(request)
        except (SuspiciousOperation, ProviderUnavailable, IntegrityError) as exc:
            log.warning("single sign-on refused: %s", exc)
            return _back_to_sign_in(request, str(exc))
        user = getattr(self, "user", None)
        if user is not None and user.is_active:
            return response
        log.warning("single sign-on: no active account for this person")
        return _back_to_sign_in(
            request,
            "there is no active account for you here (is your e-mail address on two "
            "accounts, or was your account deactivated?); ask an admin",
        )
