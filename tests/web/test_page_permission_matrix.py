"""The permission matrix of DESIGN §2 for the pages, generated from the URLconf.

Every page URL (all but /api/, /admin/ and /static/) must have a `Route` here: the
first test fails otherwise, so a new page cannot skip the matrix. Each route is
requested by every role with real objects in its URL: anonymous → the login page,
connector pages → admins only, the rest as the policy says. Every write form is posted
by every role with valid values, including values that point at another team's objects;
a refusal is a 403 (or the form shown again with an error) and the row is unchanged.

Team A owns the objects in the URLs: `lead_a` leads the owning team, `lead_b` another.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cataligent.api_tokens import api_token_create
from cataligent.models import ApiToken, Team
from dependencies.models import Edge, Escalation, EscalationPolicy, Node
from integrations.models import Connector, LinkRule, SyncRun, Ticket, TicketLink
from objectives.models import Objective, StatusUpdate
from tests.factories import (
    ConnectorFactory,
    EscalationLevelFactory,
    EscalationPolicyFactory,
    NodeFactory,
    ObjectiveFactory,
)

pytestmark = pytest.mark.django_db

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


def _world(people: dict[str, Any]) -> World:
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


# --- Expectations --------------------------------------------------------------------------


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


def _none(w: World) -> dict[str, Any]:
    return {}


def _admin_token(w: World) -> ApiToken:
    token = ApiToken.objects.filter(user=w.people["admin"]).first()
    if token is None:
        api_token_create(user=w.people["admin"], name="the admin's")
        token = ApiToken.objects.get(user=w.people["admin"])
    return token


def _edge_a(w: World) -> Edge:
    """Team A's node depends on team B's (made on first use)."""
    edge, _created = Edge.objects.get_or_create(source=w.node_a, target=w.node_b)
    return edge


def _node_row(node: Callable[[World], Node]) -> Callable[[World], Any]:
    def snapshot(w: World) -> Any:
        return Node.objects.filter(pk=node(w).pk).values_list(
            "team_id", "owner_id", "escalation_policy_id", "manual_state"
        )[0]

    return snapshot


def _policy_row(policy: Callable[[World], EscalationPolicy]) -> Callable[[World], Any]:
    def snapshot(w: World) -> Any:
        p = EscalationPolicy.objects.get(pk=policy(w).pk)
        return (p.name, p.team_id, list(p.levels.values_list("after_minutes", "notify_role")))

    return snapshot


def _orphan(w: World) -> Ticket:
    return Ticket.objects.create(
        connector=w.connector,
        external_id="orphan",
        key="INC9",
        status_category="open",
        priority=3,
        ci="ledger",
        updated_at=dt.datetime.now(dt.UTC),
    )


def _levels(after_minutes: int = 15) -> dict[str, Any]:
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

_gap_node = _node_row(lambda w: w.gap)
_node_a = _node_row(lambda w: w.node_a)
_policy_a = _policy_row(lambda w: w.policy_a)
_shared = _policy_row(lambda w: w.shared_policy)
_connector_kwargs: Callable[[World], dict[str, Any]] = lambda w: {"slug": w.connector.slug}  # noqa: E731


ROUTES: dict[str, Route] = {
    # Open and session pages.
    "home": Route(
        _none,
        {
            "anonymous": LOGIN,
            # To the map (leadership), a team lead's team page, or the objectives.
            **dict.fromkeys(SIGNED_IN, 302),
        },
        no_writes="a redirect",
    ),
    "login": Route(_none, open_to_all(200), no_writes="signs in: no governed data"),
    "logout": Route(_none, POST_ONLY, no_writes="signs out: no governed data"),
    "health": Route(_none, open_to_all(200), no_writes="read-only"),
    "favicon": Route(_none, open_to_all(302), no_writes="a redirect to the icon"),
    # Without OIDC_ISSUER there is no single sign-on; tests/sso drives it with a provider.
    "sso-login": Route(_none, open_to_all(404), no_writes="signs in: no governed data"),
    "sso-callback": Route(_none, open_to_all(404), no_writes="signs in: no governed data"),
    "webhook": Route(
        _connector_kwargs,
        open_to_all(405),
        writes={
            # Authenticated by the connector's secret, not by a session: nobody's session
            # gets an unsigned delivery in.
            "unsigned delivery": Write(
                data=lambda w: {"number": "INC1"},
                allowed=set(),
                snapshot=lambda w: Ticket.objects.count(),
                kwargs=lambda w: {"slug": ConnectorFactory(slug="hooked").slug},
            ),
        },
    ),
    # Connectors: admins only, reading as well as writing.
    "connector-list": Route(_none, ADMINS, no_writes="read-only"),
    "connector-detail": Route(_connector_kwargs, ADMINS, no_writes="read-only"),
    "connector-runs": Route(_connector_kwargs, ADMINS, no_writes="read-only"),
    "link-rule-preview": Route(_connector_kwargs, ADMINS, no_writes="read-only"),
    # Without `since` an admin is told what is missing (400); nobody else gets that far.
    "connector-sync-status": Route(
        _connector_kwargs, {**ADMINS, "admin": 400}, no_writes="read-only"
    ),
    "connector-new": Route(
        _none,
        ADMINS,
        writes={
            "create": Write(
                data=lambda w: CONNECTOR_FORM,
                allowed={"admin"},
                snapshot=lambda w: list(Connector.objects.values_list("slug", flat=True)),
            )
        },
    ),
    "connector-edit": Route(
        _connector_kwargs,
        ADMINS,
        writes={
            "rename": Write(
                data=lambda w: {**CONNECTOR_FORM, "slug": "snow", "name": "Renamed"},
                allowed={"admin"},
                snapshot=lambda w: list(Connector.objects.values_list("slug", "name")),
            )
        },
    ),
    "connector-test": Route(
        _connector_kwargs,
        POST_ONLY,
        writes={
            "test the connection": Write(
                data=lambda w: {},
                allowed={"admin"},
                snapshot=lambda w: None,
                writes=False,
            )
        },
    ),
    "connector-sync": Route(
        _connector_kwargs,
        POST_ONLY,
        writes={
            "sync now": Write(
                data=lambda w: {"full": "1"},
                allowed={"admin"},
                snapshot=lambda w: SyncRun.objects.count(),
                writes=False,  # queued (eagerly run in tests); the disabled connector skips
            )
        },
    ),
    "link-rule-create": Route(
        _connector_kwargs,
        POST_ONLY,
        writes={
            "a rule onto team B's node": Write(
                data=lambda w: {"field": "ci", "pattern": "pay", "node": w.node_b.slug},
                allowed={"admin"},
                snapshot=lambda w: list(LinkRule.objects.values_list("pk", "node_id")),
            ),
            "a rule onto team A's node": Write(
                data=lambda w: {"field": "label", "pattern": "ledger", "node": w.node_a.slug},
                allowed={"admin"},
                snapshot=lambda w: list(LinkRule.objects.values_list("pk", "node_id")),
            ),
        },
    ),
    "link-rule-delete": Route(
        lambda w: {"slug": w.connector.slug, "pk": w.rule.pk},
        ADMINS,  # GET asks for confirmation
        writes={
            "delete": Write(
                data=lambda w: {},
                allowed={"admin"},
                snapshot=lambda w: LinkRule.objects.filter(pk=w.rule.pk).exists(),
            )
        },
    ),
    # A user's own API tokens: everyone has theirs, nobody reaches another's (a 404,
    # tested in tests/web/test_account_tokens_page.py).
    "account-tokens": Route(
        _none,
        everyone(),
        writes={
            "a token of one's own": Write(
                data=lambda w: {"name": "ci", "expires_in_days": "30"},
                allowed=set(SIGNED_IN),
                snapshot=lambda w: ApiToken.objects.count(),
            )
        },
    ),
    "account-token-revoke": Route(
        lambda w: {"pk": 1},
        POST_ONLY,
        writes={
            "the admin's token": Write(
                data=lambda w: {},
                allowed={"admin"},
                kwargs=lambda w: {"pk": _admin_token(w).pk},
                snapshot=lambda w: list(ApiToken.objects.values_list("pk", "revoked_at")),
                refused=404,
            )
        },
    ),
    # The leadership pages read the graph: every signed-in user.
    "map": Route(_none, everyone(), no_writes="read-only"),
    "map-graph": Route(_none, everyone(), no_writes="read-only"),
    "map-table": Route(_none, everyone(), no_writes="read-only"),
    "bottlenecks": Route(_none, everyone(), no_writes="read-only"),
    "dashboard": Route(_none, everyone(), no_writes="read-only"),
    "whatif": Route(_none, everyone(), no_writes="computes a scenario, writes nothing"),
    "single-points-of-failure": Route(_none, everyone(), no_writes="read-only"),
    "map-node-panel": Route(lambda w: {"slug": w.node_a.slug}, everyone(), no_writes="read-only"),
    "map-objective-panel": Route(
        lambda w: {"key": w.objective_a.key}, everyone(), no_writes="read-only"
    ),
    # The execution reports: every signed-in user (DESIGN §1, "not siloed").
    "reports:index": Route(_none, everyone(), no_writes="read-only"),
    "reports:detail": Route(lambda w: {"name": "green-red"}, everyone(), no_writes="read-only"),
    "reports:green-red-disconnects": Route(_none, everyone(), no_writes="read-only"),
    "reports:green-red-item": Route(
        lambda w: {"kind": "objective", "ref": w.objective_a.key}, everyone(), no_writes="read-only"
    ),
    "map-node-state": Route(
        lambda w: {"slug": w.node_a.slug},
        POST_ONLY,
        writes={
            "override team A's node": Write(
                data=lambda w: {"manual_state": "blocked", "manual_reason": "vendor outage"},
                allowed={"lead_a", "admin"},
                snapshot=_node_a,
            ),
        },
    ),
    # Leadership assigns and changes owning teams (it authorises resource shifts).
    "map-node-team": Route(
        lambda w: {"slug": w.node_a.slug},
        only("lead_a", "leadership", "admin"),
        writes={
            "claim a gap for team A": Write(
                kwargs=lambda w: {"slug": w.gap.slug},
                data=lambda w: {"team": "team-a", "confirmed": "on"},
                allowed={"lead_a", "leadership", "admin"},
                form_error={"lead_b"},  # offered only team B
                snapshot=_gap_node,
            ),
            "give team A's node to team B": Write(
                data=lambda w: {"team": "team-b", "confirmed": "on"},
                allowed={"leadership", "admin"},
                form_error={"lead_a"},  # offered only team A
                snapshot=_node_a,
            ),
        },
    ),
    # Lists and details: every signed-in user reads.
    "node-list": Route(_none, everyone(), no_writes="read-only"),
    "node-detail": Route(lambda w: {"slug": w.node_a.slug}, everyone(), no_writes="read-only"),
    "map-node-tickets": Route(lambda w: {"slug": w.node_a.slug}, everyone(), no_writes="read-only"),
    # A node's owner, escalation policy and dependencies: its team's lead and admins.
    "node-governance": Route(
        lambda w: {"slug": w.node_a.slug},
        POST_ONLY,
        writes={
            "set the owner of team A's node": Write(
                data=lambda w: {"owner": "lead_b", "escalation_policy": w.policy_a.pk},
                allowed={"lead_a", "admin"},
                snapshot=_node_a,
            ),
        },
    ),
    "node-dependency-add": Route(
        lambda w: {"slug": w.node_a.slug},
        POST_ONLY,
        writes={
            "team A's node depends on team B's": Write(
                data=lambda w: {
                    "target": w.node_b.slug,
                    "criticality": "hard",
                    "min_operational": "1",
                },
                allowed={"lead_a", "admin"},
                snapshot=lambda w: list(Edge.objects.values_list("source_id", "target_id")),
            ),
            "team B's node depends on team A's": Write(
                kwargs=lambda w: {"slug": w.node_b.slug},
                data=lambda w: {
                    "target": w.node_a.slug,
                    "criticality": "soft",
                    "min_operational": "1",
                },
                allowed={"lead_b", "admin"},
                snapshot=lambda w: list(Edge.objects.values_list("source_id", "target_id")),
            ),
        },
    ),
    "node-dependency-remove": Route(
        lambda w: {"slug": w.node_a.slug, "pk": _edge_a(w).pk},
        POST_ONLY,
        writes={
            "remove what team A's node depends on": Write(
                data=lambda w: {},
                allowed={"lead_a", "admin"},
                snapshot=lambda w: Edge.objects.filter(source=w.node_a).count(),
            ),
        },
    ),
    "objective-list": Route(_none, everyone(), no_writes="read-only"),
    "objective-detail": Route(
        lambda w: {"key": w.objective_a.key}, everyone(), no_writes="read-only"
    ),
    "objective-post-update": Route(
        lambda w: {"key": w.objective_a.key},
        POST_ONLY,
        writes={
            "a status update on team A's objective": Write(
                data=lambda w: {"rag": "amber", "summary": "vendor late"},
                allowed={"lead_a", "admin"},
                snapshot=lambda w: StatusUpdate.objects.count(),
            ),
        },
    ),
    "escalation-inbox": Route(_none, everyone(), no_writes="read-only"),
    "escalation-acknowledge": Route(
        lambda w: {"pk": w.escalation.pk},
        POST_ONLY,
        writes={
            "acknowledge (sent to team A's lead)": Write(
                data=lambda w: {"note": "on it"},
                allowed={"lead_a", "leadership", "admin"},
                snapshot=lambda w: Escalation.objects.filter(pk=w.escalation.pk).values_list(
                    "acknowledged_at", "note"
                )[0],
                htmx=True,
            ),
        },
    ),
    "ownership-gaps": Route(_none, everyone(), no_writes="read-only"),
    "ownership-gaps-assign": Route(
        _none,
        POST_ONLY,
        writes={
            "claim a gap for team A": Write(
                data=lambda w: {"items": f"node:{w.gap.pk}", "team": "team-a"},
                allowed={"lead_a", "leadership", "admin"},
                snapshot=_gap_node,
                htmx=True,
            ),
            "claim a gap and set its policy at once": Write(
                data=lambda w: {
                    "items": f"node:{w.gap.pk}",
                    "team": "team-a",
                    "escalation_policy": w.policy_a.name,
                },
                allowed={"lead_a", "admin"},  # leadership assigns the team, nothing else
                snapshot=_gap_node,
                htmx=True,
            ),
            "give team A's node to team B": Write(
                data=lambda w: {"items": f"node:{w.node_a.pk}", "team": "team-b"},
                allowed={"leadership", "admin"},
                snapshot=_node_a,
                htmx=True,
            ),
            "set the owner of team A's node": Write(
                data=lambda w: {"items": f"node:{w.node_a.pk}", "owner": "lead_b"},
                allowed={"lead_a", "admin"},
                snapshot=_node_a,
                htmx=True,
            ),
        },
    ),
    # Teams: everyone reads; a team's assignment groups are its lead's and admins'.
    "team-list": Route(_none, everyone(), no_writes="read-only"),
    "team-detail": Route(lambda w: {"slug": "team-a"}, everyone(), no_writes="read-only"),
    "team-assignment-groups": Route(
        lambda w: {"slug": "team-a"},
        POST_ONLY,
        writes={
            "team A's groups": Write(
                data=lambda w: {"assignment_groups": "Ledger Ops\nCore Banking"},
                allowed={"lead_a", "admin"},
                snapshot=lambda w: list(
                    Team.objects.filter(slug="team-a").values_list("assignment_groups")
                ),
            ),
        },
    ),
    # The orphan queue: everyone reads it; accepting a suggested link is making a link by
    # hand, allowed to the lead of the target's team and to admins.
    "reports:digest": Route(_none, everyone(), no_writes="read-only"),
    "reports:orphans": Route(_none, everyone(), no_writes="read-only; accepts post elsewhere"),
    "reports:orphans-accept": Route(
        _none,
        POST_ONLY,
        writes={
            "link an orphan to team A's node": Write(
                data=lambda w: {"ticket": _orphan(w).pk, "node": w.node_a.slug},
                allowed={"lead_a", "admin"},
                snapshot=lambda w: list(TicketLink.objects.values_list("ticket_id", "node_id")),
                htmx=True,
            ),
            "link an orphan to team B's node": Write(
                data=lambda w: {"ticket": _orphan(w).pk, "node": w.node_b.slug},
                allowed={"lead_b", "admin"},
                snapshot=lambda w: list(TicketLink.objects.values_list("ticket_id", "node_id")),
            ),
            "link an orphan to team A's objective": Write(
                data=lambda w: {"ticket": _orphan(w).pk, "objective": w.objective_a.key},
                allowed={"lead_a", "admin"},
                snapshot=lambda w: list(
                    TicketLink.objects.values_list("ticket_id", "objective_id")
                ),
            ),
        },
    ),
    "escalation-policies": Route(_none, everyone(), no_writes="read-only"),
    "escalation-level-row": Route(_none, everyone(), no_writes="an empty form row"),
    "escalation-policy-new": Route(
        _none,
        only("lead_a", "lead_b", "admin"),
        writes={
            "a policy for team A": Write(
                data=lambda w: {"name": "New", "team": w.people["team_a"].pk, **_levels()},
                allowed={"lead_a", "admin"},
                form_error={"lead_b"},
                snapshot=lambda w: list(EscalationPolicy.objects.values_list("name", flat=True)),
            ),
        },
    ),
    "escalation-policy-edit": Route(
        lambda w: {"pk": w.policy_a.pk},
        only("lead_a", "admin"),
        writes={
            "rename and rewrite the levels": Write(
                data=lambda w: {"name": "Renamed", "team": w.people["team_a"].pk, **_levels()},
                allowed={"lead_a", "admin"},
                snapshot=_policy_a,
            ),
            "give it to team B": Write(
                data=lambda w: (
                    {"name": "Team A policy", "team": w.people["team_b"].pk} | _levels(30)
                ),
                allowed={"admin"},
                form_error={"lead_a"},
                snapshot=_policy_a,
            ),
            "take its team away": Write(
                data=lambda w: {"name": "Team A policy", "team": ""} | _levels(30),
                allowed={"admin"},
                snapshot=_policy_a,
            ),
            "claim the shared policy team B uses and rewrite its levels": Write(
                kwargs=lambda w: {"pk": w.shared_policy.pk},
                data=lambda w: {"name": "Mine", "team": w.people["team_a"].pk, **_levels(1)},
                allowed={"admin"},
                snapshot=_shared,
            ),
        },
    ),
}


# --- The URLconf walk ----------------------------------------------------------------------


def _page_patterns(
    patterns: Any = None, prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str | None]]:
    """(route, name) of every page; a namespaced name as `reverse` takes it (`reports:orphans`)."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith(("api/", "admin/", "static/")):
            continue
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _page_patterns(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            yield route, f"{namespace}{pattern.name}" if pattern.name else None


def test_every_page_is_in_the_matrix() -> None:
    pages = list(_page_patterns())
    unnamed = [route for route, name in pages if not name]
    assert not unnamed, f"name these URL patterns so the matrix can list them: {unnamed}"
    names = {name for _route, name in pages}
    assert names - set(ROUTES) == set(), "add a Route for the new pages"
    assert set(ROUTES) - names == set(), "remove the Routes of pages that are gone"


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_every_route_lists_its_write_forms_or_says_why_it_has_none(name: str) -> None:
    route = ROUTES[name]
    assert set(route.get) == set(ROLES), name
    assert bool(route.writes) != bool(route.no_writes), name
    # A POST-only URL is a write form (signing out aside).
    assert route.get["member"] != 405 or route.writes or name == "logout", name


# --- The matrix ----------------------------------------------------------------------------


def _client(role: str, people: dict[str, Any]) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(people[role])
    return client


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(ROUTES))
def test_get(name: str, role: str, people: dict[str, Any]) -> None:
    world = _world(people)
    route = ROUTES[name]
    url = reverse(name, kwargs=route.kwargs(world))
    response = _client(role, people).get(url)
    want = route.get[role]
    if want == LOGIN:
        assert response.status_code == 302, (url, response.status_code)
        assert response["Location"].startswith("/login/"), response["Location"]
    else:
        assert response.status_code == want, (url, response.content[:300])


