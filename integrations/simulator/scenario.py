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


DEMO_SCENARIO: Final = Scenario(
    incidents=(
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
    ),
    issues=(
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
        ),
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
    ),
    quiet_configuration_items=frozenset({LENDING_API_CI}),
)

# A scenario with only background noise, for tests and benchmarks.
NOISE_ONLY: Final = Scenario()
