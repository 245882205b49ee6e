"""The one outbound HTTP client: destinations, retries, Retry-After, backoff bounds."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from integrations.connectors import (
    AuthenticationError,
    ConfigurationError,
    NetworkError,
    RateLimitedError,
    RequestRejectedError,
    ServerError,
    UnsafeDestinationError,
)
from integrations.connectors.destinations import refusal_reason
from integrations.connectors.http import (
    HttpClient,
    RetryPolicy,
    backoff_delay,
    parse_retry_after,
)

from .conftest import SleepRecorder
from .fakes import FakeSource, Reply, Request


class EchoFake(FakeSource):
    def route(self, request: Request) -> Reply:
        return Reply(200, {"ok": True, "path": request.path})


@pytest.fixture
def echo() -> Iterator[EchoFake]:
    fake = EchoFake()
    yield fake
    fake.close()


def client(sleeps: SleepRecorder, base_url: str = "", **kwargs: Any) -> HttpClient:
    kwargs.setdefault("allow_private_networks", True)
    return HttpClient(base_url=base_url, sleep=sleeps, **kwargs)


# --- destinations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",  # AWS/GCP/Azure/OpenStack metadata
        "169.254.170.2",  # AWS ECS task metadata
        "169.254.1.1",  # link-local
        "fe80::1",  # link-local
        "fd00:ec2::254",  # AWS IMDS over IPv6 (inside the private fc00::/7)
        "::ffff:169.254.169.254",  # IPv4-mapped metadata
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "100.100.100.200",  # Alibaba Cloud metadata
        "168.63.129.16",  # Azure WireServer
        "0.0.0.0",
        "::",
        "224.0.0.1",
        "255.255.255.255",
    ],
)
def test_link_local_and_metadata_are_always_refused(address: str) -> None:
    ip = ipaddress.ip_address(address)
    assert refusal_reason(ip, allow_private_networks=True) is not None
    assert refusal_reason(ip, allow_private_networks=False) is not None


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.20", "100.64.0.1", "::1", "fd12:3456::1",
     "::ffff:10.0.0.1"],
)  # fmt: skip
def test_private_ranges_are_refused_unless_allowed(address: str) -> None:
    ip = ipaddress.ip_address(address)
    assert "CONNECTOR_ALLOW_PRIVATE_NETWORKS" in (
        refusal_reason(ip, allow_private_networks=False) or ""
    )
    assert refusal_reason(ip, allow_private_networks=True) is None


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
def test_public_addresses_pass(address: str) -> None:
    assert refusal_reason(ipaddress.ip_address(address), allow_private_networks=False) is None


def test_loopback_literal_is_refused_without_the_setting(
    echo: EchoFake, sleeps: SleepRecorder
) -> None:
    with (
        client(sleeps, echo.base_url, allow_private_networks=False) as http,
        pytest.raises(UnsafeDestinationError) as caught,
    ):
        http.request("GET", "/x")
    assert caught.value.permanent and echo.requests == [] and sleeps.waits == []
    with client(sleeps, echo.base_url, allow_private_networks=True) as http:
        assert http.request("GET", "/x").json()["ok"] is True


def test_the_resolved_address_is_checked_and_then_used(
    echo: EchoFake, sleeps: SleepRecorder
) -> None:
    """A public-looking name that resolves to loopback is refused; allowed, it connects to
    exactly the address that was checked."""
    port = echo.server.server_address[1]
    lookups: list[str] = []

    def resolver(host: str, _port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    url = f"http://itsm.example.com:{port}"
    with (
        client(sleeps, url, allow_private_networks=False, resolver=resolver) as http,
        pytest.raises(UnsafeDestinationError, match=r"itsm\.example\.com"),
    ):
        http.request("GET", "/x")
    assert echo.requests == []
    with client(sleeps, url, allow_private_networks=True, resolver=resolver) as http:
        assert http.request("GET", "/x").status_code == 200
    assert lookups == ["itsm.example.com", "itsm.example.com"]
    assert echo.requests[0].headers["host"] == f"itsm.example.com:{port}"


def test_any_bad_answer_in_a_dns_reply_refuses_the_host(sleeps: SleepRecorder) -> None:
    def resolver(host: str, port: int) -> list[str]:
        return ["93.184.215.14", "169.254.169.254"]

    with (
        client(sleeps, "http://mixed.example.com", resolver=resolver) as http,
        pytest.raises(UnsafeDestinationError, match=r"169\.254\.169\.254"),
    ):
        http.request("GET", "/")


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
    ],
)
def test_metadata_is_refused_even_when_private_networks_are_allowed(
    url: str, sleeps: SleepRecorder
) -> None:
    def resolver(host: str, port: int) -> list[str]:
        return ["169.254.169.254"]

    with (
        client(sleeps, allow_private_networks=True, resolver=resolver) as http,
        pytest.raises(UnsafeDestinationError),
    ):
        http.request("GET", url)
    assert sleeps.waits == []


def test_non_http_base_url_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        HttpClient(base_url="file:///etc/passwd")


def test_redirects_are_not_followed(echo: EchoFake, sleeps: SleepRecorder) -> None:
    echo.inject(Reply(302, "", {"Location": "http://169.254.169.254/"}))
    with (
        client(sleeps, echo.base_url) as http,
        pytest.raises(RequestRejectedError, match="redirected"),
    ):
        http.request("GET", "/login")
    assert len(echo.requests) == 1


def test_the_source_clock_is_read_from_its_date_header(
    echo: EchoFake, sleeps: SleepRecorder
) -> None:
    """The cursor's ceiling (watermark.py): the clock of the source, not ours."""
    at = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    with client(sleeps, echo.base_url) as http:
        assert http.source_date is None
        with time_machine.travel(at, tick=False):
            http.request("GET", "/x")
    assert http.source_date == at


