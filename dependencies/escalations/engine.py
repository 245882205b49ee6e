"""The escalation engine (DESIGN §2, issue: nothing blocked stays silent).

One pass, the same code for the periodic task and the `escalate` command:
1. resolve open escalations whose item is no longer blocked, or blocked in a
   new episode, and tell the people who were notified;
2. for each blocked node and objective, fire every level of its escalation
   policy whose threshold its blocked time has passed — exactly once per level
   per episode, enforced by a unique constraint, so two workers running the
   same pass create each escalation once. An item with no policy (its own, or
   its team's default) goes to the `leadership` role after
   ESCALATION_DEFAULT_MINUTES: an ownership gap never stays silent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cataligent.audit import audit_changes
from cataligent.roles import Role, led_team_ids, user_roles
from dependencies.choices import State
from dependencies.escalations.notifications import (
    notify_escalation_fired,
    notify_escalation_resolved,
)
from dependencies.graph.escalation_paths import LevelSpec, escalation_paths
from dependencies.models import (
    Escalation,
    EscalationStatus,
    Node,
)
from objectives.models import Objective

log = logging.getLogger(__name__)


@dataclass
class PassResult:
    fired: list[Escalation] = field(default_factory=list)
    resolved: list[Escalation] = field(default_factory=list)


def escalate(*, now: datetime | None = None) -> PassResult:
    """One pass of the escalation engine."""
    now = now or timezone.now()
    result = PassResult()
    _resolve(now, result)

    nodes = list(
        Node.objects.filter(state=State.BLOCKED, blocked_since__isnull=False).select_related(
            "team", "escalation_policy"
        )
    )
    objectives = list(
        Objective.objects.filter(state=State.BLOCKED, blocked_since__isnull=False).select_related(
            "team", "escalation_policy"
        )
    )
    items: list[Node | Objective] = [*nodes, *objectives]

    paths = escalation_paths(items)
    existing = set(
        Escalation.objects.filter(node_id__in=[n.pk for n in nodes]).values_list(
            "node_id", "episode_started_at", "level"
        )
    )
    existing_objectives = set(
        Escalation.objects.filter(objective_id__in=[o.pk for o in objectives]).values_list(
            "objective_id", "episode_started_at", "level"
        )
    )
    for item, path in zip(items, paths, strict=True):
        blocked_minutes = (now - item.blocked_since).total_seconds() / 60
        known = existing if isinstance(item, Node) else existing_objectives
        for spec in path.levels:
            if blocked_minutes < spec.after_minutes:
                continue
            if (item.pk, item.blocked_since, spec.position) in known:
                continue
            escalation = _fire(item, spec, now)
            if escalation is not None:
                result.fired.append(escalation)
    if result.fired or result.resolved:
        log.info("escalation pass: %d fired, %d resolved", len(result.fired), len(result.resolved))
    return result


def _fire(item: Node | Objective, spec: LevelSpec, now: datetime) -> Escalation | None:
    """Create the escalation and its notifications, or nothing if another run already did."""
    is_node = isinstance(item, Node)
    try:
        with transaction.atomic():
            escalation = Escalation.objects.create(
                node=item if is_node else None,
                objective=None if is_node else item,
                episode_started_at=item.blocked_since,
                level=spec.position,
                policy=spec.policy,
                target_user=spec.user,
                target_team=spec.team,
                target_role=spec.role,
                target_display=spec.target_display,
                fired_at=now,
                root_causes=list(item.root_causes),
            )
            notify_escalation_fired(escalation, recipients=escalation_recipients(escalation))
    except IntegrityError:
        return None  # another worker fired this level of this episode first
    return escalation


def escalation_recipients(escalation: Escalation) -> list[Any]:
    """The people a fired escalation notifies."""
    User = get_user_model()
    if escalation.target_user is not None:
        return [escalation.target_user]
    if escalation.target_team is not None:
        team = escalation.target_team
        if team.lead is not None:
            return [team.lead]
        return list(team.members.filter(is_active=True))
    if escalation.target_role:
        return list(User.objects.filter(groups__name=escalation.target_role, is_active=True))
    return []


def _resolve(now: datetime, result: PassResult) -> None:
    candidates = Escalation.objects.exclude(status=EscalationStatus.RESOLVED).select_related(
        "node", "objective"
    )
    for escalation in candidates:
        item = escalation.item
        still_blocked = (
            item.state == State.BLOCKED and item.blocked_since == escalation.episode_started_at
        )
        if still_blocked:
            continue
        with transaction.atomic():
            claimed = (
                Escalation.objects.filter(pk=escalation.pk)
                .exclude(status=EscalationStatus.RESOLVED)
                .update(status=EscalationStatus.RESOLVED, resolved_at=now)
            )
            if claimed:
                escalation.status, escalation.resolved_at = EscalationStatus.RESOLVED, now
                notify_escalation_resolved(escalation)
                result.resolved.append(escalation)


def may_acknowledge(user: Any, escalation: Escalation) -> bool:
    """The escalation's target, leadership and admins may acknowledge it."""
    roles = user_roles(user)
    if Role.ADMIN in roles or Role.LEADERSHIP in roles:
        return True
    if escalation.target_user_id is not None:
        return bool(escalation.target_user_id == user.pk)
    if escalation.target_team_id is not None:
        return escalation.target_team_id in led_team_ids(user) or (
            escalation.target_team.lead_id == user.pk  # type: ignore[union-attr]
        )
    if escalation.target_role:
        return escalation.target_role in {r.value for r in roles}
    return False


NOTE_REQUIRED = "Say what was decided or done (e.g. “budget approved”, “team reassigned”)."


@transaction.atomic
def escalation_acknowledge(*, escalation: Escalation, actor: Any, note: str = "") -> Escalation:
    if not may_acknowledge(actor, escalation):
        raise PermissionDenied(
            "Only the person this escalation went to, leadership or an admin may acknowledge it."
        )
    if escalation.status == EscalationStatus.RESOLVED:
        raise PermissionDenied("This escalation is already resolved.")
    note = note.strip()
    # An acknowledgement tells the people waiting what was decided; a bare "seen" does not.
    if not note:
        raise ValidationError({"note": NOTE_REQUIRED})
    before = escalation.status
    escalation.status = EscalationStatus.ACKNOWLEDGED
    escalation.acknowledged_at = escalation.acknowledged_at or timezone.now()
    escalation.acknowledged_by = actor
    escalation.note = note
    escalation.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "note"])
    audit_changes(
        escalation.item,
        {"escalation": (f"level {escalation.level} {before}", f"acknowledged: {note}".strip())},
        actor=actor,
    )
    return escalation


@transaction.atomic
def escalations_acknowledge(
    *, escalation: Escalation, also: Iterable[Escalation], actor: Any, note: str = ""
) -> list[Escalation]:
    """Acknowledge a root cause's row in the inbox: `escalation` as `escalation_acknowledge`
    does (the same refusals), then every open one of `also` that `actor` may acknowledge,
    each audited on its item. Returns the ones acknowledged."""
    done = [escalation_acknowledge(escalation=escalation, actor=actor, note=note)]
    for other in also:
        if other.pk == escalation.pk or other.status != EscalationStatus.OPEN:
            continue
        if may_acknowledge(actor, other):
            done.append(escalation_acknowledge(escalation=other, actor=actor, note=note))
    return done
