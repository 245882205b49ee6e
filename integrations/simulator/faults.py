"""Injected faults: what a connector must survive (issue #4: 429 with Retry-After, 5xx, slow
responses, records that cannot be parsed)."""

from __future__ import annotations

import hashlib
import random
import threading
from collections import deque
from dataclasses import dataclass
from typing import Final, Literal

FaultKind = Literal["rate_limited", "server_error", "slow"]
GARBLE_VARIANTS: Final = ("missing_id", "bad_timestamp", "wrong_type", "not_an_object")


@dataclass(frozen=True, slots=True)
class Faults:
    """Fractions (0..1) of API requests or records that go wrong."""

    rate_limited: float = 0.0  # answered 429 with Retry-After
    retry_after: int = 1  # seconds, in the Retry-After header
    server_errors: float = 0.0  # answered 500
    slow: float = 0.0  # delayed by slow_seconds before the answer
    slow_seconds: float = 1.0
    garbled: float = 0.0  # records rendered so that they cannot be parsed

    def __post_init__(self) -> None:
        for name in ("rate_limited", "server_errors", "slow", "garbled"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"Faults.{name} must be between 0 and 1, not {value}")


class FaultInjector:
    """Decides, per request, whether to misbehave.

    Random faults come from their own seeded generator, so a sequential client sees the same
    faults on every run. ``queue()`` adds scripted faults that the next requests get first,
    for tests that need an exact sequence ("the first page is a 429, then it works").
    Garbling is decided per record version (id + updated time), not per request: the same
    record stays broken on a retry, as a bad record in a real source does, until it changes.
    """

    def __init__(self, faults: Faults | None = None, *, seed: int = 0) -> None:
        self.faults = faults or Faults()
        self._rng = random.Random(seed ^ 0x5EED)
        self._seed = seed
        self._queue: deque[FaultKind] = deque()
        self._lock = threading.Lock()
        self.injected: dict[str, int] = {"rate_limited": 0, "server_error": 0, "slow": 0}

    def configure(self, faults: Faults) -> None:
        with self._lock:
            self.faults = faults

    def queue(self, kind: FaultKind, count: int = 1) -> None:
        with self._lock:
            self._queue.extend([kind] * count)

    def draw(self) -> FaultKind | None:
        with self._lock:
            if self._queue:
                kind = self._queue.popleft()
            else:
                roll = self._rng.random()
                faults = self.faults
                if roll < faults.rate_limited:
                    kind = "rate_limited"
                elif roll < faults.rate_limited + faults.server_errors:
                    kind = "server_error"
                elif self._rng.random() < faults.slow:
                    kind = "slow"
                else:
                    return None
            self.injected[kind] += 1
            return kind

    def garble(self, record_version: str) -> str | None:
        """The garbling variant for this record version, or None to send it intact."""
        fraction = self.faults.garbled
        if fraction <= 0.0:
            return None
        digest = hashlib.sha256(f"{self._seed}:{record_version}".encode()).digest()
        if int.from_bytes(digest[:4], "big") / 2**32 >= fraction:
            return None
        return GARBLE_VARIANTS[digest[4] % len(GARBLE_VARIANTS)]
