"""OAuth 2.0 client credentials, as ServiceNow's ``/oauth_token.do`` speaks it.

itsm-apis.md §1 "Auth": a form-encoded ``POST /oauth_token.do`` with ``grant_type``,
``client_id`` and ``client_secret`` answers ``{"access_token", "expires_in", ...}``; requests
then carry ``Authorization: Bearer <token>``. Tokens live about half an hour, so a token
pasted into the connector (the ``bearer`` auth) stops working within the hour; this one is
fetched when needed, renewed a minute before it expires and fetched again once if the
source refuses it early (revoked, or a clock that disagrees). Tokens are kept for the
process, so the syncs of one connector every few minutes share one instead of leaving a
token record on the instance per run.

The client secret goes only into the token request's body: never into a URL, a header of
an API call or an error message.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Generator

import httpx
import orjson

from .errors import ResponseFormatError
from .responses import error_for_response

# Renew this long before the announced expiry; a token shorter-lived than twice this is
# renewed at half its life.
RENEW_MARGIN = 60.0
DEFAULT_LIFETIME = 1800.0  # seconds, when the answer does not say (ServiceNow's default)

# (token URL, client id, hash of the secret) -> (token, when to renew it)
_TOKENS: dict[tuple[str, str, str], tuple[str, float]] = {}
_TOKENS_LOCK = threading.Lock()


def forget_tokens() -> None:
    with _TOKENS_LOCK:
        _TOKENS.clear()


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
        secret_hash = hashlib.sha256(client_secret.encode()).hexdigest()
        self._key = (token_url, client_id, secret_hash)
        self._clock = clock
        self.tokens_fetched = 0  # for tests and the connection check

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._valid_token()
        fresh = token is None
        if token is None:
            token = yield from self._fetch(request)
            if token is None:
                return  # the token endpoint's error answer goes to the client's retry rules
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401 and not fresh:
            token = yield from self._fetch(request)
            if token is None:
                return
            request.headers["Authorization"] = f"Bearer {token}"
            yield request

    def _valid_token(self) -> str | None:
        with _TOKENS_LOCK:
            cached = _TOKENS.get(self._key)
        if cached is None or self._clock() >= cached[1]:
            return None
        return cached[0]

    def _fetch(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, str | None]:
        """Ask for a token; None when the endpoint answered an error worth retrying."""
        # A request made inside an auth flow does not get the client's timeouts by itself:
        # give it the API request's, so a stalled token endpoint cannot hang the sync.
        response = yield httpx.Request(
            "POST",
            self.token_url,
            data=self._form,
            headers={"Accept": "application/json"},
            extensions={"timeout": request.extensions.get("timeout", {})},
        )
        if response.status_code in (401, 403):
            error = error_for_response(response)
            error.message = (
                f"the OAuth token request to {self.token_url} was refused "
                f"(HTTP {response.status_code}); check the client id and secret, and "
                "that the OAuth application allows the client credentials grant"
            )
            raise error
        if response.status_code != 200:
            return None
        return self._accept(response)

    def _accept(self, response: httpx.Response) -> str:
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
        renew_at = self._clock() + max(lifetime - RENEW_MARGIN, lifetime / 2)
        with _TOKENS_LOCK:
            _TOKENS[self._key] = (token, renew_at)
        self.tokens_fetched += 1
        return token
