"""The one outbound HTTP client of the product (STYLE.md: "one HTTP client module").

Every call Cataligent makes to another system goes through :class:`HttpClient`, which owns:

- timeouts on connect, read, write and pool;
- bounded retries with exponential backoff and jitter on connection errors, timeouts and
  5xx, and on 429/503 honouring ``Retry-After`` (seconds or an HTTP date), capped (and on
  GitHub's rate-limited 403s, honouring its ``x-ratelimit-reset``);
- refusing destinations that must never be reached from a server: link-local and cloud
  metadata addresses always, loopback/private/unique-local ranges unless the caller passes
  ``allow_private_networks=True`` (the Django side passes
  ``settings.CONNECTOR_ALLOW_PRIVATE_NETWORKS``, DESIGN §3).

The destination check runs where the socket is opened, on the addresses the host name
resolved to, and the socket is then connected to exactly the address that was checked, so a
DNS answer that changes between check and use (DNS rebinding) cannot slip through. Redirects
are not followed and proxies from the environment are ignored for the same reason.

Failures are raised as :mod:`integrations.connectors.errors` exceptions; the sleep function,
the random source, the clock and the resolver are injectable so tests never really wait.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import random as random_module
import re
import socket
import ssl
import time
import typing
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpcore
import httpx

from .errors import (
    ApiRemovedError,
    AuthenticationError,
    ConfigurationError,
    ConnectorError,
    HttpStatusError,
    NetworkError,
    RateLimitedError,
    RequestRejectedError,
    ServerError,
    UnsafeDestinationError,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "DestinationPolicy",
    "HttpClient",
    "Resolver",
    "RetryPolicy",
    "backoff_delay",
    "error_for_response",
    "is_rate_limited",
    "parse_retry_after",
    "rate_limit_wait",
    "refusal_reason",
    "system_resolver",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]
"""Turns (host, port) into IP address strings; the default asks the system resolver."""

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
USER_AGENT = "Cataligent-connector/1.0"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


# --- Destinations ------------------------------------------------------------------------

# Host names of cloud metadata services. They resolve to link-local addresses that are
# refused anyway; naming them gives a clearer message and covers resolvers that map them
# elsewhere (GCP: metadata.google.internal, metadata.goog; AWS: instance-data).
METADATA_HOSTNAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
    }
)

# Refused even with allow_private_networks: nothing a connector needs lives there, and the
# cloud metadata services that hand out credentials do.
ALWAYS_REFUSED_NETWORKS: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = (
    (ipaddress.ip_network("169.254.169.254/32"), "a cloud metadata address"),
    (ipaddress.ip_network("169.254.170.2/32"), "a cloud metadata address (AWS ECS)"),
    (ipaddress.ip_network("fd00:ec2::/64"), "a cloud metadata address (AWS IPv6)"),
    (ipaddress.ip_network("100.100.100.200/32"), "a cloud metadata address (Alibaba)"),
    (ipaddress.ip_network("168.63.129.16/32"), "a cloud platform address (Azure WireServer)"),
    (ipaddress.ip_network("169.254.0.0/16"), "a link-local address"),
    (ipaddress.ip_network("fe80::/10"), "a link-local address"),
    (ipaddress.ip_network("0.0.0.0/8"), "an unspecified address"),
    (ipaddress.ip_network("::/128"), "an unspecified address"),
    (ipaddress.ip_network("224.0.0.0/4"), "a multicast address"),
    (ipaddress.ip_network("ff00::/8"), "a multicast address"),
    (ipaddress.ip_network("240.0.0.0/4"), "a reserved address"),
)
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")
IPV4_COMPATIBLE_PREFIX = ipaddress.ip_network("::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, NAT64, Teredo, compatible)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in NAT64_PREFIX or (ip in IPV4_COMPATIBLE_PREFIX and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def refusal_reason(ip: IPAddress, *, allow_private_networks: bool) -> str | None:
    """Why ``ip`` must not be contacted, or None when it may be."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            reason = refusal_reason(embedded, allow_private_networks=allow_private_networks)
            if reason is not None:
                return reason
    for network, label in ALWAYS_REFUSED_NETWORKS:
        if ip.version == network.version and ip in network:
            return f"{ip} is {label}"
    if not ip.is_global and not allow_private_networks:
        return (
            f"{ip} is a loopback or private address and private networks are not allowed "
            "(CONNECTOR_ALLOW_PRIVATE_NETWORKS)"
        )
    return None


