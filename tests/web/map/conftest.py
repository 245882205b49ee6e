"""The world of the leadership page tests: the lending chain, and no engine result cached
by an earlier test (each test has its own database)."""

from __future__ import annotations

from typing import Any

import pytest

from dependencies.map.drawing import forget_map_cache
from dependencies.models import Edge
from dependencies.recompute.runner import forget_cache, impact_recompute
from tests.factories import (
    EscalationLevelFactory,
    EscalationPolicyFactory,
    NodeFactory,
    ObjectiveFactory,
    PeriodFactory,
    link_ticket,
)


@pytest.fixture(autouse=True)
def _fresh_engine_cache():  # type: ignore[no-untyped-def]
    # Each test has its own database; a result cached by an earlier test is not its.
    forget_cache()
    forget_map_cache()
    yield
    forget_cache()
    forget_map_cache()


@pytest.fixture
def lending(people: dict[str, Any]) -> dict[str, Any]:
    """OBJ-1 → capability (team A) → unowned integration (blocked by hand) → ledger (team B)."""
    policy = EscalationPolicyFactory(name="Lending standard", team=people["team_a"])
    EscalationLevelFactory(
        policy=policy, position=1, after_minutes=0, notify_team=people["team_a"], notify_role=""
    )
    nodes = {
        "cap": NodeFactory(
            slug="cap",
            name="Mobile loan origination",
            kind="capability",
            team=people["team_a"],
            owner=people["lead_a"],
            escalation_policy=policy,
        ),
        "api": NodeFactory(
            slug="api",
            name="Core banking ↔ lending app API integration",
            kind="integration",
            manual_state="blocked",
            manual_reason="Bookings fail at the core-banking handoff.",
        ),
        "app": NodeFactory(slug="app", name="Lending app", team=people["team_a"]),
        "ledger": NodeFactory(slug="ledger", name="Core ledger", team=people["team_b"]),
    }
    Edge.objects.create(source=nodes["cap"], target=nodes["api"])
    Edge.objects.create(source=nodes["cap"], target=nodes["app"], criticality="soft")
    Edge.objects.create(source=nodes["api"], target=nodes["ledger"])
    objective = ObjectiveFactory(
        key="OBJ-1",
        title="Launch digital lending",
        value_at_stake=1000,
        team=people["team_a"],
        owner=people["lead_a"],
        escalation_policy=policy,
        period=PeriodFactory(),
    )
    objective.requirements.create(node=nodes["cap"])
    link_ticket(
        nodes["api"],
        key="INC0010231",
        title="Loan booking fails",
        url="https://example.service-now.com/incident.do?sys_id=1",
        status_category="resolved",
        is_blocking=False,
        reassignment_count=4,
    )
    impact_recompute(force=True)
    return {"nodes": nodes, "objective": objective, "policy": policy}
