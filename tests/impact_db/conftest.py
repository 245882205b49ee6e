from __future__ import annotations

import pytest

from dependencies.recompute.runner import forget_cache


@pytest.fixture(autouse=True)
def _fresh_engine_cache():  # type: ignore[no-untyped-def]
    # Each test has its own database; a result cached by an earlier test is not its.
    forget_cache()
    yield
    forget_cache()


@pytest.fixture
def lending(db, people):  # type: ignore[no-untyped-def]
    """objective → capability → (api, app); api → ledger. Small, hand-drawn."""
    from dependencies.models import Edge
    from tests.factories import NodeFactory, ObjectiveFactory

    nodes = {
        "cap": NodeFactory(slug="cap", kind="capability", team=people["team_a"]),
        "api": NodeFactory(slug="api", kind="integration"),
        "app": NodeFactory(slug="app", team=people["team_a"]),
        "ledger": NodeFactory(slug="ledger", team=people["team_b"]),
    }
    Edge.objects.create(source=nodes["cap"], target=nodes["api"])
    Edge.objects.create(source=nodes["cap"], target=nodes["app"], criticality="soft")
    Edge.objects.create(source=nodes["api"], target=nodes["ledger"])
    objective = ObjectiveFactory(
        key="OBJ-1", title="Launch lending", value_at_stake=1000, team=people["team_a"]
    )
    objective.requirements.create(node=nodes["cap"])
    return nodes, objective
