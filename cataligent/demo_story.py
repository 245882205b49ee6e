"""The demo story of DESIGN §5, as plain data: a financial services firm whose
digital lending launch is stuck on an integration nobody owns, while every
SLA around it is green.
"""

from __future__ import annotations

# (slug, name, lead username, members)
TEAMS = [
    ("digital-lending", "Digital Lending", "lead", ["lead", "priya", "tom"]),
    ("core-banking", "Core Banking Platform", "marta", ["marta", "olu"]),
    ("payments", "Payments", "kenji", ["kenji", "sara"]),
    ("mobile", "Mobile Apps", "lucas", ["lucas", "ana"]),
    ("data-platform", "Data Platform", "ines", ["ines", "raj"]),
    ("risk-credit", "Risk & Credit", "noah", ["noah", "emma"]),
    ("cloud-infra", "Cloud Infrastructure", "chen", ["chen", "ivan"]),
    ("security", "Security & Identity", "fatima", ["fatima"]),
    ("customer-ops", "Customer Operations", "grace", ["grace", "leo"]),
    ("wealth", "Wealth Management", "hugo", ["hugo"]),
]

# team slug -> the ITSM assignment groups that belong to it (Team.assignment_groups).
# "Vendor Management" belongs to no team.
TEAM_GROUPS = {
    "digital-lending": ["Lending Platform", "Lending App Support"],
    "core-banking": ["Core Banking Support", "Database Administration"],
    "payments": ["Payments Operations"],
    "mobile": ["Mobile Apps"],
    "data-platform": ["Data Platform"],
    "risk-credit": ["Credit Risk Engineering"],
    "cloud-infra": ["Cloud Infrastructure", "Network Operations"],
    "security": ["Security Operations", "Identity & Access"],
    "customer-ops": ["Service Desk"],
    "wealth": ["Wealth Platform"],
}

# name -> (team slug, [(after_minutes, kind, target)])
POLICIES = {
    "Lending standard": (
        "digital-lending",
        [(30, "team", "digital-lending"), (240, "role", "leadership")],
    ),
    "Core platform on-call": (
        "core-banking",
        [(15, "team", "core-banking"), (120, "team", "cloud-infra"), (480, "role", "leadership")],
    ),
    "Payments critical": ("payments", [(10, "user", "kenji"), (60, "role", "leadership")]),
    "Infrastructure default": (
        "cloud-infra",
        [(30, "team", "cloud-infra"), (240, "role", "leadership")],
    ),
    "Business default": (None, [(60, "role", "leadership")]),
}

