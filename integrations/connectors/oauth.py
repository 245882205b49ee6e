"""OAuth 2.0 client credentials, as ServiceNow's ``/oauth_token.do`` speaks it.

itsm-apis.md §1 "Auth": a form-encoded ``POST /oauth_token.do`` with ``grant_type``,
``client_id`` and ``client_secret`` answers ``{"access_token", "expires_in", ...}``; requests
then carry ``Authorization: Bearer <token>``. Tokens live about half an hour, so a token
pasted into the connector (the ``bearer`` auth) stops working within the hour; this one is
fetched when needed, renewed a minute before it expires, and fetched again once if the
source refuses it early (revoked, or a clock that disagrees).

The client secret goes only into the token request's body: never into a URL, a header of
an API call or an error message.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator

import httpx
import orjson

from .errors import AuthenticationError, ResponseFormatError
from .http import error_for_response

# Renew this long before the announced expiry; a token shorter-lived than twice this is
# renewed at half its life.
RENEW_MARGIN = 60.0
DEFAULT_LIFETIME = 1800.0  # seconds, when the answer does not say (ServiceNow's default)


class ClientCredentials(httpx.Auth):
    requires_response_body = True

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token_url = token_url
        self._form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        }
        self._clock = clock
        self._token: str | None = None
        self._renew_at = 0.0
        self.tokens_fetched = 0  # for tests and the connection check

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        fresh = False
        if self._token is None or self._clock() >= self._renew_at:
            self._accept((yield self._token_request()))
            fresh = True
        request.headers["Authorization"] = f"Bearer {self._token}"
        response = yield request
        if response.status_code == 401 and not fresh:
            self._accept((yield self._token_request()))
            request.headers["Authorization"] = f"Bearer {self._token}"
            yield request

    def _token_request(self) -> httpx.Request:
        return httpx.Request(
            "POST", self.token_url, data=self._form, headers={"Accept": "application/json"}
        )

    def _accept(self, response: httpx.Response) -> None:
        if response.status_code != 200:
            error = error_for_response(response)
            if isinstance(error, AuthenticationError):
                error.message = (
                    f"the OAuth token request to {self.token_url} was refused "
                    f"(HTTP {response.status_code}); check the client id and secret, and "
                    "that the OAuth application allows the client credentials grant"
                )
            raise error
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            body = None
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise ResponseFormatError(
                f"the OAuth token answer from {self.token_url} has no access_token"
            )
        lifetime = body.get("expires_in", DEFAULT_LIFETIME)
        if isinstance(lifetime, bool) or not isinstance(lifetime, int | float) or lifetime <= 0:
            lifetime = DEFAULT_LIFETIME
        self._token = token
        self._renew_at = self._clock() + max(lifetime - RENEW_MARGIN, lifetime / 2)
        self.tokens_fetched += 1
