"""A small organisation for the report definitions, and a two-week window over it.

    capability `lending` (team A)  depends on  service `lending-api` (team A)
    `lending-api`                  depends on  data `core-ledger` (team B)
    objective OBJ-1 (team A) requires `lending`
    `island` (team B): required by nothing

Team A's assignment group is "Lending Squad", team B's "Payments Ops".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from dependencies.models import Node
from integrations.models import Connector, Ticket, TicketLink
from objectives.models import Objective, Requirement
from reports.window import Window, parse_window
from tests.factories import (
    ConnectorFactory,
    EdgeFactory,
    NodeFactory,
    ObjectiveFactory,
    TicketFactory,
)

MONDAY = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)  # the window's first day


def at(days: float, hours: float = 0) -> dt.datetime:
    return MONDAY + dt.timedelta(days=days, hours=hours)


@dataclass
class Org:
    people: dict[str, Any]
    lending: Node
    api: Node
    ledger: Node
    island: Node
    objective: Objective
    snow: Connector
    jira: Connector

    def window(self, **params: str) -> Window:
        return parse_window({"from": "2026-11-02", "to": "2026-11-15", **params})

    def ticket(self, *, linked: tuple[Any, ...] = (), **fields: Any) -> Ticket:
        fields.setdefault("connector", self.snow)
        fields.setdefault("updated_at", at(3))
        fields.setdefault("status_category", "in_progress")
        fields.setdefault("priority", 3)
        fields.setdefault("is_blocking", False)
        ticket = TicketFactory(**fields)
        for item in linked:
            target = {"node": item} if isinstance(item, Node) else {"objective": item}
            TicketLink.objects.create(ticket=ticket, via="manual", **target)
        return ticket


@pytest.fixture
def org(people: dict[str, Any]) -> Org:
    team_a, team_b = people["team_a"], people["team_b"]
    team_a.assignment_groups = ["Lending Squad"]
    team_a.save()
    team_b.assignment_groups = ["payments ops"]
    team_b.save()
    lending = NodeFactory(slug="lending", name="Digital lending", kind="capability", team=team_a)
    api = NodeFactory(slug="lending-api", name="Lending API", team=team_a)
    ledger = NodeFactory(slug="core-ledger", name="Core Ledger", kind="data", team=team_b)
    island = NodeFactory(slug="island", name="Island reporting", team=team_b)
    EdgeFactory(source=lending, target=api)
    EdgeFactory(source=api, target=ledger)
    objective = ObjectiveFactory(key="OBJ-1", title="Launch digital lending", team=team_a)
    Requirement.objects.create(objective=objective, node=lending)
    return Org(
        people,
        lending,
        api,
        ledger,
        island,
        objective,
        ConnectorFactory(slug="snow", name="ServiceNow"),
        ConnectorFactory(slug="jira", name="Jira", kind="jira"),
    )