# --- retries ---------------------------------------------------------------------------------


def test_5xx_is_retried_then_succeeds(echo: EchoFake, sleeps: SleepRecorder) -> None:
    echo.inject(Reply(503, "busy"), Reply(500, "oops"), Reply(504, "slow"))
    with client(sleeps, echo.base_url) as http:
        assert http.request("GET", "/x").status_code == 200
    assert len(echo.requests) == 4 and len(sleeps.waits) == 3
    assert sleeps.waits[0] < sleeps.waits[2]  # exponential: 0.5-1 s, then 2-4 s


def test_attempts_are_bounded(echo: EchoFake, sleeps: SleepRecorder) -> None:
    echo.inject(*[Reply(500, "down")] * 10)
    with (
        client(sleeps, echo.base_url, retry=RetryPolicy(max_attempts=3)) as http,
        pytest.raises(ServerError) as caught,
    ):
        http.request("GET", "/x")
    assert not caught.value.permanent and caught.value.status_code == 500
    assert len(echo.requests) == 3 and len(sleeps.waits) == 2


def test_401_and_403_are_permanent_and_not_retried(echo: EchoFake, sleeps: SleepRecorder) -> None:
    echo.inject(Reply(401, {"message": "Unauthorized"}), Reply(403, {"message": "No"}))
    with client(sleeps, echo.base_url) as http:
        for status in (401, 403):
            with pytest.raises(AuthenticationError) as caught:
                http.request("GET", "/x")
            assert caught.value.permanent and caught.value.status_code == status
    assert len(echo.requests) == 2 and sleeps.waits == []


def test_429_honours_retry_after_seconds(echo: EchoFake, sleeps: SleepRecorder) -> None:
    echo.inject(Reply(429, "slow down", {"Retry-After": "12"}))
    with client(sleeps, echo.base_url) as http:
        assert http.request("GET", "/x").status_code == 200
    assert sleeps.waits == [12.0]


