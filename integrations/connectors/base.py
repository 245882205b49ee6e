"""The small interface every ITSM connector implements (DESIGN §4).

A connector is built from a :class:`ConnectorConfig` (.config) and offers three things:

- :meth:`Connector.fetch_pages` — the records changed since a cursor, one :class:`Page` at a
  time; each page carries the cursor to store once that page is committed;
- :meth:`Connector.normalize` — one raw record to a :class:`NormalizedTicket` (the ticket
  fields of DESIGN §2), or a :class:`Rejected` with the reason; it never raises;
- :meth:`Connector.test_connection` — a short human-readable result, or a ConnectorError.

No Django, DRF or Celery here: plain dataclasses in and out (.tickets), so the package is
tested on its own and the sync orchestration is written once, on the Django side. The
helpers the normalizers share live in .normalizing, the JSON body reader in .responses.

Every name a connector module needs is importable from here (``from .base import ...``), as
it was before the data, the configuration and the helpers moved to modules of their own.
"""

from __future__ import annotations

import dataclasses
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from .config import AUTH_TYPES, AuthType, ConnectorConfig
from .errors import ConfigurationError, RecordRejected
from .http import DEFAULT_TIMEOUT, HttpClient, Resolver, RetryPolicy, system_resolver
from .normalizing import (
    MAX_COUNT,
    MAX_EXTERNAL_ID,
    content_revision,
    optional_text,
    require_mapping,
    require_text,
    within_limits,
)
from .oauth import ClientCredentials
from .responses import json_body
from .tickets import (
    ACTIVE_CATEGORIES,
    STATUS_CATEGORIES,
    NormalizedTicket,
    Page,
    PushAction,
    RawPage,
    Rejected,
    StatusCategory,
    ticket_is_blocking,
)
from .timestamps import EARLIEST, LATEST, format_cursor_time
from .watermark import Cursor, Watermark, scope_fingerprint

__all__ = [
    "ACTIVE_CATEGORIES",
    "AUTH_TYPES",
    "DATE_RESOLUTION",
    "MAX_COUNT",
    "MAX_EXTERNAL_ID",
    "STATUS_CATEGORIES",
    "AuthType",
    "Connector",
    "ConnectorConfig",
    "Cursor",
    "NormalizedTicket",
    "Page",
    "PushAction",
    "RawPage",
    "RecordRejected",
    "Rejected",
    "StatusCategory",
    "content_revision",
    "json_body",
    "optional_text",
    "require_mapping",
    "require_text",
    "ticket_is_blocking",
    "within_limits",
]

# A ``Date`` header is truncated to the second: a record stamped within that second is on time.
DATE_RESOLUTION = timedelta(seconds=1)
# The cursor never passes the source's clock; a run reports the records stamped further
# ahead than this (a little skew between a tool's web and database servers is no news).
AHEAD_REPORTED_AFTER = timedelta(minutes=1)