# slug -> (name, kind, team, owner, policy, description)
NODES: dict[str, tuple[str, str, str | None, str | None, str | None, str]] = {
    # Business capabilities
    "mobile-loan-origination": (
        "Mobile loan origination",
        "capability",
        "digital-lending",
        "lead",
        "Lending standard",
        "Customers apply for a loan in the mobile app and get an offer.",
    ),
    "credit-decisioning": (
        "Credit decisioning",
        "capability",
        "risk-credit",
        "noah",
        "Business default",
        "Automated credit decisions within two minutes.",
    ),
    "loan-disbursement": (
        "Loan disbursement",
        "capability",
        "payments",
        "kenji",
        "Payments critical",
        "Approved loans are paid out the same day.",
    ),
    "customer-onboarding": (
        "Customer onboarding",
        "capability",
        "customer-ops",
        "grace",
        "Business default",
        "New customers pass KYC and open an account.",
    ),
    "instant-payments": (
        "Instant payments",
        "capability",
        "payments",
        "kenji",
        "Payments critical",
        "Real-time transfers between accounts and banks.",
    ),
    "card-issuing": (
        "Card issuing",
        "capability",
        "payments",
        "sara",
        "Payments critical",
        "Virtual and physical cards issued on demand.",
    ),
    "fraud-detection": (
        "Fraud detection",
        "capability",
        "risk-credit",
        "emma",
        "Business default",
        "Card and transfer fraud is caught in real time.",
    ),
    "regulatory-reporting": (
        "Regulatory reporting",
        "capability",
        "data-platform",
        "ines",
        "Business default",
        "Monthly and quarterly filings to the regulator.",
    ),
    "customer-support": (
        "Customer support",
        "capability",
        "customer-ops",
        "leo",
        "Business default",
        "Agents see the customer's products and history.",
    ),
    "wealth-advisory": (
        "Digital wealth advisory",
        "capability",
        "wealth",
        "hugo",
        "Business default",
        "Robo-advice portfolios for retail customers.",
    ),
    "account-servicing": (
        "Account servicing",
        "capability",
        "core-banking",
        "marta",
        "Core platform on-call",
        "Balances, statements and account changes.",
    ),
    "open-banking-apis": (
        "Open banking APIs",
        "capability",
        "core-banking",
        "olu",
        "Core platform on-call",
        "PSD2 access for third-party providers.",
    ),
    # Technical dependencies
    "core-banking-lending-api": (
        "Core banking ↔ lending app API integration",
        "integration",
        None,
        None,
        None,
        "Books loans from the lending app into the core ledger. Built by a project team that has since been disbanded.",
    ),
    "lending-app": (
        "Lending app (mobile)",
        "service",
        "digital-lending",
        "lead",
        "Lending standard",
        "The customer-facing lending journey in the mobile app.",
    ),
    "lending-backend": (
        "Lending backend",
        "service",
        "digital-lending",
        "priya",
        "Lending standard",
        "Loan applications, offers and contracts.",
    ),
    "credit-scoring": (
        "Credit scoring service",
        "service",
        "risk-credit",
        "noah",
        "Business default",
        "Scores applications with the bureau data.",
    ),
    "credit-bureau-feed": (
        "Credit bureau feed",
        "vendor",
        "risk-credit",
        "emma",
        "Business default",
        "Experian / Equifax bureau lookups.",
    ),
    "kyc-vendor": (
        "Identity verification (KYC vendor)",
        "vendor",
        "security",
        "fatima",
        "Business default",
        "Document and selfie checks.",
    ),
    "core-ledger": (
        "Core banking ledger",
        "service",
        "core-banking",
        "marta",
        "Core platform on-call",
        "System of record for accounts and loans.",
    ),
    "core-banking-db": (
        "Core banking database",
        "data",
        "core-banking",
        "olu",
        "Core platform on-call",
        "Primary Oracle cluster.",
    ),
    "core-banking-db-replica": (
        "Core banking database replica",
        "data",
        "core-banking",
        "olu",
        "Core platform on-call",
        "Standby in the second data centre.",
    ),
    "payment-gateway": (
        "Payment gateway",
        "service",
        "payments",
        "kenji",
        "Payments critical",
        "Routes outgoing payments.",
    ),
    "sepa-instant-link": (
        "SEPA Instant connection",
        "integration",
        "payments",
        "sara",
        "Payments critical",
        "Scheme connection for instant transfers.",
    ),
    "swift-link": (
        "SWIFT connection",
        "integration",
        "payments",
        "sara",
        "Payments critical",
        "Fallback for international transfers.",
    ),
    "card-processor": (
        "Card processor",
        "vendor",
        "payments",
        "sara",
        "Payments critical",
        "Third-party card processing.",
    ),
    "fraud-engine": (
        "Fraud scoring engine",
        "service",
        "risk-credit",
        "emma",
        "Business default",
        "Real-time fraud models.",
    ),
    "event-bus": (
        "Event bus (Kafka)",
        "infrastructure",
        "cloud-infra",
        "chen",
        "Infrastructure default",
        "Company-wide event streaming.",
    ),
    "data-warehouse": (
        "Data warehouse",
        "data",
        "data-platform",
        "raj",
        "Business default",
        "Reporting and analytics store.",
    ),
    "etl-pipelines": (
        "ETL pipelines",
        "process",
        "data-platform",
        "raj",
        "Business default",
        "Nightly loads into the warehouse.",
    ),
    "identity-provider": (
        "Identity provider (SSO)",
        "service",
        "security",
        "fatima",
        "Business default",
        "Customer and staff sign-in.",
    ),
    "api-gateway": (
        "API gateway",
        "infrastructure",
        "cloud-infra",
        "ivan",
        "Infrastructure default",
        "Edge routing and rate limiting.",
    ),
    "kubernetes-eu1": (
        "Kubernetes cluster eu-1",
        "infrastructure",
        "cloud-infra",
        "chen",
        "Infrastructure default",
        "Primary container platform.",
    ),
    "kubernetes-eu2": (
        "Kubernetes cluster eu-2",
        "infrastructure",
        "cloud-infra",
        "ivan",
        "Infrastructure default",
        "Second region.",
    ),
    "crm": (
        "CRM",
        "service",
        "customer-ops",
        "grace",
        "Business default",
        "Customer records for agents.",
    ),
    "contact-centre": (
        "Contact centre platform",
        "vendor",
        "customer-ops",
        "leo",
        "Business default",
        "Telephony and chat.",
    ),
    "mobile-app": (
        "Retail mobile app",
        "service",
        "mobile",
        "lucas",
        "Business default",
        "The main banking app.",
    ),
    "push-notifications": (
        "Push notification service",
        "service",
        "mobile",
        "ana",
        "Business default",
        "Alerts to customers' phones.",
    ),
    "portfolio-engine": (
        "Portfolio engine",
        "service",
        "wealth",
        "hugo",
        "Business default",
        "Rebalancing and model portfolios.",
    ),
    "market-data-feed": (
        "Market data feed",
        "vendor",
        "wealth",
        None,
        None,
        "Prices from the market data vendor.",
    ),
    "document-service": (
        "Document generation",
        "service",
        "digital-lending",
        "tom",
        "Lending standard",
        "Loan contracts and statements.",
    ),
    "e-signature": (
        "E-signature vendor",
        "vendor",
        "digital-lending",
        "tom",
        "Lending standard",
        "Customers sign contracts online.",
    ),
    "open-banking-gateway": (
        "Open banking gateway",
        "service",
        "core-banking",
        "olu",
        "Core platform on-call",
        "TPP consent and access.",
    ),
    "regulator-portal": (
        "Regulator filing portal",
        "vendor",
        "data-platform",
        "ines",
        "Business default",
        "Submission of regulatory returns.",
    ),
}

