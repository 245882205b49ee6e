"""A small OpenID Connect provider for the tests: a real HTTP server on a loopback port.

It serves discovery, JWKS, authorize, token and userinfo, and signs ID tokens (RS256)
with an RSA key it generates. It checks what a real provider checks (client
credentials, redirect URI, single-use codes, the PKCE S256 verifier), and the tests
turn knobs to make it misbehave: `id_token_claims` overrides claims of the next ID
tokens (audience, expiry, nonce, issuer), `tamper` rewrites a token after signing,
`signing_key` signs with a key the JWKS does not publish.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CLIENT_ID = "cataligent"
CLIENT_SECRET = "client-secret-for-tests"
KEY_ID = "test-key-1"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class LocalProvider:
    key: rsa.RSAPrivateKey
    # The person who signs in at /authorize: their claims ("sub", "email", "groups", …);
    # None answers error=access_denied, as when a person cancels.
    person: dict[str, Any] | None = None
    id_token_claims: dict[str, Any] = field(default_factory=dict)
    tamper: Callable[[str], str] | None = None
    signing_key: rsa.RSAPrivateKey | None = None
    discovery_overrides: dict[str, Any] = field(default_factory=dict)
    # What the provider saw, for the tests to check.
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    userinfo_requests: int = 0
    _codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    _access_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    _server: ThreadingHTTPServer | None = None

    @property
    def issuer(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> LocalProvider:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet test output
                pass

            def do_GET(self) -> None:
                provider._handle(self, "GET")

            def do_POST(self) -> None:
                provider._handle(self, "POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # --- Endpoints ----------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(request.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        routes = {
            ("GET", "/.well-known/openid-configuration"): self._discovery,
            ("GET", "/jwks"): self._jwks,
            ("GET", "/authorize"): self._authorize,
            ("POST", "/token"): self._token,
            ("GET", "/userinfo"): self._userinfo,
        }
        handler = routes.get((method, url.path))
        if handler is None:
            return _send(request, 404, {"error": "not_found"})
        body = b""
        if method == "POST":
            body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        status, payload, headers = handler(query, body, request.headers)
        _send(request, status, payload, headers)

    def _discovery(self, *_: Any) -> Any:
        document = {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            **self.discovery_overrides,
        }
        return 200, document, {}

    def _jwks(self, *_: Any) -> Any:
        jwk = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return 200, {"keys": [{**jwk, "kid": KEY_ID, "alg": "RS256", "use": "sig"}]}, {}

    def _authorize(self, query: dict[str, str], *_: Any) -> Any:
        self.authorize_requests.append(query)
        if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
            return 400, {"error": "invalid_request"}, {}
        redirect_uri = query["redirect_uri"]
        answer = {"state": query.get("state", "")}
        if self.person is None:
            answer["error"] = "access_denied"
            answer["error_description"] = "The person cancelled the sign-in."
        else:
            code = secrets.token_urlsafe(16)
            self._codes[code] = {"query": query, "person": dict(self.person)}
            answer["code"] = code
        return 302, None, {"Location": f"{redirect_uri}?{urlencode(answer)}"}

    def _token(self, _query: dict[str, str], body: bytes, headers: Any) -> Any:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        self.token_requests.append(form)
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = headers.get("Authorization", "")
        if basic.startswith("Basic "):
            client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
        if (client_id, secret) != (CLIENT_ID, CLIENT_SECRET):
            return 401, {"error": "invalid_client"}, {}
        grant = self._codes.pop(form.get("code", ""), None)  # a code works once
        if form.get("grant_type") != "authorization_code" or grant is None:
            return 400, {"error": "invalid_grant"}, {}
        asked = grant["query"]
        if form.get("redirect_uri") != asked["redirect_uri"]:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri"}, {}
        # PKCE, RFC 7636 §4.6: only the holder of the verifier may use the code.
        verifier = form.get("code_verifier", "")
        challenge = b64url(hashlib.sha256(verifier.encode()).digest())
        if asked.get("code_challenge_method") != "S256" or challenge != asked.get("code_challenge"):
            return 400, {"error": "invalid_grant", "error_description": "PKCE"}, {}
        person = grant["person"]
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": asked.get("nonce"),
            **person,
            **self.id_token_claims,
        }
        token = jwt.encode(
            claims, self.signing_key or self.key, algorithm="RS256", headers={"kid": KEY_ID}
        )
        if self.tamper is not None:
            token = self.tamper(token)
        access_token = secrets.token_urlsafe(16)
        self._access_tokens[access_token] = person
        return (
            200,
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": token,
            },
            {},
        )

    def _userinfo(self, _query: dict[str, str], _body: bytes, headers: Any) -> Any:
        self.userinfo_requests += 1
        token = headers.get("Authorization", "").removeprefix("Bearer ")
        person = self._access_tokens.get(token)
        if person is None:
            return 401, {"error": "invalid_token"}, {}
        return 200, person, {}


def rewrite_payload(token: str, change: Callable[[dict[str, Any]], None]) -> str:
    """The token with its claims changed and the original signature kept (a forgery)."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    change(claims)
    forged = b64url(json.dumps(claims).encode())
    return f"{header}.{forged}.{signature}"


def unsigned(token: str) -> str:
    """The same claims with `alg: none` and no signature (RFC 7519 §6)."""
    _header, payload, _signature = token.split(".")
    header = b64url(json.dumps({"alg": "none", "typ": "JWT", "kid": KEY_ID}).encode())
    return f"{header}.{payload}."


def _send(
    request: BaseHTTPRequestHandler,
    status: int,
    payload: Any,
    headers: dict[str, str] | None = None,
) -> None:
    body = b"" if payload is None else json.dumps(payload).encode()
    request.send_response(status)
    if payload is not None:
        request.send_header("Content-Type", "application/json")
    request.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        request.send_header(name, value)
    request.end_headers()
    request.wfile.write(body)
