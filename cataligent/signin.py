"""The sign-in page and the admin's sign-in, both under the sign-in limits, and both
refusing passwords when LOCAL_LOGIN is off (single sign-on only)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError

from cataligent.signin_limits import SignInLocked, authenticate_with_limits
from cataligent.sso_provider import provider_name


def passwords_refused(*, where: str) -> str | None:
    """Why a password is refused (LOCAL_LOGIN=0), saying how to sign in instead; None
    while passwords are accepted."""
    if settings.LOCAL_LOGIN:
        return None
    return f"Passwords are switched off here: sign in with {provider_name()} {where}."


class LimitedSignInMixin:
    """AuthenticationForm.clean(), with the password checked through the limits."""

    request: Any
    cleaned_data: dict[str, Any]
    user_cache: Any
    locked: SignInLocked | None = None
    refused = False
    # Where the "Sign in with …" button is, as the refusal says.
    sso_where = "(the button above)"

    def clean(self) -> dict[str, Any]:
        refusal = passwords_refused(where=self.sso_where)
        if refusal is not None:
            # Refused before any password is checked, so nothing counts towards a lockout.
            self.refused = True
            raise ValidationError(refusal, code="passwords_off")
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = authenticate_with_limits(
                    request=self.request, username=username, password=password
                )
            except SignInLocked as locked:
                self.locked = locked
                raise ValidationError(locked.message, code="locked") from None
            if self.user_cache is None:
                raise self.get_invalid_login_error()  # type: ignore[attr-defined]
            self.confirm_login_allowed(self.user_cache)  # type: ignore[attr-defined]
        return self.cleaned_data


class SignInForm(LimitedSignInMixin, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That username and password do not match. Try again.",
    }


class AdminSignInForm(LimitedSignInMixin, AdminAuthenticationForm):
    sso_where = "on the sign-in page, /login/"


class SignInView(LoginView):
    form_class = SignInForm

    def form_invalid(self, form: Any) -> Any:
        response = super().form_invalid(form)
        if form.locked is not None:
            response.status_code = 429
            response["Retry-After"] = str(form.locked.retry_after)
        elif form.refused:
            response.status_code = 403
        return response