# (source, target, criticality, redundancy group, min_operational)
EDGES = [
    ("mobile-loan-origination", "lending-app", "hard", "", 1),
    ("mobile-loan-origination", "lending-backend", "hard", "", 1),
    ("mobile-loan-origination", "core-banking-lending-api", "hard", "", 1),
    ("mobile-loan-origination", "kyc-vendor", "hard", "", 1),
    ("mobile-loan-origination", "push-notifications", "soft", "", 1),
    ("credit-decisioning", "credit-scoring", "hard", "", 1),
    ("credit-decisioning", "core-banking-lending-api", "hard", "", 1),
    ("credit-scoring", "credit-bureau-feed", "hard", "", 1),
    ("credit-scoring", "data-warehouse", "soft", "", 1),
    ("loan-disbursement", "payment-gateway", "hard", "", 1),
    ("loan-disbursement", "core-banking-lending-api", "hard", "", 1),
    ("loan-disbursement", "document-service", "hard", "", 1),
    ("document-service", "e-signature", "hard", "", 1),
    ("lending-app", "mobile-app", "hard", "", 1),
    ("lending-app", "api-gateway", "hard", "", 1),
    ("lending-backend", "kubernetes-eu1", "hard", "k8s", 1),
    ("lending-backend", "kubernetes-eu2", "hard", "k8s", 1),
    ("lending-backend", "event-bus", "soft", "", 1),
    ("core-banking-lending-api", "core-ledger", "hard", "", 1),
    ("core-banking-lending-api", "api-gateway", "hard", "", 1),
    ("core-ledger", "core-banking-db", "hard", "db", 1),
    ("core-ledger", "core-banking-db-replica", "hard", "db", 1),
    ("customer-onboarding", "kyc-vendor", "hard", "", 1),
    ("customer-onboarding", "identity-provider", "hard", "", 1),
    ("customer-onboarding", "core-ledger", "hard", "", 1),
    ("customer-onboarding", "crm", "soft", "", 1),
    ("instant-payments", "payment-gateway", "hard", "", 1),
    ("instant-payments", "fraud-engine", "hard", "", 1),
    ("payment-gateway", "sepa-instant-link", "hard", "rails", 1),
    ("payment-gateway", "swift-link", "hard", "rails", 1),
    ("payment-gateway", "core-ledger", "hard", "", 1),
    ("payment-gateway", "kubernetes-eu1", "hard", "k8s", 1),
    ("payment-gateway", "kubernetes-eu2", "hard", "k8s", 1),
    ("card-issuing", "card-processor", "hard", "", 1),
    ("card-issuing", "core-ledger", "hard", "", 1),
    ("card-issuing", "mobile-app", "soft", "", 1),
    ("fraud-detection", "fraud-engine", "hard", "", 1),
    ("fraud-engine", "event-bus", "hard", "", 1),
    ("fraud-engine", "data-warehouse", "soft", "", 1),
    ("regulatory-reporting", "data-warehouse", "hard", "", 1),
    ("regulatory-reporting", "regulator-portal", "hard", "", 1),
    ("data-warehouse", "etl-pipelines", "hard", "", 1),
    ("etl-pipelines", "core-banking-db-replica", "hard", "", 1),
    ("customer-support", "crm", "hard", "", 1),
    ("customer-support", "contact-centre", "hard", "", 1),
    ("customer-support", "core-ledger", "soft", "", 1),
    ("wealth-advisory", "portfolio-engine", "hard", "", 1),
    ("wealth-advisory", "identity-provider", "hard", "", 1),
    ("portfolio-engine", "market-data-feed", "hard", "", 1),
    ("account-servicing", "core-ledger", "hard", "", 1),
    ("account-servicing", "mobile-app", "hard", "", 1),
    ("open-banking-apis", "open-banking-gateway", "hard", "", 1),
    ("open-banking-gateway", "api-gateway", "hard", "", 1),
    ("open-banking-gateway", "identity-provider", "hard", "", 1),
    ("mobile-app", "api-gateway", "hard", "", 1),
    ("mobile-app", "identity-provider", "hard", "", 1),
    ("api-gateway", "kubernetes-eu1", "hard", "k8s", 1),
    ("api-gateway", "kubernetes-eu2", "hard", "k8s", 1),
    ("crm", "kubernetes-eu1", "hard", "", 1),
]

