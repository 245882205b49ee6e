"""The page permission matrix: the open pages, the session, the webhook and a user's own API
tokens."""

from __future__ import annotations

from cataligent.models import ApiToken
from integrations.models import Ticket
from tests.factories import (
    ConnectorFactory,
)
from tests.web.page_matrix.world import (
    LOGIN,
    POST_ONLY,
    SIGNED_IN,
    Route,
    Write,
    admin_token,
    connector_kwargs,
    everyone,
    no_kwargs,
    open_to_all,
)

SESSION_ROUTES: dict[str, Route] = {
    # Open and session pages.
    "home": Route(
        no_kwargs,
        {
            "anonymous": LOGIN,
            # To the map (leadership), a team lead's team page, or the objectives.
            **dict.fromkeys(SIGNED_IN, 302),
        },
        no_writes="a redirect",
    ),
    "login": Route(no_kwargs, open_to_all(200), no_writes="signs in: no governed data"),
    "logout": Route(no_kwargs, POST_ONLY, no_writes="signs out: no governed data"),
    "health": Route(no_kwargs, open_to_all(200), no_writes="read-only"),
    "favicon": Route(no_kwargs, open_to_all(302), no_writes="a redirect to the icon"),
    # Without OIDC_ISSUER there is no single sign-on; tests/sso drives it with a provider.
    "sso-login": Route(no_kwargs, open_to_all(404), no_writes="signs in: no governed data"),
    "sso-callback": Route(no_kwargs, open_to_all(404), no_writes="signs in: no governed data"),
    "webhook": Route(
        connector_kwargs,
        open_to_all(405),
        writes={
            # Authenticated by the connector's secret, not by a session: nobody's session
            # gets an unsigned delivery in.
            "unsigned delivery": Write(
                data=lambda w: {"number": "INC1"},
                allowed=set(),
                snapshot=lambda w: Ticket.objects.count(),
                kwargs=lambda w: {"slug": ConnectorFactory(slug="hooked").slug},
            ),
        },
    ),
    # A user's own API tokens: everyone has theirs, nobody reaches another's (a 404,
    # tested in tests/web/test_account_tokens_page.py).
    "account-tokens": Route(
        no_kwargs,
        everyone(),
        writes={
            "a token of one's own": Write(
                data=lambda w: {"name": "ci", "expires_in_days": "30"},
                allowed=set(SIGNED_IN),
                snapshot=lambda w: ApiToken.objects.count(),
            )
        },
    ),
    "account-token-revoke": Route(
        lambda w: {"pk": 1},
        POST_ONLY,
        writes={
            "the admin's token": Write(
                data=lambda w: {},
                allowed={"admin"},
                kwargs=lambda w: {"pk": admin_token(w).pk},
                snapshot=lambda w: list(ApiToken.objects.values_list("pk", "revoked_at")),
                refused=404,
            )
        },
    ),
}
