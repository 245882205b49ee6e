"""Re-encrypting every stored secret with the newest FIELD_ENCRYPTION_KEY (`rotate_secrets`).

A secret is any model field whose name ends in `_encrypted` (cataligent/crypto.py writes
them), so a model that gains one is rotated with no change here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.apps import apps
from django.db import models, transaction

from cataligent.crypto import SecretUnreadable, reencrypt, under_newest_key

log = logging.getLogger(__name__)

SUFFIX = "_encrypted"


@dataclass
class Rotation:
    secrets: int = 0
    under_older_key: int = 0
    unreadable: list[str] = field(default_factory=list)


def encrypted_fields() -> list[tuple[type[models.Model], list[str]]]:
    found = []
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if f.name.endswith(SUFFIX)]
        if names:
            found.append((model, names))
    return found


def secrets_rotate(*, dry_run: bool = False) -> Rotation:
    """Re-encrypt every stored secret with the newest key, all or nothing.

    Rows are locked while they are rewritten, so an admin saving a new secret at the same
    moment is not overwritten with the old one. A secret that no configured key opens
    stops the rotation before anything is written: removing a key must never lose one.
    """
    rotation = Rotation()
    with transaction.atomic():
        for model, names in encrypted_fields():
            for row in model._default_manager.select_for_update().only("pk", *names):
                changed = []
                for name in names:
                    token = getattr(row, name)
                    if not token:
                        continue
                    rotation.secrets += 1
                    label = f"{model._meta.label} {row.pk} {name}"
                    try:
                        new = reencrypt(token)
                    except SecretUnreadable:
                        rotation.unreadable.append(label)
                        continue
                    if not under_newest_key(token):
                        rotation.under_older_key += 1
                    setattr(row, name, new)
                    changed.append(name)
                if changed and not dry_run and not rotation.unreadable:
                    row.save(update_fields=changed)
        if rotation.unreadable:
            transaction.set_rollback(True)
            return rotation
        if dry_run:
            transaction.set_rollback(True)
    log.info(
        "secrets rotated: %d (%d were under an older key)%s",
        rotation.secrets,
        rotation.under_older_key,
        " (dry run)" if dry_run else "",
    )
    return rotation
