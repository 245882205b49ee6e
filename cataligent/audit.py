"""Explicit audit log writes for governance fields (owner, team, escalation policy,
manual state, requirements, edges).

Services call these with the actor they were given; a command or task passes
`actor=None` and an `actor_label` that says what it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models

from cataligent.history_text import history_sentence
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


def _owned_elsewhere(obj: models.Model) -> list[models.Field[Any, Any]]:
    """Columns other processes own (`editable=False`: the impact engine's results, a sync's
    cursor), which an object read a while ago may hold stale; not the modification time."""
    return [
        f
        for f in obj._meta.concrete_fields
        if not f.editable and not f.primary_key and not getattr(f, "auto_now", False)
    ]


def _saved_fields(obj: models.Model, untouched: Mapping[str, Any]) -> list[str]:
    """The columns an update writes: the editable ones and the modification time, plus
    the owned-elsewhere ones this update set itself (a connector's secret). Saving the
    others would undo, say, a recompute that ran since the object was read."""
    return [
        f.name
        for f in obj._meta.concrete_fields
        if not f.primary_key
        and (f.name not in untouched or getattr(obj, f.attname) != untouched[f.name])
    ]


def audited_update(
    obj: models.Model,
    changes: Mapping[str, Any],
    *,
    fields: Iterable[str],
    actor: Any,
    actor_label: str = "",
    before_save: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Every update service's steps: apply `changes`, validate, save, and record which of the
    audited `fields` changed, with the actor. `before_save(before)` may adjust the object
    first. Returns the audited values from before the change."""
    fields = tuple(fields)
    before = {f: getattr(obj, f) for f in fields}
    untouched = {f.name: getattr(obj, f.attname) for f in _owned_elsewhere(obj)}
    for field, value in changes.items():
        setattr(obj, field, value)
    if before_save is not None:
        before_save(before)
    obj.full_clean()
    obj.save(update_fields=_saved_fields(obj, untouched))
    audit_changes(
        obj, {f: (before[f], getattr(obj, f)) for f in fields}, actor=actor, actor_label=actor_label
    )
    return before


def history_for(obj: models.Model) -> models.QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).select_related("actor")


@dataclass(frozen=True)
class HistoryLine:
    """One audit entry as the pages show it: when, who (by name) and what, as a sentence."""

    at: datetime
    who: str
    what: str


def display_name(user: Any) -> str:
    """A person as people know them: their full name, else their username."""
    return (user.get_full_name() or user.get_username()).strip()


def history_lines(obj: models.Model, *, limit: int = 50) -> list[HistoryLine]:
    """The latest `limit` changes of `obj` as sentences, with two queries in all."""
    entries = list(history_for(obj)[:limit])
    usernames: set[str] = set()
    for entry in entries:
        if entry.field in ("owner", "lead", "members"):
            for value in (entry.old_value, entry.new_value):
                values = value if isinstance(value, list) else [value]
                usernames.update(str(v) for v in values if v)
    user_model = get_user_model()
    names = {
        user.get_username(): display_name(user)
        for user in user_model.objects.filter(**{f"{user_model.USERNAME_FIELD}__in": usernames})
    }
    return [
        HistoryLine(
            at=entry.at,
            who=display_name(entry.actor) if entry.actor is not None else entry.actor_display,
            what=history_sentence(
                action=entry.action,
                field=entry.field,
                old=entry.old_value,
                new=entry.new_value,
                names=names,
            ),
        )
        for entry in entries
    ]
