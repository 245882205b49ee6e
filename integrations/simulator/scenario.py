"""What the simulated sources talk about: the demo story of DESIGN §5 and the background noise.

The demo seed links tickets to nodes by configuration item (ServiceNow ``cmdb_ci``), Jira
component and label, so the names here are the contract with ``seed_demo``: a node that should
collect tickets uses one of these names in a link rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

IncidentState = Literal["new", "in_progress", "on_hold", "resolved", "closed", "canceled"]
IssueStatus = Literal["To Do", "In Progress", "Blocked", "In Review", "Done", "Won't Do"]

# The integration at the heart of the demo story: no owner, tickets bounced between groups.
LENDING_API_CI: Final = "core-banking-lending-api"

DEMO_CONFIGURATION_ITEMS: Final = (
    LENDING_API_CI,
    "core-banking-ledger",
    "loan-origination-service",
    "credit-decision-engine",
    "credit-bureau-gateway",
    "kyc-verification",
    "mobile-banking-app",
    "online-banking-portal",
    "payments-gateway",
    "card-processing",
    "fraud-detection",
    "identity-provider",
    "api-gateway",
    "notification-service",
    "document-management",
    "data-warehouse",
    "email-gateway",
    "hr-portal",
)

DEMO_BUSINESS_SERVICES: Final = (
    "Digital Lending",
    "Retail Banking",
    "Payments",
    "Customer Identity",
    "Internal IT",
)

DEMO_ASSIGNMENT_GROUPS: Final = (
    "Service Desk",
    "Network Operations",
    "Database Administration",
    "Core Banking Support",
    "Lending Platform",
    "Mobile Apps",
    "Payments Operations",
    "Identity & Access",
    "Data Platform",
    "Cloud Infrastructure",
    "Security Operations",
    "Vendor Management",
)

DEMO_PEOPLE: Final = (
    "Amara Okafor",
    "Bilal Hassan",
    "Chen Wei",
    "Dana Kowalski",
    "Elena Petrova",
    "Farid Rahimi",
    "Grace Mensah",
    "Hiroshi Tanaka",
    "Ines Carvalho",
    "Jonas Berg",
    "Kavya Iyer",
    "Liam O'Connor",
    "Maya Cohen",
    "Noah Schmidt",
    "Olivia Brown",
    "Pablo Ruiz",
)


@dataclass(frozen=True, slots=True)
class JiraProject:
    key: str
    name: str
    components: tuple[str, ...]


DEMO_JIRA_PROJECTS: Final = (
    JiraProject(
        "LEND",
        "Digital Lending",
        ("lending-app", "loan-origination", "credit-decisioning", "core-banking-integration"),
    ),
    JiraProject("MOB", "Mobile Banking", ("ios-app", "android-app", "mobile-backend")),
    JiraProject("PAY", "Payments", ("payments-gateway", "card-processing", "reconciliation")),
)

NOISE_SYMPTOMS: Final = (
    "slow response times",
    "intermittent HTTP 500 errors",
    "users cannot log in",
    "nightly batch job failed",
    "disk usage above 90%",
    "TLS certificate expires soon",
    "timeouts calling downstream service",
    "report totals do not match",
    "memory usage keeps growing",
    "password reset emails not delivered",
    "queue backlog growing",
    "page renders without styles",
)

NOISE_LABELS: Final = ("customer-impact", "regression", "tech-debt", "security", "performance")


@dataclass(frozen=True, slots=True)
class ScenarioIncident:
    """A ServiceNow incident the demo story needs, with its history.

    ``assignment_groups`` is every group the incident went through, in order; the last one
    holds it now, and ``reassignment_count`` is one less than their number. Scenario tickets
    are never resolved by the random mutation, but open ones keep being bounced.
    """

    short_description: str
    configuration_item: str
    priority: int  # 1 Critical .. 5 Planning
    assignment_groups: tuple[str, ...]
    state: IncidentState
    opened_days_ago: float
    updated_days_ago: float
    business_service: str = ""
    close_code: str = ""
    made_sla: bool = True
    reopen_count: int = 0
    # Resolved this many minutes after it was opened (a P1 logged after the fact); by
    # default a resolved incident was resolved at its last update.
    resolved_minutes_after_open: float | None = None


@dataclass(frozen=True, slots=True)
class ScenarioIssue:
    """A Jira issue the demo story needs; ``assignees`` is its assignment history (None is
    unassigned), the last one holds it now."""

    project: str
    summary: str
    priority: str  # Highest, High, Medium, Low, Lowest
    status: IssueStatus
    opened_days_ago: float
    updated_days_ago: float
    labels: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    assignees: tuple[str | None, ...] = (None,)
    issue_type: str = "Bug"
    sla_breached: bool | None = None  # None: as the SLA clock of its priority says


@dataclass(frozen=True, slots=True)
class Scenario:
    incidents: tuple[ScenarioIncident, ...] = ()
    issues: tuple[ScenarioIssue, ...] = ()
    configuration_items: tuple[str, ...] = DEMO_CONFIGURATION_ITEMS
    assignment_groups: tuple[str, ...] = DEMO_ASSIGNMENT_GROUPS
    business_services: tuple[str, ...] = DEMO_BUSINESS_SERVICES
    people: tuple[str, ...] = DEMO_PEOPLE
    projects: tuple[JiraProject, ...] = DEMO_JIRA_PROJECTS
    # Background incidents of priority 1 or 2 never name these CIs, so that only the story's
    # own tickets block them.
    quiet_configuration_items: frozenset[str] = field(default_factory=frozenset)
    # Background tickets naming these CIs (ServiceNow) or in these projects (Jira) always
    # meet their SLA: the green SLAs around the story's blocked objective. Elsewhere about
    # one resolved ticket in eight breaches.
    sla_always_met: frozenset[str] = field(default_factory=frozenset)


# The lending side's SLAs are all green (DESIGN §2 green-red): background tickets on these
# CIs and in this Jira project always meet their SLA.
GREEN_SLA_SOURCES: Final = frozenset(
    {LENDING_API_CI, "core-banking-ledger", "payments-gateway", "kyc-verification", "LEND"}
)

# The story's tickets get the first numbers (INC0010001.., LEND-1..) in this order; the demo's
# texts (cataligent/demo_story.py) cite them and a test checks that they exist.
DEMO_SCENARIO: Final = Scenario(
    incidents=(
        # INC0010001: the open P1 on the integration, bounced through five groups; its SLA
        # clock is still green.
        ScenarioIncident(
            short_description=(
                "Loan applications fail: lending app calls to core banking API time out (504)"
            ),
            configuration_item=LENDING_API_CI,
            priority=1,
            assignment_groups=(
                "Service Desk",
                "Network Operations",
                "Core Banking Support",
                "Lending Platform",
                "Database Administration",
                "Service Desk",
            ),
            state="in_progress",
            opened_days_ago=18,
            updated_days_ago=0.5,
            business_service="Digital Lending",
        ),
        # INC0010002: resolved within SLA by Mobile Apps after four reassignments, while
        # the integration stayed blocked (resolved but still blocked; wrong department).
        ScenarioIncident(
            short_description=(
                "Core banking customer lookup returns stale credit limits to the lending app"
            ),
            configuration_item=LENDING_API_CI,
            priority=2,
            assignment_groups=(
                "Service Desk",
                "Database Administration",
                "Core Banking Support",
                "Network Operations",
                "Mobile Apps",
            ),
            state="resolved",
            opened_days_ago=25,
            updated_days_ago=11,
            business_service="Digital Lending",
            close_code="Solved (Work Around)",
        ),
        # INC0010003: closed within SLA by Security Operations after two reassignments.
        ScenarioIncident(
            short_description="Lending API integration: renew client certificate for core banking",
            configuration_item=LENDING_API_CI,
            priority=2,
            assignment_groups=("Service Desk", "Cloud Infrastructure", "Security Operations"),
            state="closed",
            opened_days_ago=32,
            updated_days_ago=27,
            business_service="Digital Lending",
            close_code="Solved (Permanently)",
        ),
        # INC0010004
        ScenarioIncident(
            short_description="Payments gateway: single card declined with code 05",
            configuration_item="payments-gateway",
            priority=4,
            assignment_groups=("Service Desk", "Payments Operations"),
            state="closed",
            opened_days_ago=6,
            updated_days_ago=5,
            business_service="Payments",
            close_code="Solved (Permanently)",
        ),
        # INC0010005: ping-pong: three reassignments and reopened twice, SLA breached.
        ScenarioIncident(
            short_description="Card processor settlement file rejected by the scheme again",
            configuration_item="card-processing",
            priority=3,
            assignment_groups=(
                "Payments Operations",
                "Vendor Management",
                "Payments Operations",
                "Service Desk",
            ),
            state="resolved",
            opened_days_ago=12,
            updated_days_ago=2,
            business_service="Payments",
            close_code="Solved (Work Around)",
            made_sla=False,
            reopen_count=2,
        ),
        # INC0010006: retro-logged: a P2 opened and resolved within three minutes.
        ScenarioIncident(
            short_description=(
                "Card processor: emergency BIN table fix applied (logged after the fact)"
            ),
            configuration_item="card-processing",
            priority=2,
            assignment_groups=("Payments Operations",),
            state="closed",
            opened_days_ago=4,
            updated_days_ago=3.9,
            business_service="Payments",
            close_code="Solved (Permanently)",
            resolved_minutes_after_open=3,
        ),
        # INC0010007: an orphan naming a CI that is no node of the map.
        ScenarioIncident(
            short_description="Loan contract PDFs render blank pages in the legacy generator",
            configuration_item="docgen-legacy",
            priority=3,
            assignment_groups=("Service Desk", "Lending App Support"),
            state="in_progress",
            opened_days_ago=5,
            updated_days_ago=1,
            business_service="Internal IT",
        ),
    ),
    issues=(
        # LEND-1: the blocker in Jira, on the integration; its SLA clock green.
        ScenarioIssue(
            project="LEND",
            summary="Loan application submit fails: core banking API integration returns 504",
            priority="Highest",
            status="Blocked",
            opened_days_ago=16,
            updated_days_ago=1,
            labels=(LENDING_API_CI, "blocker", "customer-impact"),
            components=("core-banking-integration",),
            assignees=("Maya Cohen", None, "Jonas Berg", None),
            sla_breached=False,
        ),
        # LEND-2
        ScenarioIssue(
            project="LEND",
            summary="Credit decisioning: switch to bureau score v2",
            priority="High",
            status="In Progress",
            opened_days_ago=12,
            updated_days_ago=2,
            labels=("credit-decision-engine",),
            components=("credit-decisioning",),
            assignees=("Kavya Iyer",),
            issue_type="Story",
        ),
        # LEND-3
        ScenarioIssue(
            project="LEND",
            summary="Mobile loan origination: KYC document upload screen",
            priority="Medium",
            status="In Progress",
            opened_days_ago=9,
            updated_days_ago=1.5,
            labels=("kyc-verification",),
            components=("loan-origination", "lending-app"),
            assignees=("Chen Wei",),
            issue_type="Story",
        ),
        # LEND-4
        ScenarioIssue(
            project="LEND",
            summary="Lending platform go-live checklist",
            priority="Medium",
            status="To Do",
            opened_days_ago=20,
            updated_days_ago=3,
            components=("lending-app",),
            issue_type="Task",
        ),
        # LEND-5: resolved within SLA, on a node of the blocked launch.
        ScenarioIssue(
            project="LEND",
            summary="Lending app: offer screen shows the old APR after a rate change",
            priority="High",
            status="Done",
            opened_days_ago=9,
            updated_days_ago=6,
            components=("lending-app",),
            assignees=("Chen Wei",),
            sla_breached=False,
        ),
    ),
    quiet_configuration_items=frozenset({LENDING_API_CI}),
    sla_always_met=GREEN_SLA_SOURCES,
)

# A scenario with only background noise, for tests and benchmarks.
NOISE_ONLY: Final = Scenario()