def system_resolver(host: str, port: int) -> list[str]:
    """All addresses the system resolver gives for ``host`` (IPv4 and IPv6)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[str] = []
    for _family, _type, _proto, _canonname, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


@dataclass(frozen=True)
class DestinationPolicy:
    """Decides which addresses may be contacted, and resolves host names to check them."""

    allow_private_networks: bool = False
    resolver: Resolver = system_resolver

    def checked_addresses(self, host: str, port: int) -> list[str]:
        """The addresses to connect to for ``host``; raises when any of them is refused.

        Refusing when *any* answer is bad (rather than filtering) keeps a half-poisoned DNS
        answer from being used at all.
        """
        name = host.strip("[]").rstrip(".").lower()
        if name in METADATA_HOSTNAMES:
            raise UnsafeDestinationError(f"{host} is a cloud metadata host; refused")
        try:
            literal: IPAddress | None = ipaddress.ip_address(name)
        except ValueError:
            literal = None
        if literal is not None:
            addresses = [str(literal)]
        else:
            try:
                addresses = list(self.resolver(name, port))
            except OSError as exc:
                raise httpcore.ConnectError(f"could not resolve {host}: {exc}") from exc
            if not addresses:
                raise httpcore.ConnectError(f"could not resolve {host}: no addresses")
        for address in addresses:
            reason = refusal_reason(
                ipaddress.ip_address(address.split("%", 1)[0]),
                allow_private_networks=self.allow_private_networks,
            )
            if reason is not None:
                raise UnsafeDestinationError(f"refused to connect to {host}: {reason}")
        return addresses


class _GuardedNetworkBackend(httpcore.NetworkBackend):
    """Opens TCP connections only to addresses the policy accepted, and to nothing else."""

    def __init__(self, policy: DestinationPolicy) -> None:
        self._policy = policy
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        last_error: Exception | None = None
        for address in self._policy.checked_addresses(host, port):
            try:
                # TLS still verifies the certificate against ``host``: httpcore passes the
                # original name as SNI/server_hostname when it starts TLS on this stream.
                return self._backend.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None
        raise last_error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise UnsafeDestinationError("unix sockets are not allowed for outbound calls")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@functools.cache
def _ssl_context(verify: bool) -> ssl.SSLContext:
    """One TLS context per verify setting for the whole process: loading the CA bundle
    takes about 15 ms, and every sync run and connection test builds a client. Contexts
    are safe to share between connections and threads."""
    return httpx.create_ssl_context(verify=verify, trust_env=False)


# httpx's own defaults for a transport (``httpx.Limits()`` with no arguments is unlimited:
# no cap on connections, idle ones kept forever).
POOL_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)


class _GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with the connection pool opening sockets through the guard.

    httpx offers no public hook for the network backend, so the pool it builds is replaced
    by one with the same settings and our backend (httpcore's documented parameter).
    """

    def __init__(self, policy: DestinationPolicy, *, verify: bool = True) -> None:
        ssl_context = _ssl_context(verify)
        super().__init__(verify=ssl_context, trust_env=False, limits=POOL_LIMITS)
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=POOL_LIMITS.max_connections,
            max_keepalive_connections=POOL_LIMITS.max_keepalive_connections,
            keepalive_expiry=POOL_LIMITS.keepalive_expiry,
            network_backend=_GuardedNetworkBackend(policy),
        )


# --- Retries -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try before giving up on one request.

    ``max_attempts`` counts the first try. Backoff before retry n (1-based) is drawn from
    ``[d/2, d]`` with ``d = min(backoff_max, backoff_base * 2**(n-1))`` ("equal jitter"),
    so it always grows but several workers do not retry in lock-step. A ``Retry-After``
    longer than ``retry_after_max`` is not slept through: the request fails at once with a
    transient error carrying ``retry_after``, so a worker is not held for minutes and the
    scheduler can come back when the source is ready.
    """

    max_attempts: int = 4
    backoff_base: float = 1.0
    backoff_max: float = 30.0
    retry_after_max: float = 120.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")


def backoff_delay(attempt: int, policy: RetryPolicy, random: Callable[[], float]) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
    ceiling = min(policy.backoff_max, policy.backoff_base * 2.0 ** (attempt - 1))
    return ceiling / 2 + random() * ceiling / 2


_DELAY_SECONDS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*$")


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP date.

    RFC 9110 §10.2.3. A date in the past means "now" (0); anything unparseable is None,
    and the caller falls back to its own backoff.
    """
    if value is None:
        return None
    match = _DELAY_SECONDS.match(value)
    if match:
        return float(match.group(1))
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _until_reset(value: str | None, now: datetime) -> float | None:
    """Seconds until an ``X-RateLimit-Reset`` time (``2026-12-07T17:05Z``, Atlassian's
    form); None when absent or not an ISO 8601 time with a zone."""
    try:
        when = datetime.fromisoformat(value.strip()) if value else None
    except ValueError:
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


