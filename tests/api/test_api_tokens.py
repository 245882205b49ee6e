"""API tokens: hashed at rest, named, expiring, listed and revoked by their user (issue 13)."""

from __future__ import annotations

import hashlib
import importlib
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from django.apps import apps as django_apps
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from cataligent.api_tokens import api_token_create
from cataligent.models import ApiToken, AuditEntry

pytestmark = pytest.mark.django_db

People = dict[str, Any]


def _with_key(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _obtain(username: str, password: str = "pw", **extra: Any) -> Any:
    return APIClient().post(
        "/api/auth/token/", {"username": username, "password": password, **extra}, format="json"
    )


def test_a_password_gets_a_token_that_works(people: People) -> None:
    response = _obtain("member")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    key = body["token"]
    assert _with_key(key).get("/api/nodes/").status_code == 200
    # Form-encoded, as curl -d sends it, works too.
    form = APIClient().post("/api/auth/token/", {"username": "member", "password": "pw"})
    assert form.status_code == 200 and form.json()["token"] != key


def test_only_a_hash_of_the_key_is_stored(people: People) -> None:
    key = _obtain("member").json()["token"]
    token = ApiToken.objects.get(user=people["member"])
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(list(ApiToken.objects.values_list()))
    assert key.startswith(token.prefix) and len(token.prefix) < len(key) // 3


def test_tokens_expire_after_the_default_lifetime(people: People, settings: Any) -> None:
    settings.API_TOKEN_DAYS = 90
    body = _obtain("member").json()
    expires_at = ApiToken.objects.get(user=people["member"]).expires_at
    assert abs(expires_at - (timezone.now() + timedelta(days=90))) < timedelta(minutes=1)
    assert body["expires_at"].startswith(expires_at.strftime("%Y-%m-%dT%H:%M"))
    with time_machine.travel(expires_at + timedelta(seconds=1)):
        response = _with_key(body["token"]).get("/api/nodes/")
    assert response.status_code == 401
    detail = response.json()["detail"]
    assert detail.startswith(f"This token expired on {expires_at:%Y-%m-%d}.")
    assert "POST /api/v1/auth/token/" in detail


def test_wrong_credentials_and_bad_input_are_400s_naming_the_field(people: People) -> None:
    wrong = _obtain("member", "nope")
    assert wrong.status_code == 400
    assert wrong.json() == {"non_field_errors": ["Unable to log in with provided credentials."]}
    missing = APIClient().post("/api/auth/token/", {"username": "member"}, format="json")
    assert missing.status_code == 400 and "password" in missing.json()
    days = _obtain("member", expires_in_days=100000)
    assert days.status_code == 400 and "expires_in_days" in days.json()
    assert not ApiToken.objects.exists()


def test_unknown_and_malformed_keys_are_401(people: People) -> None:
    assert _with_key("cat_nothing").get("/api/nodes/").json() == {"detail": "Invalid token."}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token two words")
    assert client.get("/api/nodes/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION="Token")
    assert client.get("/api/nodes/").status_code == 401


def test_users_list_create_and_revoke_their_own_tokens(people: People) -> None:
    key = api_token_create(user=people["member"], name="laptop").key
    client = _with_key(key)

    created = client.post("/api/auth/tokens/", {"name": "ci", "expires_in_days": 7}, format="json")
    assert created.status_code == 201, created.content
    ci = created.json()
    assert ci["name"] == "ci" and ci["token"].startswith(ci["prefix"])
    assert timezone.datetime.fromisoformat(ci["expires_at"]) - timezone.now() < timedelta(days=7)

    listed = client.get("/api/auth/tokens/").json()
    assert [t["name"] for t in listed] == ["ci", "laptop"]
    assert all("token" not in t and "key_hash" not in t for t in listed)
    assert listed[1]["last_used_at"] is not None  # this very request used it

    assert client.delete(f"/api/auth/tokens/{ci['id']}/").status_code == 204
    refused = _with_key(ci["token"]).get("/api/nodes/")
    assert refused.status_code == 401
    assert refused.json()["detail"].startswith("This token was revoked on ")
    assert [t["name"] for t in client.get("/api/auth/tokens/").json()] == ["laptop"]
    actions = set(AuditEntry.objects.filter(object_id=str(ci["id"])).values_list("action", "field"))
    assert actions == {("create", ""), ("update", "revoked_at")}


@pytest.mark.parametrize("role", ["member", "lead_a", "leadership", "admin"])
def test_nobody_sees_or_revokes_another_users_token(role: str, people: People) -> None:
    other = api_token_create(user=people["lead_b"], name="lead b's")
    client = APIClient()
    client.force_authenticate(people[role])
    assert client.get("/api/auth/tokens/").json() == []
    assert client.get(f"/api/auth/tokens/{other.token.pk}/").status_code == 404
    assert client.delete(f"/api/auth/tokens/{other.token.pk}/").status_code == 404
    assert _with_key(other.key).get("/api/nodes/").status_code == 200


def test_anonymous_may_not_list_tokens() -> None:
    assert APIClient().get("/api/auth/tokens/").status_code == 401
    assert APIClient().post("/api/auth/tokens/", {}, format="json").status_code == 401


def test_a_token_of_a_deactivated_user_is_refused(people: People) -> None:
    key = api_token_create(user=people["member"], name="x").key
    people["member"].is_active = False
    people["member"].save()
    assert _with_key(key).get("/api/nodes/").status_code == 401


def test_old_refused_tokens_are_purged_when_a_new_one_is_made(people: People) -> None:
    user = people["member"]
    with time_machine.travel(timezone.now() - timedelta(days=200)):
        api_token_create(user=user, name="long gone", days=30)
    recent = api_token_create(user=user, name="recent", days=1)
    ApiToken.objects.filter(pk=recent.token.pk).update(revoked_at=timezone.now())
    api_token_create(user=user, name="new")
    assert sorted(ApiToken.objects.filter(user=user).values_list("name", flat=True)) == [
        "new",
        "recent",
    ]


def test_plain_drf_tokens_are_hashed_and_keep_working(people: People) -> None:
    """The data migration: a deployment's existing rest_framework.authtoken keys."""
    plain = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
            "created timestamp with time zone NOT NULL, user_id integer NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, %s, %s)",
            [plain, timezone.now() - timedelta(days=400), people["member"].pk],
        )
        cursor.execute(
            "INSERT INTO django_migrations (app, name, applied) VALUES (%s, %s, %s)",
            ["authtoken", "0001_initial", timezone.now()],
        )
        migration = importlib.import_module("cataligent.migrations.0005_hash_plain_api_tokens")
        # The function uses only the editor's connection (SQLite refuses a schema editor
        # inside the test's transaction).
        migration.hash_plain_tokens(django_apps, SimpleNamespace(connection=connection))

    token = ApiToken.objects.get(user=people["member"])
    assert token.key_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert token.created_at < timezone.now() - timedelta(days=399)
    assert token.expires_at > timezone.now() + timedelta(days=80)
    assert _with_key(plain).get("/api/nodes/").status_code == 200
    assert "authtoken_token" not in connection.introspection.table_names()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_migrations WHERE app = 'authtoken'")
        assert cursor.fetchone() == (0,)