def test_503_honours_retry_after_http_date(echo: EchoFake, sleeps: SleepRecorder) -> None:
    now = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
    when = format_datetime(now + timedelta(seconds=45), usegmt=True)
    echo.inject(Reply(503, "maintenance", {"Retry-After": when}))
    with client(sleeps, echo.base_url, clock=lambda: now) as http:
        assert http.request("GET", "/x").status_code == 200
    assert sleeps.waits == [45.0]


def test_a_retry_after_beyond_the_cap_fails_at_once_as_transient(
    echo: EchoFake, sleeps: SleepRecorder
) -> None:
    echo.inject(Reply(429, "hourly quota", {"Retry-After": "3600"}))
    with (
        client(sleeps, echo.base_url, retry=RetryPolicy(retry_after_max=120)) as http,
        pytest.raises(RateLimitedError) as caught,
    ):
        http.request("GET", "/x")
    assert not caught.value.permanent and caught.value.retry_after == 3600
    assert sleeps.waits == [] and len(echo.requests) == 1


def test_429_without_retry_after_backs_off(echo: EchoFake, sleeps: SleepRecorder) -> None:
    echo.inject(Reply(429, "slow down"))
    with client(sleeps, echo.base_url, random=lambda: 0.0) as http:
        assert http.request("GET", "/x").status_code == 200
    assert sleeps.waits == [0.5]


def test_post_is_not_retried_after_a_5xx_but_is_after_429(
    echo: EchoFake, sleeps: SleepRecorder
) -> None:
    echo.inject(Reply(500, "maybe done"))
    with client(sleeps, echo.base_url) as http:
        with pytest.raises(ServerError):
            http.request("POST", "/oauth_token.do", data={"grant_type": "password"})
        assert len(echo.requests) == 1 and sleeps.waits == []
        echo.inject(Reply(429, "later", {"Retry-After": "1"}))
        assert http.request("POST", "/oauth_token.do", data={"a": "b"}).status_code == 200
    assert sleeps.waits == [1.0]


def test_connection_errors_are_retried_then_reported(sleeps: SleepRecorder) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again below: nothing listens there
    with (
        client(sleeps, f"http://127.0.0.1:{port}", retry=RetryPolicy(max_attempts=3)) as http,
        pytest.raises(NetworkError) as caught,
    ):
        http.request("GET", "/x")
    assert not caught.value.permanent and len(sleeps.waits) == 2


def test_timeouts_are_retried(echo: EchoFake, sleeps: SleepRecorder) -> None:
    echo.inject(Reply(200, {"late": True}, delay=0.5))
    with client(sleeps, echo.base_url, timeout=0.1) as http:
        assert http.request("GET", "/x").json()["ok"] is True
    assert len(sleeps.waits) == 1


# --- Retry-After parsing and backoff bounds ----------------------------------------------------

NOW = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("Mon, 02 Mar 2026 09:00:30 GMT", 30.0),
        ("Mon, 02 Mar 2026 08:00:00 GMT", 0.0),  # in the past: go now
        ("-5", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


@given(
    attempt=st.integers(min_value=1, max_value=60),
    draw=st.floats(min_value=0.0, max_value=1.0),
    base=st.floats(min_value=0.01, max_value=5.0),
    cap=st.floats(min_value=0.1, max_value=120.0),
)
def test_backoff_is_bounded_and_jittered(
    attempt: int, draw: float, base: float, cap: float
) -> None:
    policy = RetryPolicy(backoff_base=base, backoff_max=cap)
    delay = backoff_delay(attempt, policy, lambda: draw)
    ceiling = min(cap, base * 2 ** (attempt - 1))
    assert ceiling / 2 <= delay <= ceiling <= cap


def test_backoff_grows_exponentially_until_the_cap() -> None:
    policy = RetryPolicy(backoff_base=1.0, backoff_max=30.0)
    ceilings = [backoff_delay(n, policy, lambda: 1.0) for n in range(1, 8)]
    assert ceilings == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
