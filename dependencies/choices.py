from django.db import models


class NodeKind(models.TextChoices):
    CAPABILITY = "capability", "Business capability"
    SERVICE = "service", "Service"
    INTEGRATION = "integration", "Integration"
    INFRASTRUCTURE = "infrastructure", "Infrastructure"
    DATA = "data", "Data"
    VENDOR = "vendor", "Vendor"
    PROCESS = "process", "Process"


class State(models.TextChoices):
    """Ordered operational < degraded < blocked (DESIGN §2)."""

    OPERATIONAL = "operational", "Operational"
    DEGRADED = "degraded", "Degraded"
    BLOCKED = "blocked", "Blocked"


class Criticality(models.TextChoices):
    HARD = "hard", "Hard"
    SOFT = "soft", "Soft"


class NotifyRole(models.TextChoices):
    LEADERSHIP = "leadership", "Leadership"
    TEAM_LEAD = "team_lead", "Team leads"
    ADMIN = "admin", "Admins"
