"""/account/tokens/: a user's own API tokens; a new key is shown once, on creation."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from cataligent.api_tokens import api_token_create, api_token_revoke, api_tokens_of


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, initial="API token")
    expires_in_days = forms.IntegerField(
        label="Expires in (days)", min_value=1, max_value=settings.API_TOKEN_MAX_DAYS
    )


@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    issued = None
    if request.method == "POST":
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            issued = api_token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                days=form.cleaned_data["expires_in_days"],
                actor_label="account page",
            )
            form = _blank_form()
    else:
        form = _blank_form()
    context: dict[str, Any] = {
        "tokens": api_tokens_of(request.user),
        "form": form,
        "issued": issued,
    }
    return render(request, "account/tokens.html", context, status=400 if form.errors else 200)


@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    # Only the user's own tokens are found: another user's is a 404.
    token = get_object_or_404(api_tokens_of(request.user), pk=pk)
    api_token_revoke(token=token, actor=request.user, actor_label="account page")
    messages.success(request, f"Revoked {token}. Programs using it are refused from now on.")
    return redirect("account-tokens")


def _blank_form() -> ApiTokenForm:
    return ApiTokenForm(initial={"expires_in_days": settings.API_TOKEN_DAYS})
