"""Limits on password guessing (issue 13), for every place a password is checked:
the sign-in page, the admin's sign-in and `POST /api/auth/token/`.

- Failed passwords are counted per account (the username as typed, whether or not
  it names a user) and per client address, in the shared cache, so every web
  process sees the same counts. The window slides: the previous fixed bucket counts
  for the share of it that still lies inside the window.
- Reaching a limit creates a `SignInLockout` for `LOGIN_LOCKOUT_MINUTES` (audited;
  admins see and lift it). A lockout ends by itself, so an attacker can keep an
  account locked only by guessing on, which the audit log and the admin show.
- While locked the password is not even checked: the right one is refused too.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time
import unicodedata
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cataligent.audit import audit_changes, audit_created
from cataligent.models import SignInLockout

log = logging.getLogger(__name__)

Kind = SignInLockout.Kind


class SignInLocked(Exception):
    """Refused without checking the password: the account or address is locked out."""

    def __init__(self, lockout: SignInLockout) -> None:
        super().__init__(lockout)
        self.lockout = lockout

    @property
    def retry_after(self) -> int:
        """Seconds until the lockout ends (for a Retry-After header)."""
        return max(1, math.ceil((self.lockout.locked_until - timezone.now()).total_seconds()))

    @property
    def message(self) -> str:
        minutes = math.ceil(self.retry_after / 60)
        unit = "minute" if minutes == 1 else "minutes"
        return f"Too many failed sign-ins; try again in {minutes} {unit}."


def client_address(request: Any) -> str | None:
    """The client's address: REMOTE_ADDR, or behind a proxy listed in TRUSTED_PROXIES
    the last X-Forwarded-For hop that no trusted proxy added (what is left of it may
    be forged by the client)."""
    address = request.META.get("REMOTE_ADDR") or None
    trusted = settings.TRUSTED_PROXIES
    if address not in trusted:
        return address
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed([h.strip() for h in forwarded if h.strip()]):
        if hop in trusted:
            continue
        try:
            return str(ipaddress.ip_address(hop))
        except ValueError:
            break
    return address


def account_subject(username: str) -> str:
    """One account however its name is typed ("Admin", "admin", full-width letters)."""
    return unicodedata.normalize("NFKC", username).casefold()[:150]


def authenticate_with_limits(*, request: Any, username: str, password: str) -> Any:
    """The user these credentials name, or None; SignInLocked when locked out."""
    subjects = [(Kind.ACCOUNT, account_subject(username))]
    address = client_address(request) if request is not None else None
    if address:
        subjects.append((Kind.ADDRESS, address))
    lockout = active_lockout(subjects)
    if lockout is not None:
        raise SignInLocked(lockout)
    user = authenticate(request, username=username, password=password)
    if user is not None:
        # Only the account's count: an attacker's own account must not clear the address.
        _forget_failures(*subjects[0])
        return user
    lockouts = [lockout for kind, subject in subjects if (lockout := _fail(kind, subject))]
    if lockouts:
        raise SignInLocked(max(lockouts, key=lambda lockout: lockout.locked_until))
    return None


def active_lockout(subjects: Iterable[tuple[str, str]]) -> SignInLockout | None:
    match = Q(pk__in=[])
    for kind, subject in subjects:
        match |= Q(kind=kind, subject=subject)
    return (
        SignInLockout.objects.filter(match, lifted_at__isnull=True, locked_until__gt=timezone.now())
        .order_by("-locked_until")
        .first()
    )


def signin_unlock(
    *, username: str | None = None, address: str | None = None, actor: Any, actor_label: str
) -> list[SignInLockout]:
    """Lift the active lockouts of an account and/or an address, and forget their failures."""
    subjects = []
    if username is not None:
        subjects.append((Kind.ACCOUNT, account_subject(username)))
    if address is not None:
        subjects.append((Kind.ADDRESS, address))
    for subject in subjects:
        _forget_failures(*subject)
    match = Q(pk__in=[])
    for kind, subject in subjects:
        match |= Q(kind=kind, subject=subject)
    active = SignInLockout.objects.filter(
        match, lifted_at__isnull=True, locked_until__gt=timezone.now()
    )
    return lockouts_lift(lockouts=active, actor=actor, actor_label=actor_label)


@transaction.atomic
def lockouts_lift(
    *, lockouts: Iterable[SignInLockout], actor: Any, actor_label: str
) -> list[SignInLockout]:
    """Lift these lockouts (those still in force); returns the ones lifted."""
    now = timezone.now()
    lifted = []
    for lockout in lockouts:
        if lockout.lifted_at is not None or lockout.locked_until <= now:
            continue
        lockout.lifted_at = now
        lockout.lifted_by = actor if actor is not None and actor.is_authenticated else None
        lockout.save(update_fields=["lifted_at", "lifted_by"])
        audit_changes(lockout, {"lifted_at": (None, now)}, actor=actor, actor_label=actor_label)
        _forget_failures(lockout.kind, lockout.subject)
        lifted.append(lockout)
    return lifted


def _limit(kind: str) -> int:
    if kind == Kind.ACCOUNT:
        return int(settings.LOGIN_FAILURES_PER_ACCOUNT)
    return int(settings.LOGIN_FAILURES_PER_ADDRESS)


def _fail(kind: str, subject: str) -> SignInLockout | None:
    """Count one failure; lock the subject out when it reaches its limit."""
    limit = _limit(kind)
    if limit <= 0:  # this limit is switched off
        return None
    failures = _count_failure(kind, subject)
    if failures < limit:
        return None
    with transaction.atomic():
        lockout = active_lockout([(kind, subject)])
        if lockout is not None:  # a concurrent failure locked it first
            return lockout
        lockout = SignInLockout.objects.create(
            kind=kind,
            subject=subject,
            failures=failures,
            locked_until=timezone.now() + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES),
        )
        audit_created(lockout, actor=None, actor_label="sign-in limits")
    _forget_failures(kind, subject)
    log.warning("sign-in lockout: %s %r after %d failures", kind, subject, failures)
    return lockout


def _window() -> int:
    return max(60, int(settings.LOGIN_FAILURE_WINDOW_MINUTES) * 60)


def _key(kind: str, subject: str, bucket: int) -> str:
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
    return f"signin-failures:{kind}:{digest}:{bucket}"


def _count_failure(kind: str, subject: str) -> int:
    """Add one failure; the failures within the last window, this one included."""
    window = _window()
    now = time.time()
    bucket = int(now // window)
    key = _key(kind, subject, bucket)
    if cache.add(key, 1, timeout=2 * window):
        current = 1
    else:
        try:
            # Atomic in Redis; the database cache reads and writes, so two failures at
            # the same instant may count once, which delays a lockout by that much only.
            current = cache.incr(key)
        except ValueError:  # expired since add()
            cache.set(key, 1, timeout=2 * window)
            current = 1
        # The database cache's incr() stores the key again with the default timeout.
        cache.touch(key, timeout=2 * window)
    previous = cache.get(_key(kind, subject, bucket - 1), 0)
    still_inside = 1 - (now % window) / window
    return current + round(previous * still_inside)


def _forget_failures(kind: str, subject: str) -> None:
    bucket = int(time.time() // _window())
    cache.delete_many([_key(kind, subject, bucket), _key(kind, subject, bucket - 1)])