# key -> (title, team, owner, value at stake per week, declared status, policy, [(node, criticality)], description)
OBJECTIVES = [
    (
        "OBJ-1",
        "Launch digital lending platform",
        "digital-lending",
        "lead",
        153846,
        "on_track",
        "Lending standard",
        [
            ("mobile-loan-origination", "hard"),
            ("credit-decisioning", "hard"),
            ("loan-disbursement", "hard"),
        ],
        "$2M of new lending revenue this quarter. Every SLA around it is green; the launch is not moving.",
    ),
    (
        "OBJ-2",
        "Grow instant payments volume 30%",
        "payments",
        "kenji",
        60000,
        "on_track",
        "Payments critical",
        [("instant-payments", "hard"), ("fraud-detection", "soft")],
        "",
    ),
    (
        "OBJ-3",
        "Cut onboarding time to 10 minutes",
        "customer-ops",
        "grace",
        25000,
        "at_risk",
        "Business default",
        [("customer-onboarding", "hard")],
        "",
    ),
    (
        "OBJ-4",
        "Launch virtual cards",
        "payments",
        "sara",
        40000,
        "on_track",
        "Payments critical",
        [("card-issuing", "hard"), ("fraud-detection", "hard")],
        "",
    ),
    (
        "OBJ-5",
        "Pass the Q4 regulatory audit",
        "data-platform",
        "ines",
        90000,
        "on_track",
        "Business default",
        [("regulatory-reporting", "hard")],
        "Fines and a public reprimand if filings are late.",
    ),
    (
        "OBJ-6",
        "Reduce fraud losses by 20%",
        "risk-credit",
        "emma",
        35000,
        "on_track",
        "Business default",
        [("fraud-detection", "hard")],
        "",
    ),
    (
        "OBJ-7",
        "Launch robo-advice to retail",
        "wealth",
        "hugo",
        20000,
        "at_risk",
        "Business default",
        [("wealth-advisory", "hard")],
        "",
    ),
    (
        "OBJ-8",
        "Raise support CSAT to 4.5",
        "customer-ops",
        "leo",
        8000,
        "on_track",
        "Business default",
        [("customer-support", "hard")],
        "",
    ),
    (
        "OBJ-9",
        "Open banking partner programme",
        "core-banking",
        "olu",
        30000,
        "on_track",
        "Core platform on-call",
        [("open-banking-apis", "hard"), ("account-servicing", "soft")],
        "",
    ),
    (
        "OBJ-10",
        "Self-service account changes in the app",
        "mobile",
        "lucas",
        12000,
        "on_track",
        "Business default",
        [("account-servicing", "hard")],
        "",
    ),
    (
        "OBJ-11",
        "Same-day loan payouts",
        "payments",
        "kenji",
        45000,
        "on_track",
        "Payments critical",
        [("loan-disbursement", "hard")],
        "",
    ),
    (
        "OBJ-12",
        "Automated credit limit increases",
        "risk-credit",
        "noah",
        18000,
        "on_track",
        "Business default",
        [("credit-decisioning", "hard")],
        "",
    ),
]

