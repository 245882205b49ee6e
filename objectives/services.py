"""Writes to objectives. Governance changes (owner, team, policy, requirements) are audited."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction

from cataligent.audit import audit_changes, audit_created, audit_deleted, audited_update
from dependencies.graph.changes import impact_changed
from dependencies.models import Node
from objectives.models import (
    DeclaredStatus,
    KeyResult,
    Objective,
    Period,
    Rag,
    Requirement,
    StatusUpdate,
)

OBJECTIVE_AUDITED_FIELDS = ("owner", "team", "escalation_policy")

# What an owner's update declares: the latest update's RAG is the objective's
# declared status until the owner sets another one.
DECLARED_BY_RAG = {
    Rag.GREEN: DeclaredStatus.ON_TRACK,
    Rag.AMBER: DeclaredStatus.AT_RISK,
    Rag.RED: DeclaredStatus.OFF_TRACK,
}

# One requirement as the services take it: (node, "hard" | "soft").
RequirementSpec = tuple[Node, str]


def _requirements_summary(objective: Objective) -> list[dict[str, str]]:
    return [
        {"node": r.node.slug, "criticality": r.criticality}
        for r in objective.requirements.select_related("node").order_by("node__slug")
    ]


@transaction.atomic
def objective_create(
    *,
    actor: Any,
    actor_label: str = "",
    requires: Iterable[RequirementSpec] = (),
    key_results: Iterable[Mapping[str, Any]] | None = None,
    **fields: Any,
) -> Objective:
    objective = Objective(**fields)
    objective.full_clean(exclude=["key"] if not objective.key else None)
    objective.save()
    impact_changed(structure=True, reason=f"objective {objective.key} added")
    audit_created(objective, actor=actor, actor_label=actor_label)
    audit_changes(
        objective,
        {f: (None, getattr(objective, f)) for f in OBJECTIVE_AUDITED_FIELDS},
        actor=actor,
        actor_label=actor_label,
    )
    requires = list(requires)
    if requires:
        objective_set_requirements(
            objective=objective, requires=requires, actor=actor, actor_label=actor_label
        )
    if key_results:
        objective_set_key_results(
            objective=objective, key_results=key_results, actor=actor, actor_label=actor_label
        )
    return objective


@transaction.atomic
def objective_update(
    *,
    objective: Objective,
    changes: Mapping[str, Any],
    actor: Any,
    actor_label: str = "",
    requires: Iterable[RequirementSpec] | None = None,
    key_results: Iterable[Mapping[str, Any]] | None = None,
) -> Objective:
    value_before = objective.value_at_stake
    audited_update(
        objective, changes, fields=OBJECTIVE_AUDITED_FIELDS, actor=actor, actor_label=actor_label
    )
    if objective.value_at_stake != value_before:
        # The value at risk of every bottleneck behind it moves.
        impact_changed(structure=True, reason=f"value at stake of {objective.key} changed")
    if requires is not None:
        objective_set_requirements(
            objective=objective, requires=requires, actor=actor, actor_label=actor_label
        )
    if key_results is not None:
        objective_set_key_results(
            objective=objective, key_results=key_results, actor=actor, actor_label=actor_label
        )
    return objective


@transaction.atomic
def objective_set_requirements(
    *,
    objective: Objective,
    requires: Iterable[RequirementSpec],
    actor: Any,
    actor_label: str = "",
) -> None:
    """Make the objective require exactly these nodes; unchanged rows are left alone."""
    wanted = {node.pk: (node, criticality) for node, criticality in requires}
    before = _requirements_summary(objective)
    existing = {r.node_id: r for r in objective.requirements.all()}
    for node_id, requirement in existing.items():
        if node_id not in wanted:
            requirement.delete()
        elif requirement.criticality != wanted[node_id][1]:
            requirement.criticality = wanted[node_id][1]
            requirement.full_clean()
            requirement.save(update_fields=["criticality"])
    for node_id, (node, criticality) in wanted.items():
        if node_id not in existing:
            requirement = Requirement(objective=objective, node=node, criticality=criticality)
            requirement.full_clean()
            requirement.save()
    after = _requirements_summary(objective)
    if after != before:
        impact_changed(
            requirements_of=[objective.pk], reason=f"requirements of {objective.key} changed"
        )
    audit_changes(
        objective,
        {"requires": (before, after)},
        actor=actor,
        actor_label=actor_label,
    )


KEY_RESULT_FIELDS = ("title", "start_value", "target_value", "current_value", "unit")


def _key_results_summary(objective: Objective) -> list[dict[str, str]]:
    return [
        {f: str(getattr(kr, f)) for f in KEY_RESULT_FIELDS}
        for kr in objective.key_results.order_by("id")
    ]


@transaction.atomic
def objective_set_key_results(
    *,
    objective: Objective,
    key_results: Iterable[Mapping[str, Any]],
    actor: Any,
    actor_label: str = "",
) -> None:
    """Replace the objective's key results with these (in this order), audited."""
    before = _key_results_summary(objective)
    rows = [KeyResult(objective=objective, **dict(item)) for item in key_results]
    for row in rows:
        row.full_clean(exclude=["objective"])
    objective.key_results.all().delete()
    KeyResult.objects.bulk_create(rows)
    audit_changes(
        objective,
        {"key_results": (before, _key_results_summary(objective))},
        actor=actor,
        actor_label=actor_label,
    )


