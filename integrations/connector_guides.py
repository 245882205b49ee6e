"""What an admin needs to set up a connector of each kind, in one place per kind.

The connector form (templates/connectors/_guides.html) shows the selected kind's guide beside
the fields, and the Django admin's connector page shows them all. The facts the connector
classes already own are read from them, not copied: their label, auth types, options
(``option_help``), default status and priority maps and page size. What only a person setting
one up needs (an example base URL, what goes in the user and secret fields, what the query
means, where the webhook secret comes from) is written here. The README's "Sources" and
"Webhooks" sections stay the long-form reference.

Sources for the setup facts: /work/wt/shared/reference/itsm-apis.md and each connector
module's docstring (ServiceNow OAuth's ``/oauth_token.do``, Jira Cloud's email + API token and
Data Center's personal access tokens, RT REST2's ``token`` scheme, PagerDuty's REST API key
and v3 webhook signature, GitHub's ``X-Hub-Signature-256``, GitLab's ``X-Gitlab-Token``,
Zendesk's ``<email>/token`` sign-in and ``X-Zendesk-Webhook-Signature``, JSM Operations'
cloud id from ``/_edge/tenant_info``), and integrations/webhooks.py for the headers read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from integrations.connectors import CONNECTORS, connector_class
from integrations.models import AuthType, ConnectorKind

# Every connector's webhook also takes this signature, and the generic push shape with it.
CATALIGENT_SIGNATURE = "X-Cataligent-Signature: sha256=<hex of the HMAC-SHA256 of the body>"


@dataclass(frozen=True)
class AuthWay:
    """One auth type the kind takes, and what goes in the user and secret fields with it."""

    auth_type: str
    user: str
    secret: str

    @property
    def label(self) -> str:
        return AuthType(self.auth_type).label


@dataclass(frozen=True)
class KindGuide:
    kind: str
    label: str
    base_url: str
    base_url_note: str
    auth: tuple[AuthWay, ...]
    query: str  # "" when the kind takes no query: the field is then left empty
    query_example: str
    webhook_secret: str
    webhook_header: str
    options: Mapping[str, str]
    status_map: Mapping[str, str]
    status_note: str
    priority_map: Mapping[str, int]
    priority_note: str
    page_size: int


@dataclass(frozen=True)
class _Written:
    """The part of a guide written here (the rest comes from the connector class)."""

    base_url: str
    base_url_note: str
    auth: Mapping[str, tuple[str, str]]  # auth type -> (user, secret)
    query: str
    query_example: str
    webhook_secret: str
    webhook_header: str
    status_note: str = ""
    priority_note: str = ""


_NO_USER = "leave empty"
_OWN_SECRET = "a secret you choose, set here and in the script or relay that signs each delivery"

_WRITTEN: Mapping[str, _Written] = {
    "servicenow": _Written(
        base_url="https://<instance>.service-now.com",
        base_url_note="The instance's address; the Table API is under /api/now/table.",
        auth={
            "basic": ("the integration user's name", "its password"),
            "bearer": (_NO_USER, "an OAuth access token"),
            "oauth": (
                "the OAuth application's client id",
                "its client secret (tokens come from /oauth_token.do)",
            ),
        },
        query="An encoded query that narrows the table; empty reads every record.",
        query_example="active=true^assignment_group.name=Payments",
        webhook_secret="a secret you choose, set here and in the outbound REST message's script "
        "that signs each delivery (it sends the Table API record)",
        webhook_header=CATALIGENT_SIGNATURE,
        status_note="The incident table's state codes; the table option picks another table's.",
    ),
    "jira": _Written(
        base_url="https://<site>.atlassian.net",
        base_url_note="Jira Cloud; for Data Center, the server's address "
        "(e.g. https://jira.example.com).",
        auth={
            "basic": ("the account's email", "an API token of that account"),
            "bearer": (_NO_USER, "a Data Center personal access token"),
        },
        query="JQL that selects the issues (any ORDER BY is dropped).",
        query_example="project = OPS AND issuetype = Incident",
        webhook_secret="the secret you give the Jira webhook",
        webhook_header="X-Hub-Signature: sha256=<hex>",
        status_note="Statuses not in the map go by Jira's status category: To Do → open, "
        "In Progress → in_progress, Done → resolved.",
    ),
    "rt": _Written(
        base_url="https://rt.example.com",
        base_url_note="The RT 5 server's address; its REST2 API is under /REST/2.0.",
        auth={
            "token": ("the RT user's name (its time zone is read)", "an RT auth token"),
            "basic": ("the RT user's name", "its password"),
        },
        query="TicketSQL that selects the tickets.",
        query_example="Queue = 'Ops' AND Status != 'rejected'",
        webhook_secret="a secret you choose, set here and in the scrip that signs each delivery "
        "(it sends the ticket as REST2 returns it)",
        webhook_header=CATALIGENT_SIGNATURE,
        priority_note="Numeric priorities go by band: 80.. is 80 and over, 60..79 from 60 "
        "to 79, ..19 up to 19; names (High, Medium, Low) as they are.",
    ),
    "pagerduty": _Written(
        base_url="https://api.pagerduty.com",
        base_url_note="Always this address.",
        auth={"token": (_NO_USER, "a REST API key (sent as Token token=<key>)")},
        query="",
        query_example="",
        webhook_secret="the v3 webhook subscription's secret, shown once when it is created",
        webhook_header="X-PagerDuty-Signature: v1=<hex>",
        priority_note="An incident without a priority gets one by its urgency (options "
        "high_urgency_priority, low_urgency_priority).",
    ),
    "jsm_ops": _Written(
        base_url="https://api.atlassian.com/jsm/ops/api/<cloud id>",
        base_url_note="The cloud id is the UUID that "
        "https://<site>.atlassian.net/_edge/tenant_info gives.",
        auth={"basic": ("the Atlassian account's email", "an API token of that account")},
        query="An optional alert search (Lucene) that narrows every read.",
        query_example="priority: P1 AND tag: prod",
        webhook_secret="JSM Operations signs nothing: a relay in front of its Webhook "
        "integration signs each delivery with a secret you choose, set here too",
        webhook_header=CATALIGENT_SIGNATURE,
    ),
    "github": _Written(
        base_url="https://api.github.com",
        base_url_note="GitHub Enterprise Server: https://<host>/api (not /api/v3).",
        auth={
            "bearer": (_NO_USER, "a personal access token that can read the issues"),
            "token": (_NO_USER, "a personal access token that can read the issues"),
        },
        query="The one repository read, as owner/name.",
        query_example="acme/widgets",
        webhook_secret="the secret you give the repository's webhook (issues events)",
        webhook_header="X-Hub-Signature-256: sha256=<hex>",
        priority_note="Keys are issue labels, matched without regard to case; the highest wins.",
    ),
    "gitlab": _Written(
        base_url="https://gitlab.com",
        base_url_note="Or your GitLab instance's address.",
        auth={"bearer": (_NO_USER, "a personal, project or group access token (read_api)")},
        query="The one project read, as its full path.",
        query_example="group/subgroup/project",
        webhook_secret="the Secret token you give the project's webhook (Issues events)",
        webhook_header="X-Gitlab-Token: <the secret token itself>",
        priority_note="Keys are issue labels, matched without regard to case; the highest wins.",
    ),
    "zendesk": _Written(
        base_url="https://<subdomain>.zendesk.com",
        base_url_note="Your Zendesk account's address.",
        auth={
            "basic": ("<an admin's email>/token", "that admin's API token"),
            "bearer": (_NO_USER, "an OAuth access token of an admin"),
        },
        query="",
        query_example="",
        webhook_secret="the webhook's signing secret (Admin Center → Webhooks)",
        webhook_header="X-Zendesk-Webhook-Signature (with its …-Timestamp)",
        priority_note="A ticket without a priority gets the no_priority option's (3).",
    ),
}

# The order of the kind menu (the model's choices), which the guides follow.
KINDS: tuple[str, ...] = tuple(ConnectorKind.values)


def guide_for(kind: str) -> KindGuide:
    """The setup guide of `kind`; ConfigurationError for an unknown kind."""
    klass = connector_class(kind)
    written = _WRITTEN[kind]
    ways = [AuthWay(a, *written.auth[a]) for a in AuthType.values if a in klass.auth_types]
    return KindGuide(
        kind=kind,
        label=ConnectorKind(kind).label,
        base_url=written.base_url,
        base_url_note=written.base_url_note,
        auth=tuple(ways),
        query=written.query,
        query_example=written.query_example,
        webhook_secret=written.webhook_secret,
        webhook_header=written.webhook_header,
        options=dict(klass.option_help),
        status_map=dict(klass.default_status_map),
        status_note=written.status_note,
        priority_map=dict(klass.default_priority_map),
        priority_note=written.priority_note,
        page_size=klass.default_page_size,
    )


def all_guides() -> list[KindGuide]:
    return [guide_for(kind) for kind in KINDS]


def guides_context(selected_kind: object) -> dict[str, object]:
    """The template context of templates/connectors/_guides.html."""
    kind = selected_kind if selected_kind in KINDS else ""
    return {
        "guides": all_guides(),
        "selected_kind": kind,
        "selected_label": ConnectorKind(kind).label if kind else "",
    }


def check_complete() -> list[str]:
    """What is missing: a kind without a written guide, or an auth type without its words."""
    problems = [f"no guide for {kind!r}" for kind in CONNECTORS if kind not in _WRITTEN]
    for kind, written in _WRITTEN.items():
        missing = set(CONNECTORS[kind].auth_types) - set(written.auth)
        problems += [f"{kind}: no words for auth {a!r}" for a in sorted(missing)]
    return problems
