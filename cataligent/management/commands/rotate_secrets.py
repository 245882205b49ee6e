"""`manage.py rotate_secrets`: re-encrypt every stored secret with the newest key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cataligent.secret_rotation import secrets_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret (connector credentials, webhook secrets) with the "
        "first key of FIELD_ENCRYPTION_KEY, so that the older keys after it can be removed. "
        "All or nothing: a secret no key opens stops it before anything is written."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="write nothing; exit 1 if any secret is still under an older key",
        )

    def handle(self, *args: Any, check: bool = False, **options: Any) -> None:
        rotation = secrets_rotate(dry_run=check)
        if rotation.unreadable:
            raise CommandError(
                "No configured key decrypts these secrets; nothing was changed. Put the key "
                "they were written with back into FIELD_ENCRYPTION_KEY (after the newest), or "
                "enter these secrets again:\n  " + "\n  ".join(rotation.unreadable)
            )
        if check:
            if rotation.under_older_key:
                raise CommandError(
                    f"{rotation.under_older_key} of {rotation.secrets} secrets are still "
                    "under an older key: run rotate_secrets before removing it."
                )
            self.stdout.write(f"All {rotation.secrets} secrets are under the newest key.")
            return
        self.stdout.write(
            f"Re-encrypted {rotation.secrets} secrets with the newest key "
            f"({rotation.under_older_key} were under an older key). The keys after the first "
            "in FIELD_ENCRYPTION_KEY can now be removed."
        )
