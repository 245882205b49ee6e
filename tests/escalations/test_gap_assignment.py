"""Bulk assignment on the ownership-gap list is a service: each item judged and audited alone."""

from __future__ import annotations

from typing import Any

import pytest

from cataligent.audit import history_for
from dependencies.escalations.gaps import ownership_gaps_assign
from dependencies.models import Node
from tests.factories import NodeFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


def test_a_lead_claims_the_unowned_and_is_refused_the_rest(people: dict[str, Any]) -> None:
    free = NodeFactory(slug="free")
    objective = ObjectiveFactory(key="OBJ-7")
    theirs = NodeFactory(slug="theirs", team=people["team_b"])
    outcome = ownership_gaps_assign(
        items=[free, objective, theirs],
        changes={"team": people["team_a"]},
        actor=people["lead_a"],
    )
    assert outcome.done == [free, objective]
    assert len(outcome.refused) == 1 and outcome.refused[0].startswith(str(theirs))
    assert Node.objects.get(slug="free").team == people["team_a"]
    assert Node.objects.get(slug="theirs").team == people["team_b"]
    entry = history_for(Node.objects.get(slug="free")).get(field="team")
    assert entry.actor == people["lead_a"]
