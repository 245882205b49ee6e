from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from cataligent.crypto import SecretUnreadable, decrypt, encrypt


def test_round_trip_and_rotation(settings) -> None:  # type: ignore[no-untyped-def]
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = [old]
    token = encrypt("s3cret")
    assert "s3cret" not in token
    settings.FIELD_ENCRYPTION_KEY = [new, old]  # rotated: new first, old still decrypts
    assert decrypt(token) == "s3cret"
    settings.FIELD_ENCRYPTION_KEY = [new]
    with pytest.raises(SecretUnreadable, match="FIELD_ENCRYPTION_KEY"):
        decrypt(token)


def test_production_needs_a_key(settings) -> None:  # type: ignore[no-untyped-def]
    settings.FIELD_ENCRYPTION_KEY = []
    settings.DEBUG = False
    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEY must be set"):
        encrypt("x")
    settings.DEBUG = True
    assert decrypt(encrypt("x")) == "x"


def test_bad_key_is_named(settings) -> None:  # type: ignore[no-untyped-def]
    settings.FIELD_ENCRYPTION_KEY = ["not-a-key"]
    with pytest.raises(ImproperlyConfigured, match="not a Fernet key"):
        encrypt("x")
