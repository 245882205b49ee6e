"""The database itself refuses what the domain forbids, whatever path a write takes."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from dependencies.models import Edge, EscalationLevel, Node
from objectives.models import KeyResult, Objective, Period
from tests.factories import EscalationPolicyFactory, NodeFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


def _refused(make) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_node_slug_unique_and_enums() -> None:
    NodeFactory(slug="a")
    _refused(lambda: Node.objects.create(slug="a", name="A", kind="service"))
    _refused(lambda: Node.objects.create(slug="b", name="B", kind="spaceship"))
    _refused(lambda: Node.objects.create(slug="c", name="C", kind="service", manual_state="x"))


def test_edges() -> None:
    a, b = NodeFactory(), NodeFactory()
    Edge.objects.create(source=a, target=b)
    _refused(lambda: Edge.objects.create(source=a, target=b))  # duplicate
    _refused(lambda: Edge.objects.create(source=a, target=a))  # self-edge
    _refused(lambda: Edge.objects.create(source=b, target=a, min_operational=0))
    _refused(lambda: Edge.objects.create(source=b, target=a, criticality="vital"))


def test_objectives() -> None:
    first = ObjectiveFactory()
    assert first.key == f"OBJ-{first.pk}"
    _refused(lambda: Objective.objects.create(key=first.key, title="dup"))
    _refused(lambda: Objective.objects.create(title="neg", value_at_stake=-1))
    _refused(lambda: Objective.objects.create(title="s", declared_status="fine"))
    _refused(lambda: Period.objects.create(name="bad", start="2026-12-31", end="2026-01-01"))
    _refused(lambda: KeyResult.objects.create(objective=first, title="k", target_value=0))


def test_escalation_level_exactly_one_target() -> None:
    policy = EscalationPolicyFactory()
    _refused(lambda: EscalationLevel.objects.create(policy=policy, position=1, after_minutes=5))
    _refused(
        lambda: EscalationLevel.objects.create(
            policy=policy, position=1, after_minutes=5, notify_role="king"
        )
    )
    EscalationLevel.objects.create(policy=policy, position=1, after_minutes=5, notify_role="admin")
    _refused(
        lambda: EscalationLevel.objects.create(
            policy=policy, position=1, after_minutes=9, notify_role="admin"
        )
    )


def test_key_result_progress() -> None:
    objective = ObjectiveFactory()
    up = KeyResult(
        objective=objective, title="up", start_value=0, target_value=200, current_value=50
    )
    down = KeyResult(
        objective=objective, title="down", start_value=48, target_value=0, current_value=36
    )
    over = KeyResult(
        objective=objective, title="over", start_value=0, target_value=10, current_value=99
    )
    assert up.progress == 0.25
    assert down.progress == 0.25
    assert over.progress == 1.0


def test_roles_exist() -> None:
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= {"leadership", "team_lead", "admin"}
