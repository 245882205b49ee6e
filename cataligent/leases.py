"""Leases: one holder at a time for a row (a connector's sync, the impact recompute).

A lease is two fields on the row, not a lock held across transactions: a holder that
dies simply lets it run out, and the next claimant takes over. Leases are short
(settings: SYNC_LEASE_SECONDS, RECOMPUTE_LEASE_SECONDS) and renewed while the holder
works, after each step and on a timer (``Lease.kept``), so a killed worker holds its
row for one lease at most. Every write made under a lease goes through ``Lease.write``,
which checks in the same UPDATE that the lease is still ours: a holder that was too
slow and lost it writes nothing (``LeaseLost``) instead of overwriting the new holder's
cursor.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, models
from django.db.models import Q
from django.utils import timezone

log = logging.getLogger(__name__)


class Leased(models.Model):
    """The two fields of a lease; written only through :class:`Lease`."""

    claimed_by = models.CharField(max_length=100, blank=True, editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    def lease_is_free(self, now: datetime | None = None) -> bool:
        return self.claimed_until is None or self.claimed_until < (now or timezone.now())


class LeaseLost(Exception):
    """The lease ran out and another holder took it: this holder must stop writing."""


def lease_owner() -> str:
    """Who holds a lease: host, process and a per-claim tag (one process claims many times)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease:
    """The lease on one row of a :class:`Leased` model, as one would-be holder sees it."""

    def __init__(
        self, model: type[Leased], pk: Any, *, duration: timedelta, owner: str | None = None
    ) -> None:
        self.model = model
        self.pk = pk
        self.duration = duration
        self.owner = owner or lease_owner()

    def _rows(self) -> models.QuerySet[Any]:
        return self.model._default_manager.filter(pk=self.pk)

    def held(self) -> models.QuerySet[Any]:
        """The row, only while this lease is ours and current."""
        return self._rows().filter(claimed_by=self.owner, claimed_until__gte=timezone.now())

    def claim(self) -> bool:
        """Take the lease if it is free, has run out, or is already ours."""
        now = timezone.now()
        return (
            self._rows()
            .filter(
                Q(claimed_until__isnull=True) | Q(claimed_until__lt=now) | Q(claimed_by=self.owner)
            )
            .update(claimed_by=self.owner, claimed_until=now + self.duration)
            == 1
        )

    def write(self, **fields: Any) -> None:
        """Update the row and renew the lease, if it is still ours; else raise LeaseLost.

        Called inside the holder's transaction, a LeaseLost rolls back what the step wrote.
        """
        if (
            not self._rows()
            .filter(claimed_by=self.owner)
            .update(claimed_until=timezone.now() + self.duration, **fields)
        ):
            raise LeaseLost(f"{self.model.__name__} {self.pk}: the lease is no longer ours")

    def renew(self) -> bool:
        try:
            self.write()
        except LeaseLost:
            return False
        return True

    def release(self, **fields: Any) -> bool:
        """Let go (with last writes, in the same UPDATE); False if it was no longer ours."""
        return (
            self._rows()
            .filter(claimed_by=self.owner)
            .update(claimed_by="", claimed_until=None, **fields)
            == 1
        )

    @contextmanager
    def kept(self) -> Iterator[LeaseKeeper]:
        """Renew the lease on a timer while the block runs (a slow page, a long pass)."""
        keeper = LeaseKeeper(self)
        keeper.start()
        try:
            yield keeper
        finally:
            keeper.stop()


class LeaseKeeper(threading.Thread):
    """Renews a lease every third of its duration, from a thread with its own connection.

    It stops at the first renewal that finds the lease gone, or the database away (the
    lease then runs out on its own: better than a holder that cannot write keeping it).
    """

    def __init__(self, lease: Lease) -> None:
        super().__init__(name=f"lease-{lease.model.__name__}-{lease.pk}", daemon=True)
        self.lease = lease
        self.lost = False
        self._stopped = threading.Event()

    def run(self) -> None:
        interval = max(self.lease.duration.total_seconds() / 3, 0.05)
        try:
            while not self._stopped.wait(interval):
                try:
                    renewed = self.lease.renew()
                except Exception:
                    log.warning("could not renew the lease %s", self.lease.owner, exc_info=True)
                    renewed = True  # maybe a blip: the next tick tries again
                if not renewed:
                    self.lost = True
                    log.warning("lease %s lost to another holder", self.lease.owner)
                    return
        finally:
            connection.close()

    def stop(self) -> None:
        self._stopped.set()
        if self.is_alive():
            self.join(timeout=30)