# Manual overrides that tell the story until tickets arrive from the ITSM tools:
# slug -> (state, reason)
# The tickets cited are the simulator's story tickets (integrations/simulator/scenario.py).
OVERRIDES = {
    "core-banking-lending-api": (
        "blocked",
        "Loan bookings fail at the core-banking handoff. INC0010001 has been bounced through "
        "five groups; INC0010002 was resolved by Mobile Apps within SLA while the fault "
        "remains (also LEND-1).",
    ),
    # Blocked with no ticket anywhere, and no status update: worked by e-mail.
    "market-data-feed": (
        "blocked",
        "The vendor's feed has delivered stale prices for over two weeks; chased by e-mail "
        "with the vendor, no ticket raised.",
    ),
}

# When each root cause began (days before the seed): the items it blocks or degrades were
# blocked or degraded from then on, in blocked-since and in the state history alike.
ROOT_CAUSE_SINCE_DAYS = {
    "core-banking-lending-api": 18,
    "market-data-feed": 16,
}

# The graph and the objectives were modelled this many days before the seed.
MODELLED_DAYS_AGO = 90

# (objective key, author, rag, summary, days ago): a green update over a blocked objective.
STATUS_UPDATES = [
    (
        "OBJ-1",
        "lead",
        "green",
        "On track for launch: every lending ticket this month was resolved within SLA.",
        3,
    ),
]

KEY_RESULTS = {
    "OBJ-1": [
        ("Loans originated in the app", 0, 4000, 310, "loans"),
        ("Time to decision", 48, 0.05, 30, "hours"),
    ],
    "OBJ-2": [("Monthly instant payments", 1.2, 1.56, 1.41, "M")],
    "OBJ-3": [("Median onboarding time", 35, 10, 22, "min")],
    "OBJ-5": [("Filings on time", 0, 12, 9, "filings")],
}

DEMO_USERS = [
    ("leader", "leadership", "Lena", "Leader"),
    ("lead", "team_lead", "Liam", "Lending-Lead"),
    ("admin", "admin", "Ada", "Admin"),
]

# The ITSM sources of the demo: the local simulator (`manage.py simulate_itsm`).
# slug -> (name, kind, username, secret, query, options)
CONNECTORS = {
    "servicenow": (
        "ServiceNow (simulated)",
        "servicenow",
        "admin",
        "admin",
        "active=true^ORactive=false",
        {},
    ),
    "jira": (
        "Jira Service Management (simulated)",
        "jira",
        "integration@example.com",
        "jira-api-token",
        "project in (LEND, MOB, PAY)",
        # The simulated JSM's "Time to resolution" SLA field.
        {"sla_fields": ["customfield_10030"]},
    ),
    # The on-call pages of the story (integrations/simulator/oncall.py): PagerDuty has no
    # query language, and its services are named after the systems, so the "ci" rules
    # below attach them.
    "pagerduty": ("PagerDuty (simulated)", "pagerduty", "", "pagerduty-api-key", "", {}),
}
# How each connector signs in, where not with a username and password.
CONNECTOR_AUTH = {"pagerduty": "token"}  # "Authorization: Token token=<REST API key>"

# (field, pattern, node slug): which tickets attach to which dependency.
LINK_RULES = [
    ("ci", "core-banking-lending-api", "core-banking-lending-api"),
    ("component", "core-banking-integration", "core-banking-lending-api"),
    ("label", "core-banking-lending-api", "core-banking-lending-api"),
    ("ci", "core-banking-ledger", "core-ledger"),
    ("ci", "payments-gateway", "payment-gateway"),
    ("ci", "card-processing", "card-processor"),
    ("ci", "kyc-verification", "kyc-vendor"),
    ("component", "lending-app", "lending-app"),
]

# The lending integration has been failing since the first P1 incident, 18 days ago.
BLOCKED_FOR_DAYS = ROOT_CAUSE_SINCE_DAYS["core-banking-lending-api"]
