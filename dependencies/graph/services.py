"""Writes to the dependency graph. Every governance change is audited with its actor.

Views, serializers, commands and tasks call these; none of them writes a Node
or an Edge directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cataligent.audit import audit_changes, audit_created, audit_deleted, audited_update
from dependencies.graph.changes import impact_changed
from dependencies.models import Edge, EscalationLevel, EscalationPolicy, Node

# Fields whose history governance needs (DESIGN §2; issue: who, when, old, new).
NODE_AUDITED_FIELDS = ("owner", "team", "escalation_policy", "manual_state", "manual_reason")


# The edge rules' words, the same in the API, the pages and the admin.
EDGE_SELF_LOOP = "A node cannot depend on itself."
EDGE_EXISTS = "This edge already exists: source already depends on target."
EDGE_MIN_OPERATIONAL = "Must be at least 1."


def edge_problems(
    *, source: Node, target: Node, min_operational: int = 1, edge: Edge | None = None
) -> dict[str, str]:
    """What is wrong with `source` depending on `target`, by field ({} when nothing is)."""
    problems = {}
    if source.pk == target.pk:
        problems["target"] = EDGE_SELF_LOOP
    elif (
        Edge.objects.filter(source=source, target=target)
        .exclude(pk=edge.pk if edge is not None else None)
        .exists()
    ):
        problems["target"] = EDGE_EXISTS
    if min_operational < 1:
        problems["min_operational"] = EDGE_MIN_OPERATIONAL
    return problems


def _edge_summary(edge: Edge) -> dict[str, Any]:
    return {
        "target": edge.target.slug,
        "criticality": edge.criticality,
        "redundancy_group": edge.redundancy_group,
        "min_operational": edge.min_operational,
    }


@transaction.atomic
def node_create(*, actor: Any, actor_label: str = "", **fields: Any) -> Node:
    node = Node(**fields)
    if node.manual_state:
        node.manual_set_by = actor if getattr(actor, "is_authenticated", False) else None
        node.manual_set_at = timezone.now()
    node.full_clean()
    node.save()
    impact_changed(structure=True, reason=f"node {node.slug} added")
    audit_created(node, actor=actor, actor_label=actor_label)
    audit_changes(
        node,
        {f: (None, getattr(node, f)) for f in NODE_AUDITED_FIELDS},
        actor=actor,
        actor_label=actor_label,
    )
    return node


@transaction.atomic
def node_update(
    *, node: Node, changes: Mapping[str, Any], actor: Any, actor_label: str = ""
) -> Node:
    def manual_state_set(before: dict[str, Any]) -> None:
        if "manual_state" in changes and changes["manual_state"] != before["manual_state"]:
            node.manual_set_by = actor if getattr(actor, "is_authenticated", False) else None
            node.manual_set_at = timezone.now()
            if not node.manual_state and "manual_reason" not in changes:
                node.manual_reason = ""

    before = audited_update(
        node,
        changes,
        fields=NODE_AUDITED_FIELDS,
        actor=actor,
        actor_label=actor_label,
        before_save=manual_state_set,
    )
    if "kind" in changes or "slug" in changes:
        impact_changed(structure=True, reason=f"node {node.slug} changed")
    elif node.manual_state != before["manual_state"]:
        impact_changed(
            nodes=[node.pk],
            reason=f"manual state of {node.slug} set to {node.manual_state or 'none'}",
        )
    return node


@transaction.atomic
def node_delete(*, node: Node, actor: Any, actor_label: str = "") -> None:
    audit_deleted(node, actor=actor, actor_label=actor_label)
    node.delete()
    impact_changed(structure=True, reason=f"node {node.slug} deleted")


@transaction.atomic
def edge_create(
    *,
    source: Node,
    target: Node,
    actor: Any,
    actor_label: str = "",
    criticality: str = "hard",
    redundancy_group: str = "",
    min_operational: int = 1,
) -> Edge:
    problems = edge_problems(source=source, target=target, min_operational=min_operational)
    if problems:
        raise ValidationError(problems)
    edge = Edge(
        source=source,
        target=target,
        criticality=criticality,
        redundancy_group=redundancy_group,
        min_operational=min_operational,
    )
    edge.full_clean()
    edge.save()
    impact_changed(edges_of=[source.pk], reason=f"edge {edge} added")
    # The history lives on the dependent node: "what does this rest on" changed.
    audit_changes(
        source,
        {"depends_on": (None, _edge_summary(edge))},
        actor=actor,
        actor_label=actor_label,
    )
    return edge


@transaction.atomic
def edge_update(
    *, edge: Edge, changes: Mapping[str, Any], actor: Any, actor_label: str = ""
) -> Edge:
    before = _edge_summary(edge)
    old_source = edge.source
    for field, value in changes.items():
        setattr(edge, field, value)
    problems = edge_problems(
        source=edge.source, target=edge.target, min_operational=edge.min_operational, edge=edge
    )
    if problems:
        raise ValidationError(problems)
    edge.full_clean()
    edge.save()
    impact_changed(edges_of={old_source.pk, edge.source_id}, reason=f"edge {edge} changed")
    if edge.source_id != old_source.pk:
        audit_changes(
            old_source, {"depends_on": (before, None)}, actor=actor, actor_label=actor_label
        )
        before = None  # type: ignore[assignment]
    audit_changes(
        edge.source,
        {"depends_on": (before, _edge_summary(edge))},
        actor=actor,
        actor_label=actor_label,
    )
    return edge


@transaction.atomic
def edge_delete(*, edge: Edge, actor: Any, actor_label: str = "") -> None:
    audit_changes(
        edge.source,
        {"depends_on": (_edge_summary(edge), None)},
        actor=actor,
        actor_label=actor_label,
    )
    source_id = edge.source_id
    edge.delete()
    impact_changed(edges_of=[source_id], reason="edge deleted")


# What a policy's history records besides its levels: who it belongs to and what it is called.
POLICY_AUDITED_FIELDS = ("name", "team")
POLICY_FIELDS = ("name", "team", "description")


@transaction.atomic
def escalation_policy_save(
    *,
    policy: EscalationPolicy,
    levels: list[Mapping[str, Any]] | None,
    actor: Any,
    actor_label: str = "",
    changes: Mapping[str, Any] | None = None,
) -> EscalationPolicy:
    """Create or update a policy; `levels` (if given) replaces its levels, in order.

    An update goes through `audited_update` like every other service's: `changes` are the
    new values, and values already set on `policy` (a form's instance) count as changes too,
    judged against what the database holds."""
    changes = dict(changes or {})
    if policy.pk is None:
        for field, value in changes.items():
            setattr(policy, field, value)
        policy.full_clean()
        policy.save()
        audit_created(policy, actor=actor, actor_label=actor_label)
        audit_changes(
            policy,
            {f: (None, getattr(policy, f)) for f in POLICY_AUDITED_FIELDS},
            actor=actor,
            actor_label=actor_label,
        )
        before_levels = None
    else:
        stored = EscalationPolicy.objects.select_related("team").get(pk=policy.pk)
        pending = {
            f: getattr(policy, f) for f in POLICY_FIELDS if getattr(policy, f) != getattr(stored, f)
        }
        before_levels = _levels_summary(stored)
        audited_update(
            stored,
            pending | changes,
            fields=POLICY_AUDITED_FIELDS,
            actor=actor,
            actor_label=actor_label,
        )
        for field in POLICY_FIELDS:
            setattr(policy, field, getattr(stored, field))
    if levels is not None:
        policy.levels.all().delete()
        for position, level in enumerate(levels, start=1):
            row = EscalationLevel(policy=policy, position=position, **level)
            row.full_clean()
            row.save()
    audit_changes(
        policy,
        {"levels": (before_levels, _levels_summary(policy))},
        actor=actor,
        actor_label=actor_label,
    )
    return policy


def _levels_summary(policy: EscalationPolicy) -> list[dict[str, Any]]:
    return [
        {"after_minutes": level.after_minutes, "notify": level.target_display}
        for level in policy.levels.select_related("notify_user", "notify_team")
    ]


@transaction.atomic
def escalation_policy_delete(
    *, policy: EscalationPolicy, actor: Any, actor_label: str = ""
) -> None:
    audit_deleted(policy, actor=actor, actor_label=actor_label)
    policy.delete()


def node_upsert(
    *, slug: str, values: Mapping[str, Any], actor: Any, actor_label: str = ""
) -> tuple[Node, bool]:
    """Create the node or bring it to `values`; returns (node, created). Idempotent."""
    node = Node.objects.filter(slug=slug).first()
    if node is None:
        return node_create(slug=slug, actor=actor, actor_label=actor_label, **values), True
    changes = {field: value for field, value in values.items() if getattr(node, field) != value}
    if changes:
        node_update(node=node, changes=changes, actor=actor, actor_label=actor_label)
    return node, False


def edge_ensure(
    *,
    source: Node,
    target: Node,
    actor: Any,
    actor_label: str = "",
    criticality: str = "hard",
    redundancy_group: str = "",
    min_operational: int = 1,
) -> tuple[Edge, bool]:
    """Make `source` depend on `target` with these attributes; returns (edge, created)."""
    wanted = {
        "criticality": criticality,
        "redundancy_group": redundancy_group,
        "min_operational": min_operational,
    }
    edge = Edge.objects.filter(source=source, target=target).first()
    if edge is None:
        edge = edge_create(
            source=source, target=target, actor=actor, actor_label=actor_label, **wanted
        )
        return edge, True
    changes = {field: value for field, value in wanted.items() if getattr(edge, field) != value}
    if changes:
        edge_update(edge=edge, changes=changes, actor=actor, actor_label=actor_label)
    return edge, False
