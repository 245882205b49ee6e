from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from cataligent.models import AuditEntry, Team
from dependencies.models import Edge, Node
from objectives.models import Objective

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, ...]:
    return (
        Team.objects.count(),
        Node.objects.count(),
        Edge.objects.count(),
        Objective.objects.count(),
        AuditEntry.objects.count(),
    )


def test_seed_demo_tells_the_story_and_is_idempotent() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    first = _counts()
    call_command("seed_demo", stdout=io.StringIO())
    assert _counts() == first

    teams, nodes, edges, objectives, _audit = first
    assert teams >= 8 and nodes >= 40 and objectives >= 10 and edges >= 50
    lending = Objective.objects.get(title="Launch digital lending platform")
    assert lending.team.lead.username == "lead"
    integration = Node.objects.get(name="Core banking ↔ lending app API integration")
    assert integration.ownership_gaps == ["owner", "team", "escalation policy"]
    assert integration.manual_state == "blocked"
    assert lending.state == "blocked"  # recomputed by the seed
    blocked_for = timezone.now() - lending.blocked_since
    assert dt.timedelta(days=17) < blocked_for < dt.timedelta(days=19)
    # The state history says the same as blocked-since, not "became blocked today".
    became_blocked = lending.transitions.filter(to_state="blocked").latest("at")
    assert became_blocked.at == lending.blocked_since
    assert integration.transitions.filter(to_state="blocked").latest("at").at == (
        integration.blocked_since
    )
    needed_by = {e.source.slug for e in integration.dependent_edges.all()}
    assert {"mobile-loan-origination", "credit-decisioning"} <= needed_by


def test_demo_logins() -> None:
    from django.contrib.auth import authenticate

    call_command("seed_demo", stdout=io.StringIO())
    for username, role in [("leader", "leadership"), ("lead", "team_lead"), ("admin", "admin")]:
        user = authenticate(username=username, password="demo")
        assert user is not None
        assert user.groups.filter(name=role).exists()
