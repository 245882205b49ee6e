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
    NormalizedTicket,
    connector_for,
)
from integrations.connectors.oauth import ClientCredentials
from integrations.simulator import NOISE_ONLY, SimulatorServer, make_server

CLIENT_ID, CLIENT_SECRET = "cataligent", "cataligent-secret"  # the simulator's defaults


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
