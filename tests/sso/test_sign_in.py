"""Signing in with OpenID Connect, end to end against a real local provider.

Nothing of mozilla-django-oidc is replaced: the test client follows the redirect to the
provider, the provider issues a code over HTTP, and the callback exchanges it, fetches
the JWKS and userinfo, and verifies the ID token, all over real loopback HTTP.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from cataligent.models import AuditEntry, SingleSignOnIdentity, Team
from cataligent.roles import Role, led_team_ids, user_roles
from tests.factories import UserFactory
from tests.sso.conftest import messages_of, sign_in_with_provider
from tests.sso.provider import CLIENT_ID, LocalProvider, new_key, rewrite_payload, unsigned

pytestmark = pytest.mark.django_db

User = get_user_model()


def signed_in_user(client: Client) -> Any:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def refused(client: Client, response: Any, reason: str) -> None:
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert signed_in_user(client) is None
    shown = messages_of(client)
    assert len(shown) == 1 and shown[0].startswith("Signing in with Example IdP failed: ")
    assert reason in shown[0], shown


def test_the_sign_in_page_offers_the_provider_when_configured(sso: LocalProvider) -> None:
    page = Client().get("/login/?next=/map/").content.decode()
    assert "Sign in with Example IdP" in page
    assert 'href="/sso/login/?next=/map/"' in page
    assert 'name="password"' in page  # LOCAL_LOGIN is on


def test_without_an_issuer_there_is_no_single_sign_on(db: Any, settings: Any) -> None:
    settings.OIDC_ISSUER = ""
    client = Client()
    assert "Sign in with" not in client.get("/login/").content.decode()
    assert client.get("/sso/login/").status_code == 404
    assert client.get("/sso/callback/?code=x&state=y").status_code == 404


def test_first_sign_in_makes_the_account_with_its_roles_and_teams(sso: LocalProvider) -> None:
    client = Client()
    response = sign_in_with_provider(client, sso, next_url="/bottlenecks/")
    assert response.status_code == 302
    assert response["Location"] == "/bottlenecks/"

    user = signed_in_user(client)
    assert user.username == "alice"
    assert (user.email, user.first_name, user.last_name) == ("alice@example.com", "Alice", "Archer")
    assert not user.has_usable_password()
    assert user_roles(user) == {Role.ADMIN}
    assert list(user.teams.values_list("slug", flat=True)) == ["team-a"]
    identity = SingleSignOnIdentity.objects.get(user=user)
    assert (identity.issuer, identity.subject) == (sso.issuer, "idp-user-1001")
    assert client.get("/bottlenecks/").status_code == 200

    # The library's flow, as the provider saw it: code flow with PKCE S256, state, nonce.
    [asked] = sso.authorize_requests
    assert asked["response_type"] == "code"
    assert asked["code_challenge_method"] == "S256"
    assert len(asked["state"]) >= 32 and len(asked["nonce"]) >= 32
    assert set(asked["scope"].split()) == {"openid", "email", "profile"}
    [exchanged] = sso.token_requests
    assert len(exchanged["code_verifier"]) >= 43
    assert "client_secret" not in exchanged  # sent as HTTP Basic, the default method
    assert sso.userinfo_requests == 1

    audit = AuditEntry.objects.filter(actor_label="sign-in with Example IdP")
    assert {(e.object_repr, e.action, e.field) for e in audit} >= {
        ("alice", "create", ""),
        ("alice", "update", "roles"),
        ("Team A", "update", "members"),
    }
    roles = audit.get(field="roles")
    assert (roles.old_value, roles.new_value) == ([], ["admin"])
    members = audit.get(field="members")
    assert members.new_value == ["alice"]


def test_a_group_removed_at_the_provider_is_removed_at_the_next_sign_in(
    sso: LocalProvider, people: dict[str, Any]
) -> None:
    sign_in_with_provider(Client(), sso)
    alice = User.objects.get(username="alice")
    # Given by an admin, outside the map: neither a mapped role nor a mapped team.
    people["team_b"].members.add(alice)
    alice.groups.add(Group.objects.get_or_create(name="auditors")[0])

    sso.person = {**sso.person, "groups": ["idp-leaders"]}  # type: ignore[dict-item]
    client = Client()
    sign_in_with_provider(client, sso)
    assert signed_in_user(client) == alice
    alice = User.objects.get(pk=alice.pk)
    assert user_roles(alice) == {Role.LEADERSHIP}
    assert set(alice.groups.values_list("name", flat=True)) == {"leadership", "auditors"}
    assert list(alice.teams.values_list("slug", flat=True)) == ["team-b"]

    roles = AuditEntry.objects.filter(field="roles", object_repr="alice").first()
    assert (roles.old_value, roles.new_value) == (["admin", "auditors"], ["auditors", "leadership"])
    members = AuditEntry.objects.filter(field="members", object_repr="Team A").first()
    assert (members.old_value, members.new_value) == (["alice"], [])

    # No groups claim at all: in no group, so every mapped role goes.
    sso.person = {k: v for k, v in sso.person.items() if k != "groups"}  # type: ignore[union-attr]
    sign_in_with_provider(Client(), sso)
    assert set(User.objects.get(pk=alice.pk).groups.values_list("name", flat=True)) == {"auditors"}


def test_a_team_lead_from_the_groups_leads_the_team_an_admin_gave_them(
    sso: LocalProvider, people: dict[str, Any]
) -> None:
    sso.person = {**sso.person, "groups": ["lending-leads"]}  # type: ignore[dict-item]
    client = Client()
    sign_in_with_provider(client, sso)
    alice = signed_in_user(client)
    assert user_roles(alice) == {Role.TEAM_LEAD}
    Team.objects.filter(slug="team-a").update(lead=alice)
    alice = User.objects.get(pk=alice.pk)
    assert led_team_ids(alice) == {people["team_a"].pk}


def test_an_existing_account_is_linked_by_its_verified_email_then_by_subject(
    sso: LocalProvider,
) -> None:
    existing = UserFactory(username="a.archer", email="Alice@Example.com")
    client = Client()
    sign_in_with_provider(client, sso)
    assert signed_in_user(client) == existing
    assert User.objects.filter(username="alice").count() == 0
    linked = AuditEntry.objects.get(object_repr=f"idp-user-1001 at {sso.issuer}")
    assert linked.action == "create"
    assert existing.has_usable_password()  # local passwords are still allowed

    # The address changes at the provider: the subject still finds the account.
    sso.person = {**sso.person, "email": "alice.archer@example.com"}  # type: ignore[dict-item]
    client = Client()
    sign_in_with_provider(client, sso)
    assert signed_in_user(client) == existing
    assert User.objects.get(pk=existing.pk).email == "alice.archer@example.com"


def test_an_unverified_email_links_nothing(sso: LocalProvider) -> None:
    existing = UserFactory(username="alice", email="alice@example.com")
    sso.person = {**sso.person, "email_verified": False}  # type: ignore[dict-item]
    client = Client()
    sign_in_with_provider(client, sso)
    user = signed_in_user(client)
    assert user != existing
    assert user.username == "alice-2"  # the provider's name was taken: never take it over


@pytest.mark.parametrize(
    ("knob", "reason"),
    [
        (
            {"tamper": lambda token: rewrite_payload(token, lambda c: c.update(sub="someone"))},
            "signature does not match",
        ),
        ({"id_token_claims": {"aud": "another-app"}}, "issued for another application"),
        ({"id_token_claims": {"aud": ["another-app", CLIENT_ID]}}, "(azp)"),
        (
            {"id_token_claims": {"exp": int(time.time()) - 600, "iat": int(time.time()) - 900}},
            "has expired",
        ),
        ({"id_token_claims": {"iss": "https://idp.example.org"}}, "issued by another provider"),
        ({"id_token_claims": {"nonce": "a-replayed-nonce"}}, "Nonce verification failed"),
        ({"signing_key": new_key()}, "signature does not match"),
        ({"tamper": unsigned}, "a key the provider does not publish"),
    ],
    ids=[
        "tampered",
        "wrong-audience",
        "foreign-azp",
        "expired",
        "wrong-issuer",
        "nonce",
        "key",
        "unsigned",
    ],
)
def test_a_bad_id_token_signs_nobody_in(
    sso: LocalProvider, knob: dict[str, Any], reason: str
) -> None:
    for name, value in knob.items():
        setattr(sso, name, value)
    client = Client()
    response = sign_in_with_provider(client, sso)
    refused(client, response, reason)
    assert not User.objects.filter(username="alice").exists()
    assert not SingleSignOnIdentity.objects.exists()


def test_a_tampered_token_cannot_raise_its_own_roles(sso: LocalProvider) -> None:
    sso.person = {**sso.person, "groups": []}  # type: ignore[dict-item]
    sign_in_with_provider(Client(), sso)
    sso.tamper = lambda token: rewrite_payload(token, lambda c: c.update(groups=["idp-admins"]))
    client = Client()
    refused(client, sign_in_with_provider(client, sso), "signature does not match")
    assert user_roles(User.objects.get(username="alice")) == frozenset()


def test_next_may_not_leave_the_site(sso: LocalProvider) -> None:
    client = Client()
    response = sign_in_with_provider(client, sso, next_url="https://evil.example/")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user(client) is not None


def test_a_callback_this_browser_did_not_start_is_refused(sso: LocalProvider) -> None:
    # The provider's answer arrives at another browser (a link passed on, a forged one).
    start = Client().get("/sso/login/")
    callback = httpx.get(start["Location"], follow_redirects=False).headers["Location"]
    other = Client()
    refused(other, other.get(callback), "not started here")
    # And a callback is used once: the same answer again is refused too.
    client = Client()
    start = client.get("/sso/login/")
    callback = httpx.get(start["Location"], follow_redirects=False).headers["Location"]
    assert client.get(callback).status_code == 302
    assert signed_in_user(client) is not None
    client.logout()
    refused(client, client.get(callback), "not started here")


def test_the_provider_saying_no_is_shown(sso: LocalProvider) -> None:
    sso.person = None
    client = Client()
    refused(client, sign_in_with_provider(client, sso), "The person cancelled the sign-in")


def test_a_deactivated_account_stays_out(sso: LocalProvider) -> None:
    sign_in_with_provider(Client(), sso)
    User.objects.filter(username="alice").update(is_active=False)
    client = Client()
    refused(client, sign_in_with_provider(client, sso), "no active account")


def test_the_provider_on_a_private_address_is_refused_unless_allowed(
    sso: LocalProvider, settings: Any
) -> None:
    settings.CONNECTOR_ALLOW_PRIVATE_NETWORKS = False
    client = Client()
    response = sign_in_with_provider(client, sso)
    refused(client, response, "CONNECTOR_ALLOW_PRIVATE_NETWORKS")
    assert sso.authorize_requests == []


def test_a_discovery_document_of_another_issuer_is_refused(sso: LocalProvider) -> None:
    sso.discovery_overrides = {"issuer": "https://idp.example.org"}
    client = Client()
    refused(client, sign_in_with_provider(client, sso), "names the issuer")


def test_client_secret_post_when_the_provider_offers_only_that(sso: LocalProvider) -> None:
    sso.discovery_overrides = {"token_endpoint_auth_methods_supported": ["client_secret_post"]}
    client = Client()
    sign_in_with_provider(client, sso)
    assert signed_in_user(client) is not None
    assert sso.token_requests[0]["client_secret"]


def test_discovery_is_cached(sso: LocalProvider) -> None:
    sign_in_with_provider(Client(), sso)
    sso.stop()  # discovery would fail now; the cached document is used until the login
    response = Client().get("/sso/login/")
    assert response["Location"].startswith(f"{sso.issuer}/authorize?")


def test_odd_claims_still_make_a_sound_account(sso: LocalProvider) -> None:
    # A subject with no usable characters, no name, no e-mail, one group as a string.
    sso.person = {"sub": "|||/|||", "groups": "idp-admins"}
    client = Client()
    sign_in_with_provider(client, sso)
    user = signed_in_user(client)
    assert (user.username, user.email) == ("sso-user", "")
    assert user_roles(user) == {Role.ADMIN}
    # An address longer than the account's field is not stored (nor cut short).
    sso.person = {**sso.person, "email": "a" * 250 + "@example.com"}
    client = Client()
    sign_in_with_provider(client, sso)
    assert signed_in_user(client) == user
    assert User.objects.get(pk=user.pk).email == ""
