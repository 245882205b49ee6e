"""ServiceNow OAuth client credentials (itsm-apis.md §1 "Auth") against the simulator, which
answers POST /oauth_token.do and accepts the tokens it handed out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from integrations.connectors import (
    AuthenticationError,
    ConfigurationError,
    ConnectorConfig,
    NetworkError,
    NormalizedTicket,
    connector_for,
)
from integrations.connectors.oauth import ClientCredentials, forget_tokens
from integrations.simulator import NOISE_ONLY, SimulatorServer, make_server

from .fakes import FakeSource, Reply, Request

CLIENT_ID, CLIENT_SECRET = "cataligent", "cataligent-secret"  # the simulator's defaults


@pytest.fixture(autouse=True)
def _no_tokens_kept() -> Iterator[None]:
    forget_tokens()  # tokens are kept per process; each test starts without one
    yield
    forget_tokens()


@pytest.fixture
def server() -> Iterator[SimulatorServer]:
    simulator = make_server("127.0.0.1", 0, seed=5, tickets=30, scenario=NOISE_ONLY).start()
    yield simulator
    simulator.close()


def _config(server: SimulatorServer, **overrides: Any) -> ConnectorConfig:
    values: dict[str, Any] = {
        "kind": "servicenow",
        "base_url": server.base_url,
        "auth_type": "oauth",
        "username": CLIENT_ID,
        "secret": CLIENT_SECRET,
        "page_size": 10,
        "allow_private_networks": True,
        **overrides,
    }
    return ConnectorConfig(**values)


def _auth(connector: Any) -> ClientCredentials:
    auth = connector.http._client.auth
    assert isinstance(auth, ClientCredentials)
    return auth


def test_a_token_is_fetched_once_and_used_for_every_page(server: SimulatorServer) -> None:
    with connector_for(_config(server), sleep=lambda s: None) as source:
        pages = list(source.fetch_pages(None))
        tickets = [t for page in pages for t in page.tickets]
        assert len(pages) >= 3 and all(isinstance(t, NormalizedTicket) for t in tickets)
        assert len(tickets) == len(server.store.incidents)
        assert _auth(source).tokens_fetched == 1


def test_a_token_refused_early_is_fetched_again_once(server: SimulatorServer) -> None:
    with connector_for(_config(server), sleep=lambda s: None) as source:
        pages = source.fetch_pages(None)
        next(pages)
        server.servicenow.oauth_tokens.clear()  # revoked on the instance
        rest = list(pages)
        assert rest and rest[-1].is_last
        assert _auth(source).tokens_fetched == 2


def test_a_token_is_renewed_before_it_expires(server: SimulatorServer) -> None:
    now = [0.0]
    with connector_for(_config(server), sleep=lambda s: None) as source:
        auth = _auth(source)
        auth._clock = lambda: now[0]
        source.test_connection()
        source.test_connection()
        assert auth.tokens_fetched == 1
        now[0] += 1799 - 59  # within the last minute of the simulator's 1,799 s
        source.test_connection()
        assert auth.tokens_fetched == 2


def test_wrong_client_secret_is_a_permanent_error_without_the_secret(
    server: SimulatorServer,
) -> None:
    source = connector_for(_config(server, secret="not-the-secret"), sleep=lambda s: None)
    with source, pytest.raises(AuthenticationError) as caught:
        list(source.fetch_pages(None))
    error = caught.value
    assert error.permanent and error.status_code == 401
    assert "/oauth_token.do" in str(error) and "client id and secret" in str(error)
    assert "not-the-secret" not in str(error)


def test_oauth_needs_a_client_id_and_is_servicenow_only(server: SimulatorServer) -> None:
    with pytest.raises(ConfigurationError, match="client id"):
        connector_for(_config(server, username=""))
    with pytest.raises(ConfigurationError, match="supports auth"):
        connector_for(_config(server, kind="jira", query="project = LEND"))


class OAuthFake(FakeSource):
    """A token endpoint and a Table API that wants its token; faults are injected in order."""

    token = "token-1"

    def route(self, request: Request) -> Reply:
        if request.path == "/oauth_token.do":
            return Reply(200, {"access_token": self.token, "expires_in": 1799})
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Reply(401, {"error": {"message": "User Not Authenticated"}})
        return Reply(200, {"result": []}, headers={"X-Total-Count": "0"})


def _fake_config(fake: OAuthFake) -> ConnectorConfig:
    return ConnectorConfig(
        kind="servicenow",
        base_url=fake.base_url,
        auth_type="oauth",
        username="client",
        secret="secret",
        allow_private_networks=True,
    )


def test_a_failing_token_endpoint_is_retried_like_any_request(start_fake: Any) -> None:
    fake = start_fake(OAuthFake)
    fake.inject(Reply(503, {"error": {"message": "busy"}}, headers={"Retry-After": "0"}))
    with connector_for(_fake_config(fake), sleep=lambda s: None) as source:
        pages = list(source.fetch_pages(None))
    assert pages[-1].is_last
    assert len(fake.requests_to("/oauth_token.do")) == 2


def test_a_stalled_token_endpoint_times_out_instead_of_hanging(start_fake: Any) -> None:
    fake = start_fake(OAuthFake)
    fake.inject(*[Reply(200, {"access_token": "late"}, delay=2.0) for _ in range(4)])
    source = connector_for(_fake_config(fake), sleep=lambda s: None, timeout=0.3)
    with source, pytest.raises(NetworkError, match="Timeout"):
        list(source.fetch_pages(None))