@transaction.atomic
def objective_delete(*, objective: Objective, actor: Any, actor_label: str = "") -> None:
    audit_deleted(objective, actor=actor, actor_label=actor_label)
    objective.delete()
    impact_changed(structure=True, reason="objective deleted")


@transaction.atomic
def status_update_create(
    *,
    objective: Objective,
    actor: Any,
    rag: str,
    summary: str,
    blockers: str = "",
    decisions_needed: str = "",
) -> StatusUpdate:
    update = StatusUpdate(
        objective=objective,
        author=actor if getattr(actor, "is_authenticated", False) else None,
        rag=rag,
        summary=summary,
        blockers=blockers,
        decisions_needed=decisions_needed,
    )
    update.full_clean()
    update.save()
    # In the history too (and the pages' caches follow the audit log).
    audit_changes(
        objective, {"status_update": (None, f"{update.rag}: {update.summary[:200]}")}, actor=actor
    )
    _declare_from_update(update, actor=actor)
    return update


def _declare_from_update(update: StatusUpdate, *, actor: Any) -> None:
    """Make the update's RAG the objective's declared status (audited).

    A green update on an objective its owner declared done leaves it done: green
    says nothing is wrong, not that the work restarted.
    """
    objective = update.objective
    declared = DECLARED_BY_RAG[Rag(update.rag)]
    if objective.declared_status == declared or (
        declared == DeclaredStatus.ON_TRACK and objective.declared_status == DeclaredStatus.DONE
    ):
        return
    before = objective.declared_status
    objective.declared_status = declared
    objective.save(update_fields=["declared_status", "updated_at"])
    audit_changes(objective, {"declared_status": (before, declared.value)}, actor=actor)


@transaction.atomic
def status_update_delete(*, update: StatusUpdate, actor: Any, actor_label: str = "") -> None:
    """Remove a mistaken update (the history keeps that it was there)."""
    audit_changes(
        update.objective,
        {"status_update": (f"{update.rag}: {update.summary[:200]}", None)},
        actor=actor,
        actor_label=actor_label,
    )
    update.delete()


@transaction.atomic
def period_save(
    *, period: Period, changes: Mapping[str, Any], actor: Any, actor_label: str = ""
) -> Period:
    """Create or change a planning period (audited like other governance changes)."""
    creating = period.pk is None
    before = {f: None if creating else str(getattr(period, f)) for f in PERIOD_FIELDS}
    for field, value in changes.items():
        setattr(period, field, value)
    period.full_clean()
    period.save()
    if creating:
        audit_created(period, actor=actor, actor_label=actor_label)
    audit_changes(
        period,
        {f: (before[f], str(getattr(period, f))) for f in PERIOD_FIELDS},
        actor=actor,
        actor_label=actor_label,
    )
    return period


@transaction.atomic
def period_delete(*, period: Period, actor: Any, actor_label: str = "") -> None:
    audit_deleted(period, actor=actor, actor_label=actor_label)
    period.delete()


PERIOD_FIELDS = ("name", "start", "end")
