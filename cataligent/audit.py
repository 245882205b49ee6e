"""Explicit audit log writes for governance fields (owner, team, escalation policy,
manual state, requirements, edges).

Services call these with the actor they were given; a command or task passes
`actor=None` and an `actor_label` that says what it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from cataligent.models import AuditEntry


def audit_value(value: Any) -> Any:
    """A JSON-safe, human-meaningful form of a field value (slug or username for objects)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, models.Model):
        for attr in ("slug", "key", "username", "name"):
            if hasattr(value, attr):
                return getattr(value, attr)
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): audit_value(v) for k, v in value.items()}
    if isinstance(value, Iterable):
        return [audit_value(v) for v in value]
    return str(value)


def _entry(
    obj: models.Model, action: str, actor: Any, actor_label: str, field: str, old: Any, new: Any
) -> AuditEntry:
    return AuditEntry(
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=actor_label,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        action=action,
        field=field,
        old_value=audit_value(old),
        new_value=audit_value(new),
    )


def audit_created(obj: models.Model, *, actor: Any, actor_label: str = "") -> None:
    _entry(obj, AuditEntry.Action.CREATE, actor, actor_label, "", None, None).save()


def audit_deleted(obj: models.Model, *, actor: Any, actor_label: str = "") -> None:
    _entry(obj, AuditEntry.Action.DELETE, actor, actor_label, "", None, None).save()


def audit_changes(
    obj: models.Model,
    changes: Mapping[str, tuple[Any, Any]],
    *,
    actor: Any,
    actor_label: str = "",
) -> None:
    """Record `{field: (old, new)}` for the fields whose value really changed."""
    entries = [
        _entry(obj, AuditEntry.Action.UPDATE, actor, actor_label, field, old, new)
        for field, (old, new) in changes.items()
        if audit_value(old) != audit_value(new)
    ]
    AuditEntry.objects.bulk_create(entries)


def history_for(obj: models.Model) -> models.QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).select_related("actor")
