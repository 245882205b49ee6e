"""Password guessing is slowed: lockouts per account and per address (issue 13).

Every test here runs on the real shared caches: Redis (when REDIS_URL is set) and the
database cache, as a deployment would have one or the other.
"""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.cache import caches
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory
from django.utils import timezone
from rest_framework.test import APIClient

from cataligent.models import AuditEntry, SignInLockout
from cataligent.signin_limits import client_address

pytestmark = pytest.mark.django_db

People = dict[str, Any]
LOCKED = "Too many failed sign-ins; try again in 15 minutes."


@pytest.fixture(params=["redis", "database"], autouse=True)
def shared_cache(request: Any, settings: Any) -> str:
    prefix = f"test-{uuid.uuid4().hex}"
    if request.param == "redis":
        url = os.environ.get("REDIS_URL")
        if not url:
            pytest.skip("REDIS_URL is not set: the Redis cache is tested with a real Redis")
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": url,
                "KEY_PREFIX": prefix,
            }
        }
    else:
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.db.DatabaseCache",
                "LOCATION": "cataligent_cache",
                "KEY_PREFIX": prefix,
            }
        }
        # migrate made the table only if the run's own cache is the database one.
        call_command("createcachetable", verbosity=0)
    settings.LOGIN_FAILURES_PER_ACCOUNT = 10
    settings.LOGIN_FAILURES_PER_ADDRESS = 50
    settings.LOGIN_FAILURE_WINDOW_MINUTES = 15
    settings.LOGIN_LOCKOUT_MINUTES = 15
    settings.TRUSTED_PROXIES = []
    assert type(caches["default"]).__module__.endswith(request.param.replace("database", "db"))
    return str(request.param)


def _login(username: str, password: str, address: str = "203.0.113.7") -> Any:
    return Client(REMOTE_ADDR=address).post("/login/", {"username": username, "password": password})


def _token(username: str, password: str, address: str = "203.0.113.7") -> Any:
    return APIClient(REMOTE_ADDR=address).post(
        "/api/auth/token/", {"username": username, "password": password}, format="json"
    )


def test_300_wrong_passwords_at_the_api_lock_the_account(people: People) -> None:
    answers = [_token("member", f"guess{i}").status_code for i in range(300)]
    assert answers[:9] == [400] * 9
    assert set(answers[9:]) == {429}  # the tenth failure locks
    response = _token("member", "pw")
    assert response.status_code == 429
    assert response.json() == {"detail": LOCKED}
    assert 14 * 60 < int(response["Retry-After"]) <= 15 * 60
    # Only the failures that reached the limit count: the rest were refused unchecked.
    lockout = SignInLockout.objects.get()
    assert (lockout.kind, lockout.subject, lockout.failures) == ("account", "member", 10)


def test_200_wrong_passwords_at_the_sign_in_page_lock_the_account(people: People) -> None:
    for i in range(200):
        response = _login("member", f"guess{i}")
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    right = _login("member", "pw")
    assert right.status_code == 429 and "_auth_user_id" not in right.client.session
    assert LOCKED in right.content.decode()
    assert int(right["Retry-After"]) > 14 * 60


def test_a_locked_account_is_refused_from_every_address_and_the_admin_sign_in(
    people: People,
) -> None:
    for i in range(10):
        _token("admin", f"guess{i}", address=f"198.51.100.{i}")
    assert _login("admin", "pw", address="192.0.2.99").status_code == 429
    admin_login = Client(REMOTE_ADDR="192.0.2.98").post(
        "/admin/login/", {"username": "admin", "password": "pw"}
    )
    assert LOCKED in admin_login.content.decode()
    assert "_auth_user_id" not in admin_login.client.session
    # Other accounts are not affected.
    assert _token("member", "pw", address="192.0.2.99").status_code == 200


def test_the_username_as_typed_is_one_account(people: People) -> None:
    full_width = "\uff4d\uff45\uff4d\uff42\uff45\uff52"  # "member" in full-width letters
    for name in ["Member", "MEMBER", "member", full_width] * 3:
        _token(name, "wrong")
    assert _token("member", "pw").status_code == 429


def test_nine_failures_then_the_right_password_forgets_them(people: People) -> None:
    for i in range(9):
        assert _token("member", f"guess{i}").status_code == 400
    assert _token("member", "pw").status_code == 200
    for i in range(9):
        assert _token("member", f"again{i}").status_code == 400
    assert _token("member", "pw").status_code == 200
    assert not SignInLockout.objects.exists()


def test_one_address_guessing_many_accounts_is_locked(people: People) -> None:
    for i in range(50):
        response = _token(f"user{i}", "wrong")  # unknown users count as much as real ones
    assert response.status_code == 429
    lockout = SignInLockout.objects.get()
    assert (lockout.kind, lockout.subject) == ("address", "203.0.113.7")
    # Even a right password from that address waits; from another address it works.
    assert _token("member", "pw").status_code == 429
    assert _token("member", "pw", address="203.0.113.8").status_code == 200


def test_a_lockout_ends_by_itself(people: People) -> None:
    for i in range(10):
        _token("member", f"guess{i}")
    assert _token("member", "pw").status_code == 429
    with time_machine.travel(timezone.now() + timedelta(minutes=15, seconds=1)):
        assert _token("member", "pw").status_code == 200