# --- Errors from responses -----------------------------------------------------------------


def _server_message(response: httpx.Response) -> str:
    """The error text a source put in its body, in the shapes the reference documents.

    ServiceNow ``{"error": {"message", "detail"}}``, Jira ``{"errorMessages": [...],
    "errors": {...}}``, RT ``{"message": "..."}``; otherwise the start of the text.
    """
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        text = " ".join(response.text.split())
        return text[:200]
    parts: list[str] = []
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            parts += [str(error[k]) for k in ("message", "detail") if error.get(k)]
        elif isinstance(error, str):
            parts.append(error)
        messages = body.get("errorMessages")
        if isinstance(messages, list):
            parts += [str(m) for m in messages]
        errors = body.get("errors")
        if isinstance(errors, dict):
            parts += [f"{k}: {v}" for k, v in errors.items()]
        if isinstance(body.get("message"), str):
            parts.append(body["message"].strip())
    return "; ".join(parts)[:500] if parts else json.dumps(body)[:200]


def _where(request: httpx.Request) -> str:
    # Host and path only: query strings can be long, and nothing secret belongs in a message.
    return f"{request.method} {request.url.copy_with(query=None)}"


def is_rate_limited(response: httpx.Response) -> bool:
    """429, or a 403 that is GitHub's rate limit rather than a refusal: its primary limit
    (``x-ratelimit-remaining: 0``) or a secondary one (with ``Retry-After``)."""
    if response.status_code == 429:
        return True
    headers = response.headers
    return response.status_code == 403 and (
        headers.get("x-ratelimit-remaining") == "0" or "Retry-After" in headers
    )


def rate_limit_wait(response: httpx.Response, *, now: datetime) -> float | None:
    """Seconds a rate-limited answer asks us to wait: ``Retry-After`` (seconds or a date),
    PagerDuty's ``ratelimit-reset`` (seconds), GitHub's ``x-ratelimit-reset`` (the epoch
    second its window resets) when ``x-ratelimit-remaining`` is 0, or Atlassian's
    ``X-RateLimit-Reset`` (an ISO 8601 time); None when none says."""
    headers = response.headers
    header = headers.get("Retry-After") or headers.get("ratelimit-reset")
    if header is not None:
        return parse_retry_after(header, now=now)
    reset = headers.get("x-ratelimit-reset", "")
    if headers.get("x-ratelimit-remaining") == "0" and reset.isdigit():
        return max(0.0, int(reset) - now.timestamp())
    # Atlassian's cloud APIs may send only the time the limit resets (ISO 8601).
    return _until_reset(reset, now)


def error_for_response(response: httpx.Response) -> HttpStatusError:
    """The exception that describes an error response (status >= 300)."""
    status = response.status_code
    where = _where(response.request)
    detail = _server_message(response)
    suffix = f": {detail}" if detail else ""
    if 300 <= status < 400:
        location = response.headers.get("Location", "?")
        return RequestRejectedError(
            f"{where} was redirected to {location} (HTTP {status}); check the base URL "
            "(a login page or a moved instance?)",
            status_code=status,
        )
    if is_rate_limited(response):
        return RateLimitedError(
            f"{where}: rate limited by the source (HTTP {status}){suffix}", status_code=status
        )
    if status in (401, 403):
        return AuthenticationError(
            f"{where} was refused (HTTP {status}); check the credentials and the account's "
            f"roles{suffix}",
            status_code=status,
        )
    if status == 410:
        return ApiRemovedError(
            f"{where}: the source removed this API (HTTP 410){suffix}", status_code=status
        )
    if status == 408 or status >= 500:
        return ServerError(
            f"{where}: the source failed (HTTP {status}){suffix}", status_code=status
        )
    return RequestRejectedError(f"{where} was rejected (HTTP {status}){suffix}", status_code=status)


def _is_retryable_status(status: int) -> bool:
    # 501 Not Implemented and 505 HTTP Version Not Supported will not change on a retry.
    return status in (408, 429) or (status >= 500 and status not in (501, 505))


