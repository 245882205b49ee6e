"""The world the page permission matrix (tests/web/test_page_permission_matrix.py) runs in:
the roles, real objects for the URLs and forms (team A owns them), what each role may get
(:class:`Route`) and post (:class:`Write`), and the rows a write would change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cataligent.api_tokens import api_token_create
from cataligent.models import ApiToken
from dependencies.models import Edge, Escalation, EscalationPolicy, Node
from integrations.models import Connector, LinkRule, Ticket
from objectives.models import Objective
from tests.factories import (
    ConnectorFactory,
    EscalationLevelFactory,
    EscalationPolicyFactory,
    NodeFactory,
    ObjectiveFactory,
)

ROLES = ["anonymous", "member", "lead_b", "lead_a", "leadership", "admin"]
SIGNED_IN = ROLES[1:]
LOGIN = 0  # an expected "status": redirected to the login page


@dataclass
class World:
    """Real objects for the URL arguments and the forms."""

    people: dict[str, Any]
    node_a: Node
    node_b: Node
    gap: Node  # no owning team
    objective_a: Objective
    policy_a: EscalationPolicy
    shared_policy: EscalationPolicy  # no team; team B's node escalates through it
    connector: Connector
    rule: LinkRule
    escalation: Escalation


def make_world(people: dict[str, Any]) -> World:
    policy_a = EscalationPolicyFactory(name="Team A policy", team=people["team_a"])
    EscalationLevelFactory(policy=policy_a, after_minutes=30, notify_role="leadership")
    shared = EscalationPolicyFactory(name="Company standard", team=None)
    EscalationLevelFactory(policy=shared, after_minutes=60, notify_role="leadership")
    node_a = NodeFactory(
        slug="ledger", team=people["team_a"], owner=people["lead_a"], escalation_policy=policy_a
    )
    connector = ConnectorFactory(slug="snow", enabled=False)  # a sync now skips it: no HTTP
    now = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    return World(
        people=people,
        node_a=node_a,
        node_b=NodeFactory(slug="payments", team=people["team_b"], escalation_policy=shared),
        gap=NodeFactory(slug="lending-api", team=None),
        objective_a=ObjectiveFactory(key="OBJ-1", team=people["team_a"]),
        policy_a=policy_a,
        shared_policy=shared,
        connector=connector,
        rule=LinkRule.objects.create(
            connector=connector, field="ci", pattern="ledger", node=node_a
        ),
        escalation=Escalation.objects.create(
            node=node_a,
            episode_started_at=now,
            level=1,
            target_team=people["team_a"],
            target_display="Team A's lead",
            fired_at=now,
        ),
    )


def everyone(status: int = 200) -> dict[str, int]:
    """Every signed-in user (anonymous users are sent to sign in)."""
    return {"anonymous": LOGIN, **dict.fromkeys(SIGNED_IN, status)}


def only(*roles: str) -> dict[str, int]:
    return {"anonymous": LOGIN, **{r: 200 if r in roles else 403 for r in SIGNED_IN}}


def open_to_all(status: int) -> dict[str, int]:
    """Pages that need no sign-in (login, health, webhooks)."""
    return dict.fromkeys(ROLES, status)


ADMINS = only("admin")
POST_ONLY = everyone(405)


@dataclass
class Write:
    """One write form posted with valid values by every role."""

    data: Callable[[World], dict[str, Any]]
    allowed: set[str]
    # The rows the write would change; must stay equal when refused.
    snapshot: Callable[[World], Any]
    kwargs: Callable[[World], dict[str, Any]] | None = None  # other URL objects than the GET's
    # Roles refused by the form itself (a choice they are not offered): 200 and an error.
    form_error: set[str] = field(default_factory=set)
    htmx: bool = False
    writes: bool = True  # False: allowed, but changes no row (test a connection)
    # What a signed-in user who may not do it gets: 403, or 404 where the object is
    # only ever looked up among the user's own (API tokens).
    refused: int = 403


@dataclass
class Route:
    kwargs: Callable[[World], dict[str, Any]]
    get: dict[str, int]
    writes: dict[str, Write] = field(default_factory=dict)
    # A route without write forms says why.
    no_writes: str = ""


def no_kwargs(w: World) -> dict[str, Any]:
    return {}


def admin_token(w: World) -> ApiToken:
    token = ApiToken.objects.filter(user=w.people["admin"]).first()
    if token is None:
        api_token_create(user=w.people["admin"], name="the admin's")
        token = ApiToken.objects.get(user=w.people["admin"])
    return token


def edge_a(w: World) -> Edge:
    """Team A's node depends on team B's (made on first use)."""
    edge, _created = Edge.objects.get_or_create(source=w.node_a, target=w.node_b)
    return edge


def node_row(node: Callable[[World], Node]) -> Callable[[World], Any]:
    def snapshot(w: World) -> Any:
        return Node.objects.filter(pk=node(w).pk).values_list(
            "team_id", "owner_id", "escalation_policy_id", "manual_state"
        )[0]

    return snapshot


def policy_row(policy: Callable[[World], EscalationPolicy]) -> Callable[[World], Any]:
    def snapshot(w: World) -> Any:
        p = EscalationPolicy.objects.get(pk=policy(w).pk)
        return (p.name, p.team_id, list(p.levels.values_list("after_minutes", "notify_role")))

    return snapshot


def orphan_ticket(w: World) -> Ticket:
    return Ticket.objects.create(
        connector=w.connector,
        external_id="orphan",
        key="INC9",
        status_category="open",
        priority=3,
        ci="ledger",
        updated_at=dt.datetime.now(dt.UTC),
    )


def levels_form(after_minutes: int = 15) -> dict[str, Any]:
    return {
        "levels-TOTAL_FORMS": "1",
        "levels-INITIAL_FORMS": "0",
        "levels-0-after_minutes": str(after_minutes),
        "levels-0-notify": "role",
        "levels-0-role": "leadership",
    }


CONNECTOR_FORM = {
    "slug": "jira",
    "name": "Jira",
    "kind": "servicenow",
    "base_url": "https://acme.service-now.com",
    "auth_type": "basic",
    "username": "integration",
    "new_secret": "p4ssw0rd-secret",
    "query": "active=true",
    "poll_interval": "300",
    "enabled": "on",
    "blocking_priority": "2",
    "page_size": "100",
}


gap_node_row = node_row(lambda w: w.gap)
node_a_row = node_row(lambda w: w.node_a)
policy_a_row = policy_row(lambda w: w.policy_a)
shared_policy_row = policy_row(lambda w: w.shared_policy)


connector_kwargs: Callable[[World], dict[str, Any]] = lambda w: {"slug": w.connector.slug}  # noqa: E731