def test_failures_older_than_the_window_do_not_count(people: People) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for i in range(9):
            _token("member", f"guess{i}")
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        for i in range(9):
            assert _token("member", f"later{i}").status_code == 400
    assert not SignInLockout.objects.exists()


def test_the_window_slides_across_its_buckets(people: People) -> None:
    # Nine failures at the very end of one bucket and one at the start of the next still
    # lock: the previous bucket counts for the share of it still inside the window.
    window = 15 * 60
    bucket_end = (int(timezone.now().timestamp()) // window + 1) * window
    with time_machine.travel(bucket_end - 5, tick=False):
        for i in range(9):
            _token("member", f"guess{i}")
    with time_machine.travel(bucket_end + 5, tick=False):
        assert _token("member", "one-more").status_code == 429


def test_a_lockout_is_audited(people: People) -> None:
    for i in range(10):
        _token("member", f"guess{i}")
    lockout = SignInLockout.objects.get()
    entry = AuditEntry.objects.get(object_id=str(lockout.pk), action="create")
    assert entry.actor is None and entry.actor_label == "sign-in limits"
    assert "account 'member' locked until" in entry.object_repr


def test_an_admin_lifts_a_lockout_in_the_admin(people: People) -> None:
    for i in range(10):
        _token("member", f"guess{i}")
    lockout = SignInLockout.objects.get()
    admin = Client()
    admin.force_login(people["admin"])
    page = admin.get("/admin/cataligent/signinlockout/")
    assert page.status_code == 200 and "member" in page.content.decode()
    response = admin.post(
        "/admin/cataligent/signinlockout/",
        {"action": "lift", "_selected_action": [lockout.pk]},
        follow=True,
    )
    assert "Lifted 1 lockout(s)." in response.content.decode()
    lockout.refresh_from_db()
    assert lockout.lifted_by == people["admin"] and lockout.lifted_at is not None
    entry = AuditEntry.objects.get(object_id=str(lockout.pk), field="lifted_at")
    assert entry.actor == people["admin"]
    assert _token("member", "pw").status_code == 200


def test_others_may_not_see_or_lift_lockouts(people: People) -> None:
    client = Client()
    client.force_login(people["leadership"])
    assert client.get("/admin/cataligent/signinlockout/").status_code == 302


def test_unlock_login_command(people: People) -> None:
    for i in range(10):
        _token("member", f"guess{i}")
    for i in range(50):
        _token(f"user{i}", "wrong", address="192.0.2.50")
    out = StringIO()
    call_command("unlock_login", "Member", stdout=out)
    assert "Lifted 1 lockout(s) of account 'Member'." in out.getvalue()
    assert _token("member", "pw").status_code == 200
    assert _token("member", "pw", address="192.0.2.50").status_code == 429
    call_command("unlock_login", "--address", "192.0.2.50", stdout=out)
    assert _token("member", "pw", address="192.0.2.50").status_code == 200
    labels = set(AuditEntry.objects.filter(field="lifted_at").values_list("actor_label", flat=True))
    assert labels == {"command unlock_login"}


def test_unlock_login_forgets_failures_short_of_a_lockout(people: People) -> None:
    for i in range(9):
        _token("member", f"guess{i}")
    out = StringIO()
    call_command("unlock_login", "member", stdout=out)
    assert "No lockout in force for account 'member'" in out.getvalue()
    for i in range(9):
        assert _token("member", f"again{i}").status_code == 400


@pytest.mark.parametrize(
    ("args", "message"),
    [((), "Name an account"), (("--address", "not-an-ip"), "is not an IP address")],
)
def test_unlock_login_refuses_bad_input(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("unlock_login", *args)


def test_limits_are_settings(people: People, settings: Any) -> None:
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    settings.LOGIN_LOCKOUT_MINUTES = 2
    for i in range(3):
        response = _token("member", f"guess{i}")
    assert response.json() == {"detail": "Too many failed sign-ins; try again in 2 minutes."}


@pytest.mark.parametrize(
    ("remote", "forwarded", "trusted", "expected"),
    [
        ("203.0.113.7", "", [], "203.0.113.7"),
        # Not from a trusted proxy: X-Forwarded-For is the client's to forge, so ignored.
        ("203.0.113.7", "198.51.100.1", [], "203.0.113.7"),
        ("10.0.0.2", "198.51.100.1", ["10.0.0.2"], "198.51.100.1"),
        # The client prepends a forged hop; the proxy appended the real one.
        ("10.0.0.2", "1.2.3.4, 198.51.100.1", ["10.0.0.2"], "198.51.100.1"),
        ("10.0.0.2", "198.51.100.1, 10.0.0.3", ["10.0.0.2", "10.0.0.3"], "198.51.100.1"),
        ("10.0.0.2", "garbage", ["10.0.0.2"], "10.0.0.2"),
    ],
)
def test_client_address(
    remote: str, forwarded: str, trusted: list[str], expected: str, settings: Any
) -> None:
    settings.TRUSTED_PROXIES = trusted
    meta = {"REMOTE_ADDR": remote}
    if forwarded:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_address(RequestFactory().get("/", **meta)) == expected