# --- The client ----------------------------------------------------------------------------


def _utcnow() -> datetime:
    return datetime.now(UTC)


class HttpClient:
    """A small synchronous client: one base URL, one auth, the policies above.

    Use it as a context manager or call :meth:`close`.
    """

    def __init__(
        self,
        *,
        base_url: str = "",
        auth: httpx.Auth | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        allow_private_networks: bool = False,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = random_module.random,
        clock: Callable[[], datetime] = _utcnow,
        resolver: Resolver = system_resolver,
        verify: bool = True,
    ) -> None:
        if base_url and httpx.URL(base_url).scheme not in ("http", "https"):
            raise ConfigurationError(f"base URL must start with http:// or https://: {base_url}")
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._random = random
        self._clock = clock
        # The ``Date`` of the source's latest answer: its own clock (RFC 9110 §6.6.1), the
        # one that stamps its records. None until it answered with one.
        self.source_date: datetime | None = None
        policy = DestinationPolicy(allow_private_networks=allow_private_networks, resolver=resolver)
        self._client = httpx.Client(
            base_url=base_url,
            auth=auth,
            headers={"Accept": "application/json", "User-Agent": USER_AGENT, **(headers or {})},
            timeout=timeout,
            transport=_GuardedTransport(policy, verify=verify),
            follow_redirects=False,
            # Environment proxies would be mounted in front of our transport and open the
            # sockets themselves, bypassing the destination check.
            trust_env=False,
        )

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str | int | Sequence[str]] | None = None,
        headers: Mapping[str, str] | None = None,
        json: object = None,
        data: Mapping[str, str] | None = None,
        accept: Collection[int] = (),
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send a request, retrying per the policy; return a 2xx (or ``accept``) response.

        Raises a :class:`ConnectorError` subclass otherwise. Non-idempotent methods (POST,
        PATCH) are retried only when the server cannot have acted: a connection that never
        opened, or 429/503 with ``Retry-After``. ``idempotent=True`` says a POST is a read
        (a GraphQL query), retried as a GET would be.
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._client.request(
                    method,
                    url,
                    params=typing.cast(typing.Any, params),
                    headers=headers,
                    json=json,
                    data=data,
                )
            except ConnectorError:
                raise
            except httpx.UnsupportedProtocol as exc:
                raise ConfigurationError(f"unsupported URL {url}: {exc}") from exc
            except httpx.TransportError as exc:
                error = NetworkError(
                    f"{method} {self._client.base_url.copy_with(query=None)}{url}: "
                    f"{type(exc).__name__}: {exc or 'no detail'}"
                )
                never_sent = isinstance(
                    exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
                )
                if attempt >= self.retry.max_attempts or not (idempotent or never_sent):
                    raise error from exc
                self._sleep(backoff_delay(attempt, self.retry, self._random))
                continue

            status = response.status_code
            if status < 300 or status in accept:
                self._note_source_date(response)
                return response
            status_error = error_for_response(response)
            wait = self._wait_before_retry(response, status_error, attempt, idempotent)
            if wait is None:
                raise status_error
            self._sleep(wait)

    def _note_source_date(self, response: httpx.Response) -> None:
        try:
            when = parsedate_to_datetime(response.headers.get("Date", "").strip())
        except (TypeError, ValueError, IndexError):
            return
        self.source_date = when if when.tzinfo is not None else when.replace(tzinfo=UTC)

    def _wait_before_retry(
        self, response: httpx.Response, error: HttpStatusError, attempt: int, idempotent: bool
    ) -> float | None:
        """Seconds to sleep before the next attempt, or None to give up with ``error``."""
        status = response.status_code
        limited = is_rate_limited(response)
        if not (_is_retryable_status(status) or limited):
            return None
        retry_after = None
        if status == 503 or limited:
            retry_after = rate_limit_wait(response, now=self._clock())
            error.retry_after = retry_after
        if not idempotent and retry_after is None and status != 429:
            return None
        if retry_after is not None and retry_after > self.retry.retry_after_max:
            error.message += (
                f"; the source asks to wait {retry_after:.0f} s, longer than the "
                f"{self.retry.retry_after_max:.0f} s we wait in a run"
            )
            return None
        if attempt >= self.retry.max_attempts:
            return None
        if retry_after is not None:
            return retry_after
        return backoff_delay(attempt, self.retry, self._random)
