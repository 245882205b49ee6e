"""The httpx and httpcore internals the destination guard (integrations/connectors/destinations.py)
stands on. httpx has no public hook for the network backend, so the guard replaces the
transport's connection pool (``HTTPTransport._pool``) with an httpcore pool that opens
sockets through it. If a new httpx stopped reading ``_pool``, the guard would be silently
bypassed and every address reachable again: these tests fail loudly first.
"""

from __future__ import annotations

import inspect
import tomllib
from pathlib import Path

import httpcore
import httpx
import pytest

from integrations.connectors.destinations import (
    DestinationPolicy,
    GuardedNetworkBackend,
    GuardedTransport,
)

ROOT = Path(__file__).resolve().parents[2]


def _parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def test_httpcore_is_a_declared_dependency() -> None:
    """The guard imports httpcore itself: it must not be there only because httpx is."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert any(
        dep.split(">")[0].split("=")[0].strip() == "httpcore" for dep in project["dependencies"]
    )


def test_httpx_transport_sends_through_its_pool_attribute() -> None:
    served: list[httpcore.Request] = []

    class SpyPool(httpcore.ConnectionPool):
        def handle_request(self, request: httpcore.Request) -> httpcore.Response:
            served.append(request)
            return httpcore.Response(200, content=b"from the spy")

    transport = httpx.HTTPTransport(trust_env=False)
    assert isinstance(transport.__dict__.get("_pool"), httpcore.ConnectionPool)
    transport._pool = SpyPool()
    with httpx.Client(transport=transport) as client:
        response = client.get("http://guard.example.com/")
    assert response.text == "from the spy" and len(served) == 1


def test_httpcore_pool_takes_the_settings_the_guard_passes() -> None:
    wanted = {"ssl_context", "max_connections", "max_keepalive_connections"}
    wanted |= {"keepalive_expiry", "network_backend"}
    assert wanted <= set(_parameters(httpcore.ConnectionPool.__init__))
    assert {"verify", "trust_env"} <= set(_parameters(httpx.create_ssl_context))
    # The pool the guard builds is bounded like httpx's own (it once passed httpx.Limits(),
    # which is unbounded).
    pool = GuardedTransport(DestinationPolicy())._pool
    default_limits = inspect.signature(httpx.HTTPTransport.__init__).parameters["limits"].default
    assert pool._max_connections == default_limits.max_connections
    assert pool._max_keepalive_connections == default_limits.max_keepalive_connections
    assert pool._keepalive_expiry == default_limits.keepalive_expiry


@pytest.mark.parametrize("method", ["connect_tcp", "connect_unix_socket", "sleep"])
def test_the_guarded_backend_matches_httpcore_network_backend(method: str) -> None:
    assert _parameters(getattr(GuardedNetworkBackend, method)) == _parameters(
        getattr(httpcore.NetworkBackend, method)
    )
    assert _parameters(httpcore.SyncBackend.connect_tcp) == _parameters(
        httpcore.NetworkBackend.connect_tcp
    )


def test_the_guarded_transport_opens_sockets_through_the_guard() -> None:
    looked_up: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        looked_up.append(host)
        return ["169.254.169.254"]  # a metadata address: refused by the guard

    transport = GuardedTransport(DestinationPolicy(resolver=resolver))
    assert isinstance(transport._pool._network_backend, GuardedNetworkBackend)
    with httpx.Client(transport=transport) as client, pytest.raises(Exception, match="refused"):
        client.get("http://guard.example.com/")
    assert looked_up == ["guard.example.com"]
