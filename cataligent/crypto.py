"""Encryption at rest for secrets (connector credentials, webhook secrets).

Keys come from FIELD_ENCRYPTION_KEY: Fernet keys, comma-separated; the first
encrypts and all decrypt, so a key can be rotated by putting a new one first.
In DEBUG with no key set, one is derived from SECRET_KEY so the demo needs no
set-up; production refuses to run without a real key (see `checks`).
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted with the configured keys."""


def _derived_development_key() -> bytes:
    digest = hashlib.sha256(b"cataligent-field-encryption:" + settings.SECRET_KEY.encode()).digest()
    return base64.urlsafe_b64encode(digest)


@cache
def _cipher(keys: tuple[str, ...], debug: bool) -> MultiFernet:
    if not keys:
        if not debug:
            raise ImproperlyConfigured(
                "FIELD_ENCRYPTION_KEY must be set to store secrets. Make one with: python -c "
                '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
            )
        return MultiFernet([Fernet(_derived_development_key())])
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"FIELD_ENCRYPTION_KEY holds a value that is not a Fernet key: {exc}"
        ) from None


def cipher() -> MultiFernet:
    return _cipher(tuple(settings.FIELD_ENCRYPTION_KEY), settings.DEBUG)


def encrypt(plaintext: str) -> str:
    return cipher().encrypt(plaintext.encode()).decode()


def reencrypt(token: str) -> str:
    """The same secret encrypted with the newest key (the first of FIELD_ENCRYPTION_KEY)."""
    try:
        return cipher().rotate(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "A stored secret cannot be decrypted with any configured key."
        ) from None


def under_newest_key(token: str) -> bool:
    cipher()  # the same refusal as encrypt() when no key is configured
    keys = settings.FIELD_ENCRYPTION_KEY
    newest = Fernet(keys[0].encode() if keys else _derived_development_key())
    try:
        newest.decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def decrypt(token: str) -> str:
    try:
        return cipher().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "A stored secret cannot be decrypted: was FIELD_ENCRYPTION_KEY changed without "
            "keeping the old key after the new one?"
        ) from None