WRITES = [(name, label) for name, route in sorted(ROUTES.items()) for label in route.writes]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "label"), WRITES)
def test_post(name: str, label: str, role: str, people: dict[str, Any]) -> None:
    world = _world(people)
    route, write = ROUTES[name], ROUTES[name].writes[label]
    url = reverse(name, kwargs=(write.kwargs or route.kwargs)(world))
    data = write.data(world)
    before = write.snapshot(world)
    headers = {"HTTP_HX_REQUEST": "true"} if write.htmx else {}
    response = _client(role, people).post(url, data, **headers)
    body = response.content.decode(errors="replace")
    after = write.snapshot(world)

    if role in write.allowed:
        assert response.status_code in (200, 302), (url, response.status_code, body[:2000])
        if response.status_code == 302:
            assert not response["Location"].startswith("/login/")
        if write.writes:
            assert after != before, f"{role}: {label} was accepted but wrote nothing"
        return
    assert after == before, f"{role}: {label} was refused but written"
    if role == "anonymous" and name != "webhook":
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    elif role in write.form_error:
        assert response.status_code == 200, (url, response.status_code, body[:2000])
        assert "not one of the available choices" in body, "refused without saying why"
    else:
        assert response.status_code == write.refused, (url, response.status_code, body[:2000])
