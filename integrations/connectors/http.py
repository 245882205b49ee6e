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

The destination check (:mod:`.destinations`) runs where the socket is opened, on the
addresses the host name resolved to (no DNS rebinding between check and use). Redirects are
not followed and proxies from the environment are ignored for the same reason. What an error
response means is read in :mod:`.responses`.

Failures are raised as :mod:`integrations.connectors.errors` exceptions; the sleep function,
the random source, the clock and the resolver are injectable so tests never really wait.
"""

from __future__ import annotations

import random as random_module
import re
import time
import typing
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from .destinations import DestinationPolicy, GuardedTransport, Resolver, system_resolver
from .errors import (
    ConfigurationError,
    ConnectorError,
    HttpStatusError,
    NetworkError,
    RequestRejectedError,
)
from .responses import error_for_response, is_rate_limited

__all__ = [
    "DEFAULT_TIMEOUT",
    "HttpClient",
    "Resolver",
    "RetryPolicy",
    "backoff_delay",
    "error_for_response",
    "is_rate_limited",
    "parse_retry_after",
    "rate_limit_wait",
    "system_resolver",
]

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
USER_AGENT = "Cataligent-connector/1.0"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


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
            transport=GuardedTransport(policy, verify=verify),
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
            except httpx.InvalidURL as exc:
                # An id from a webhook body made into a path (a 100 kB id: "URL too long").
                raise RequestRejectedError(
                    f"{method} {url[:200]}: the URL cannot be sent ({exc})"
                ) from exc
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
