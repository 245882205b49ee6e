"""/hooks/<slug>/ for GitHub and GitLab: their signatures (GitHub's X-Hub-Signature-256,
GitLab's plain X-Gitlab-Token), their delivery ids, deletions, and the events that change
no ticket."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from integrations.models import Connector, Ticket
from tests.connectors import github_fake, gitlab_fake

pytestmark = pytest.mark.django_db

SECRET = "whsec-git"
AT = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


def _connector(kind: str) -> Connector:
    connector = Connector(
        slug=f"{kind}-hook",
        name=kind,
        kind=kind,
        base_url="https://api.github.com" if kind == "github" else "https://gitlab.com",
        auth_type="bearer",
        query="acme/widgets" if kind == "github" else gitlab_fake.PROJECT,
    )
    connector.set_secret("token")
    connector.set_webhook_secret(SECRET)
    connector.save()
    return connector


def _post(slug: str, body: dict[str, Any], **headers: str) -> Any:
    return Client().post(
        f"/hooks/{slug}/", data=json.dumps(body), content_type="application/json", headers=headers
    )


def _github_headers(raw: bytes, *, event: str = "issues", delivery: str = "d-1") -> dict[str, str]:
    digest = hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    legacy = hmac.new(SECRET.encode(), raw, hashlib.sha1).hexdigest()
    return {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": f"sha256={digest}",
        "X-Hub-Signature": f"sha1={legacy}",  # GitHub's legacy header, sent alongside
    }


def _github(body: dict[str, Any], **kwargs: str) -> Any:
    raw = json.dumps(body).encode()
    return _post("github-hook", body, **_github_headers(raw, **kwargs))


def test_github_issues_events_upsert_and_delete() -> None:
    _connector("github")
    node = github_fake.issue(3, AT, labels=("P1",), assignees=("ada",))
    body = {
        "action": "opened",
        "issue": github_fake.webhook_issue(node),
        "repository": {"full_name": "acme/widgets"},
    }
    response = _github(body)
    assert response.status_code == 200, response.json()
    assert response.json() == {"status": "created", "key": "acme/widgets#3"}
    ticket = Ticket.objects.get()
    assert (ticket.external_id, ticket.priority, ticket.assignee) == (node["id"], 1, "ada")
    assert ticket.is_blocking

    assert _github(body).json()["status"] == "duplicate delivery, already applied"
    response = _github({**body, "action": "transferred"}, delivery="d-2")
    assert response.json() == {"status": "deleted", "tickets": 1}
    ticket.refresh_from_db()
    assert ticket.missing_from_source and not ticket.is_blocking


def test_github_pull_requests_and_pings_are_acknowledged_and_ignored() -> None:
    _connector("github")
    pull = {"action": "opened", "number": 6, "pull_request": {"number": 6}}
    response = _github(pull, event="pull_request", delivery="d-3")
    assert response.status_code == 200 and response.json()["status"] == "ignored"
    ping = {"zen": "Design for failure.", "hook_id": 42, "hook": {"type": "Repository"}}
    assert _github(ping, event="ping", delivery="d-4").json()["status"] == "ignored"
    assert not Ticket.objects.exists()


def test_github_refuses_a_wrong_signature() -> None:
    _connector("github")
    body = {"zen": "x", "hook_id": 1}
    headers = _github_headers(b"another body")
    assert _post("github-hook", body, **headers).status_code == 401


def test_gitlab_issue_hooks_with_the_secret_token() -> None:
    _connector("gitlab")
    node = gitlab_fake.issue(12, AT, state="closed", labels=("Blocker",), assignees=("grace",))
    hook = gitlab_fake.issue_hook(node, action="close")
    headers = {"X-Gitlab-Event": "Issue Hook", "X-Gitlab-Token": SECRET}
    response = _post("gitlab-hook", hook, **headers, **{"Idempotency-Key": "k-1"})
    assert response.status_code == 200, response.json()
    assert response.json() == {"status": "created", "key": f"{gitlab_fake.PROJECT}#12"}
    ticket = Ticket.objects.get()
    assert (ticket.external_id, ticket.status_category, ticket.assignee) == (
        "5012",
        "closed",
        "grace",
    )
    assert ticket.resolved_at == AT  # "2026-… UTC" as older hooks send times
    again = _post("gitlab-hook", hook, **headers, **{"Idempotency-Key": "k-1"})
    assert again.json()["status"] == "duplicate delivery, already applied"
    note = {"object_kind": "note", "project": hook["project"]}
    assert _post("gitlab-hook", note, **headers).json()["status"] == "ignored"


def test_gitlab_tokens_are_checked_and_only_for_gitlab_connectors() -> None:
    _connector("gitlab")
    _connector("github")
    hook = gitlab_fake.issue_hook(gitlab_fake.issue(1, AT))
    assert _post("gitlab-hook", hook, **{"X-Gitlab-Token": "wrong"}).status_code == 401
    assert _post("gitlab-hook", hook).status_code == 401
    # Another kind's hooks must be signed: the bare secret is not enough.
    assert _post("github-hook", hook, **{"X-Gitlab-Token": SECRET}).status_code == 401
    assert not Ticket.objects.exists()


def test_a_gitlab_token_of_utf8_bytes_matches_its_secret() -> None:
    """A server hands header bytes over decoded as Latin-1 (WSGI): the token GitLab sends as
    UTF-8 bytes must be compared as those bytes (it was encoded twice and never matched)."""
    connector = _connector("gitlab")
    connector.set_webhook_secret("clé-secrète")
    connector.save()
    hook = gitlab_fake.issue_hook(gitlab_fake.issue(1, AT))
    as_received = "clé-secrète".encode().decode("latin-1")
    response = _post("gitlab-hook", hook, **{"X-Gitlab-Token": as_received})
    assert response.status_code == 200, response.json()
    assert _post("gitlab-hook", hook, **{"X-Gitlab-Token": "clé-secrète"}).status_code == 401
    assert _post("gitlab-hook", hook, **{"X-Gitlab-Token": "€"}).status_code == 401