class Connector(ABC):
    """Base class: one subclass per tool, registered by ``kind``."""

    kind: ClassVar[str]
    label: ClassVar[str]
    auth_types: ClassVar[frozenset[AuthType]]
    default_status_map: ClassVar[Mapping[str, StatusCategory]]
    default_priority_map: ClassVar[Mapping[str, int]]
    default_overlap_seconds: ClassVar[int] = 0
    max_page_size: ClassVar[int] = 1000
    # Records a page when the admin sets none: as many as the API serves comfortably, since
    # each page is a round trip (docs/benchmarks.md, "Default page sizes").
    default_page_size: ClassVar[int] = 100
    # Where the tool hands out OAuth tokens (client credentials), if it does.
    oauth_token_path: ClassVar[str | None] = None
    # option name -> what it does; any other key in ``options`` is a configuration error.
    option_help: ClassVar[Mapping[str, str]] = {}
    # The Authorization header of the "token" auth type (RT REST2's scheme by default).
    token_header: ClassVar[str] = "token {secret}"

    def __init__(
        self,
        config: ConnectorConfig,
        *,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        resolver: Resolver = system_resolver,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
    ) -> None:
        if config.kind != self.kind:
            raise ConfigurationError(
                f"{type(self).__name__} cannot run a {config.kind!r} connector"
            )
        unknown = set(config.options) - set(self.option_help) - {"overlap_seconds"}
        if unknown:
            raise ConfigurationError(
                f"unknown option(s) for {self.label}: {', '.join(sorted(unknown))}; "
                f"known: {', '.join(sorted(self.option_help))}"
            )
        if config.auth_type not in self.auth_types:
            raise ConfigurationError(
                f"{self.label} supports auth {sorted(self.auth_types)}, not {config.auth_type!r}"
            )
        if not config.secret:
            raise ConfigurationError("the connector has no secret (password or token)")
        self.config = config
        self.status_map: dict[str, StatusCategory] = {
            **self.base_status_map(),
            **{k: _as_category(v) for k, v in config.status_map.items()},
        }
        self.priority_map: dict[str, int] = {**self.default_priority_map, **config.priority_map}
        self.blocker_labels = frozenset(label.casefold() for label in config.blocker_labels)
        self.page_size = min(config.page_size, self.max_page_size)
        self.overlap = timedelta(
            seconds=self.option_int("overlap_seconds", self.default_overlap_seconds, minimum=0)
        )
        auth: httpx.Auth | None = None
        headers: dict[str, str] = {}
        if config.auth_type == "basic":
            auth = httpx.BasicAuth(config.username, config.secret)
        elif config.auth_type == "bearer":
            headers["Authorization"] = f"Bearer {config.secret}"
        elif config.auth_type == "oauth":
            if not config.username or self.oauth_token_path is None:
                raise ConfigurationError(
                    "OAuth needs the client id in the user field and the client secret as "
                    "the secret"
                )
            auth = ClientCredentials(
                config.base_url.rstrip("/") + self.oauth_token_path,
                config.username,
                config.secret,
            )
        else:
            # RT REST2's token scheme (itsm-apis.md §3 "Auth"), or the tool's own.
            headers["Authorization"] = self.token_header.format(secret=config.secret)
        self.http = HttpClient(
            base_url=config.base_url.rstrip("/"),
            auth=auth,
            headers=headers,
            timeout=timeout,
            retry=retry,
            allow_private_networks=config.allow_private_networks,
            sleep=sleep,
            resolver=resolver,
        )

    # --- the interface ---------------------------------------------------------------

    def fetch_pages(self, cursor: Cursor | None) -> Iterator[Page]:
        """Pages of the records changed since ``cursor`` (None: everything), oldest first.

        Always yields at least one page; the last has ``is_last=True``. The caller commits a
        page, stores ``page.cursor``, then asks for the next one.
        """
        watermark = Watermark.from_cursor(cursor, scope=self.scope(), overlap=self.overlap)
        for raw_page in self._raw_pages(watermark):
            watermark.ceiling = self.source_now() + DATE_RESOLUTION
            tickets: list[NormalizedTicket] = []
            rejected: list[Rejected] = []
            skipped = 0
            for position, raw in enumerate(raw_page.records):
                result = self.normalize(raw)
                if isinstance(result, Rejected):
                    result = dataclasses.replace(result, position=position)
                    # A rejected record with a readable id and time moves the watermark
                    # too, so a record the source keeps broken is quarantined once.
                    if result.external_id is not None and result.updated_at is not None:
                        if not watermark.is_new(result.external_id, result.updated_at):
                            skipped += 1
                            continue
                        watermark.record(result.external_id, result.updated_at)
                    rejected.append(result)
                    continue
                if not watermark.is_new(result.external_id, result.updated_at, result.revision):
                    skipped += 1
                    continue
                watermark.record(result.external_id, result.updated_at, result.revision)
                tickets.append(result)
            yield Page(
                tickets=tuple(tickets),
                rejected=tuple(rejected),
                cursor=self.page_cursor(watermark, cursor, is_last=raw_page.is_last),
                is_last=raw_page.is_last,
                received=len(raw_page.records),
                skipped=skipped,
                warnings=_ahead_warnings(watermark),
                deleted=raw_page.deleted,
            )
            if raw_page.is_last:
                return

    def page_cursor(self, watermark: Watermark, stored: Cursor | None, *, is_last: bool) -> Cursor:
        """The cursor to store after a page: where the watermark got to. (A tool whose
        reads do not come oldest first overrides this; see .pagerduty.)"""
        return watermark.to_cursor()

    def source_now(self) -> datetime:
        """The source's own clock (the Date of its latest answer), else ours."""
        return self.http.source_date or datetime.now(UTC)

    def normalize(self, raw: object) -> NormalizedTicket | Rejected:
        """One raw record as a ticket, or rejected with a reason. Never raises."""
        try:
            return within_limits(self._normalize(raw))
        except RecordRejected as exc:
            reason = str(exc)
        except Exception as exc:  # a parser surprise must not sink the rest of the page
            reason = f"could not be read: {type(exc).__name__}: {exc}"
        try:
            identity = self._identity(raw)
        except Exception:
            identity = None
        updated_at = identity[1] if identity else None
        if updated_at is not None and not EARLIEST <= updated_at < LATEST:
            updated_at = None  # not a time the cursor can move to
        return Rejected(
            external_id=identity[0] if identity else None,
            reason=reason,
            raw=raw,
            updated_at=updated_at,
        )

    def fetch_records(self, external_ids: Iterable[str]) -> Page | None:
        """These records as they are now (quarantined ones read again), as one page whose
        cursor is meaningless; None where the tool cannot read records by id."""
        records = self._raw_records(list(external_ids))
        if records is None:
            return None
        tickets: list[NormalizedTicket] = []
        rejected: list[Rejected] = []
        for raw in records:
            result = self.normalize(raw)
            (rejected if isinstance(result, Rejected) else tickets).append(result)  # type: ignore[arg-type]
        return Page(tickets=tuple(tickets), rejected=tuple(rejected), cursor=None, is_last=True)

    def _raw_records(self, external_ids: list[str]) -> list[object] | None:
        """The raw records with these ids (tools that can, override); None: cannot."""
        return None

    def push_envelope(self, body: Mapping[str, Any]) -> tuple[PushAction, object]:
        """What a webhook body of this tool asks for: ("upsert", its raw record),
        ("delete", the external id) or ("ignore", why). Raises RecordRejected for an event
        it does not know. By default the body is the record (see .push for the whole
        reading)."""
        return "upsert", body

    def learned_options(self) -> Mapping[str, Any]:
        """Options this connector found out about the source while it ran (RT: the offset
        of its query dates), for the caller to record on the connector, audited."""
        return {}

    @abstractmethod
    def test_connection(self) -> str:
        """Check URL, credentials and query; a short result for the admin, or raise."""

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Connector:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- what each tool implements -----------------------------------------------------

    @abstractmethod
    def _raw_pages(self, watermark: Watermark) -> Iterator[RawPage]:
        """Read the source page by page from ``watermark``.

        This generator is resumed only after the previous page went through the watermark,
        so it may read ``watermark.since`` to decide where the next request starts.
        """

    @abstractmethod
    def _normalize(self, raw: object) -> NormalizedTicket:
        """Raise :class:`RecordRejected` with a clear reason for anything unexpected."""

    @abstractmethod
    def _identity(self, raw: object) -> tuple[str, datetime] | None:
        """(external id, updated) of a raw record if both are readable, else None."""

    def base_status_map(self) -> Mapping[str, StatusCategory]:
        """The defaults the configured ``status_map`` is merged over."""
        return self.default_status_map

    def scope_parts(self) -> tuple[object, ...]:
        """What the cursor depends on; when any of it changes, sync starts over.

        The mapping settings are part of it: tickets mirrored under other status or
        priority maps, blocking rules or options must be read and written again."""
        config = self.config
        return (
            self.kind,
            config.base_url.rstrip("/"),
            config.query,
            sorted(config.status_map.items()),
            sorted(config.priority_map.items()),
            config.blocking_priority,
            sorted(config.blocker_labels),
            sorted((k, str(v)) for k, v in config.options.items()),
        )

    def scope(self) -> str:
        return scope_fingerprint(*self.scope_parts())

    # --- helpers for the tools ------------------------------------------------------------

    def option_str(self, name: str, default: str = "") -> str:
        value = self.config.options.get(name, default)
        if not isinstance(value, str):
            raise ConfigurationError(f"option {name!r} must be a string")
        return value.strip()

    def option_int(self, name: str, default: int, *, minimum: int = 0) -> int:
        value = self.config.options.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ConfigurationError(f"option {name!r} must be a whole number >= {minimum}")
        return value

    def option_list(self, name: str, default: Iterable[str] = ()) -> tuple[str, ...]:
        value = self.config.options.get(name, list(default))
        if isinstance(value, str):
            value = [part for part in value.split(",")]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ConfigurationError(f"option {name!r} must be a list of strings")
        return tuple(v.strip() for v in value if v.strip())

    def map_priority(self, raw: str) -> int:
        priority = self.priority_map.get(raw)
        if priority is None:
            raise RecordRejected(f"unknown priority {raw!r}; add it to the priority map")
        return priority

    def marks_blocker(self, values: Iterable[str]) -> bool:
        return any(value.casefold() in self.blocker_labels for value in values)


def _ahead_warnings(watermark: Watermark) -> tuple[str, ...]:
    """What the run should say about the records of this page stamped past the source's
    clock (then forgotten: the next page reports its own)."""
    ceiling = watermark.ceiling
    ahead = sorted(watermark.ahead.items(), key=lambda item: item[1], reverse=True)
    watermark.ahead.clear()
    if ceiling is None:
        return ()
    ahead = [(external_id, at) for external_id, at in ahead if at > ceiling + AHEAD_REPORTED_AFTER]
    if not ahead:
        return ()
    named = ", ".join(f"{external_id} ({format_cursor_time(at)})" for external_id, at in ahead[:5])
    more = f" and {len(ahead) - 5} more" if len(ahead) > 5 else ""
    return (
        f"{len(ahead)} record(s) stamped after the source's clock "
        f"({format_cursor_time(ceiling - DATE_RESOLUTION)}): {named}{more}. They were kept, "
        "but the sync cursor stays at the source's time so that changes made meanwhile are "
        "still read; check the clock of the system that wrote them.",
    )


def _as_category(value: str) -> StatusCategory:
    for category in STATUS_CATEGORIES:
        if value == category:
            return category
    raise ConfigurationError(f"not a status category: {value!r}")
