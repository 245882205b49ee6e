"""Shared fixtures: one user per role, two teams, API clients signed in as each."""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from tests.factories import TeamFactory, UserFactory

ROLES = ["anonymous", "member", "lead_a", "lead_b", "leadership", "admin"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):  # type: ignore[no-untyped-def]
    # PBKDF2 costs ~0.3 s a user; the tests need no real hashing strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _own_cache_keys(settings):  # type: ignore[no-untyped-def]
    # Failed sign-ins are counted in the shared cache (Redis, or a database table that
    # transactional tests do not empty): fresh keys per test keep one test's failures
    # from locking out the next test's users. Never cache.clear(): it flushes the broker.
    settings.CACHES = {
        alias: {**config, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
        for alias, config in settings.CACHES.items()
    }


@pytest.fixture
def people(db):  # type: ignore[no-untyped-def]
    """Users of every role; `lead_a` leads team A, `lead_b` leads team B."""
    users = {
        "member": UserFactory(username="member"),
        "lead_a": UserFactory(username="lead_a", roles=["team_lead"]),
        "lead_b": UserFactory(username="lead_b", roles=["team_lead"]),
        "leadership": UserFactory(username="leader", roles=["leadership"]),
        "admin": UserFactory(username="admin", roles=["admin"]),
    }
    users["team_a"] = TeamFactory(slug="team-a", name="Team A", lead=users["lead_a"])
    users["team_b"] = TeamFactory(slug="team-b", name="Team B", lead=users["lead_b"])
    return users


@pytest.fixture
def client_as(people):  # type: ignore[no-untyped-def]
    """`client_as("lead_a")` is an APIClient signed in as that role (or anonymous)."""

    def make(role: str) -> APIClient:
        client = APIClient()
        if role != "anonymous":
            client.force_authenticate(people[role])
        return client

    return make


@pytest.fixture
def recompute_left_to_the_test():  # type: ignore[no-untyped-def]
    """Leave the recompute to the test (in tests the queued task would run at once,
    eagerly), so that it can look at the notes before and after."""
    from dependencies.graph.changes import impact_change_recorded
    from dependencies.recompute.tasks import enqueue_recompute

    uid = "dependencies.recompute.enqueue"
    impact_change_recorded.disconnect(dispatch_uid=uid)
    try:
        yield
    finally:
        impact_change_recorded.connect(enqueue_recompute, dispatch_uid=uid)
