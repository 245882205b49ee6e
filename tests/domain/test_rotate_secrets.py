"""`manage.py rotate_secrets`: every stored secret re-encrypted with the newest key (issue 15)."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from cataligent.crypto import SecretUnreadable
from integrations.models import Connector
from tests.factories import ConnectorFactory

pytestmark = pytest.mark.django_db

OLD, NEW, LOST = (Fernet.generate_key().decode() for _ in range(3))


def _connector(slug: str, secret: str, webhook_secret: str = "") -> Connector:
    connector = ConnectorFactory(slug=slug)
    connector.set_secret(secret)
    connector.set_webhook_secret(webhook_secret)
    connector.save()
    return connector


def test_old_key_can_be_removed_after_rotating(settings) -> None:  # type: ignore[no-untyped-def]
    settings.FIELD_ENCRYPTION_KEY = [OLD]
    snow = _connector("snow", "snow-password", "hook-secret")
    jira = _connector("jira", "jira-token")
    _connector("bare", "")
    settings.FIELD_ENCRYPTION_KEY = [NEW, OLD]

    out = StringIO()
    with pytest.raises(CommandError, match="3 of 3 secrets are still under an older key"):
        call_command("rotate_secrets", "--check", stdout=out)
    call_command("rotate_secrets", stdout=out)
    assert "Re-encrypted 3 secrets" in out.getvalue()
    call_command("rotate_secrets", "--check", stdout=out)
    assert "All 3 secrets are under the newest key." in out.getvalue()

    settings.FIELD_ENCRYPTION_KEY = [NEW]  # the old key removed
    snow.refresh_from_db()
    jira.refresh_from_db()
    assert snow.get_secret() == "snow-password"
    assert snow.get_webhook_secret() == "hook-secret"
    assert jira.get_secret() == "jira-token"
    assert Connector.objects.get(slug="bare").secret_encrypted == ""


def test_a_secret_no_key_opens_stops_the_rotation_and_changes_nothing(settings) -> None:  # type: ignore[no-untyped-def]
    settings.FIELD_ENCRYPTION_KEY = [OLD]
    readable = _connector("snow", "snow-password")
    settings.FIELD_ENCRYPTION_KEY = [LOST]
    lost = _connector("jira", "jira-token")
    before = readable.secret_encrypted
    settings.FIELD_ENCRYPTION_KEY = [NEW, OLD]

    with pytest.raises(CommandError, match=f"integrations.Connector {lost.pk} secret_encrypted"):
        call_command("rotate_secrets", stdout=StringIO())
    readable.refresh_from_db()
    assert readable.secret_encrypted == before  # all or nothing
    settings.FIELD_ENCRYPTION_KEY = [NEW]
    with pytest.raises(SecretUnreadable):
        readable.get_secret()
