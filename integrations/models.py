from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from cataligent.crypto import decrypt, encrypt
from cataligent.leases import Leased
from cataligent.modeling import exactly_one_of
from integrations.connectors import default_page_size
from integrations.title_patterns import BadPattern, TitlePattern


class ConnectorKind(models.TextChoices):
    SERVICENOW = "servicenow", "ServiceNow"
    JIRA = "jira", "Jira Service Management"
    RT = "rt", "Request Tracker"
    PAGERDUTY = "pagerduty", "PagerDuty"
    JSM_OPS = "jsm_ops", "Jira Service Management Operations alerts"
    GITHUB = "github", "GitHub issues"
    GITLAB = "gitlab", "GitLab issues"
    ZENDESK = "zendesk", "Zendesk"


class AuthType(models.TextChoices):
    BASIC = "basic", "Basic (user and password or API token)"
    TOKEN = "token", "Token (Request Tracker, PagerDuty REST API key)"
    BEARER = "bearer", "Bearer (a given OAuth token or personal access token)"
    OAUTH = "oauth", "OAuth client credentials (ServiceNow)"


class StatusCategory(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_CATEGORIES = (StatusCategory.OPEN, StatusCategory.IN_PROGRESS)


class Connector(Leased):
    """An admin-configured ITSM source. Its secrets are stored encrypted and never shown."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=ConnectorKind.choices)
    base_url = models.URLField(max_length=500)
    auth_type = models.CharField(max_length=10, choices=AuthType.choices, default=AuthType.BASIC)
    username = models.CharField(max_length=200, blank=True)
    secret_encrypted = models.TextField(blank=True, editable=False)
    webhook_secret_encrypted = models.TextField(blank=True, editable=False)
    query = models.TextField(
        blank=True,
        help_text=(
            "What selects the tickets: a ServiceNow encoded query, JQL, TicketSQL, a Jira "
            "Service Management Operations alert query (Lucene), a GitHub repository "
            "(owner/name) or a GitLab project path (group/project). PagerDuty and Zendesk: none."
        ),
    )
    poll_interval = models.PositiveIntegerField(
        default=300, help_text="Seconds between scheduled syncs."
    )
    enabled = models.BooleanField(default=True)
    blocking_priority = models.PositiveSmallIntegerField(
        default=2, help_text="Active tickets at this priority or higher (1 = highest) block."
    )
    blocker_labels = models.JSONField(
        default=list, blank=True, help_text="Labels or components that mark a ticket a blocker."
    )
    status_map = models.JSONField(default=dict, blank=True)
    priority_map = models.JSONField(default=dict, blank=True)
    options = models.JSONField(default=dict, blank=True)
    page_size = models.PositiveIntegerField(
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Records asked for a page. Leave blank for the tool's default, chosen from "
        "its API's limits: 1,000 for ServiceNow and Zendesk, 100 for the others.",
    )

    # Sync state, written only by the sync service.
    cursor = models.JSONField(null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_attempt_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    # Its lease (cataligent/leases.py): one run at a time; a dead worker's runs out and the
    # next run resumes from the committed cursor.
    # A sync asked for while another run held the connector, or owed after a run that did
    # not finish: the scheduler queues it as soon as the connector is free.
    sync_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    sync_requested_full = models.BooleanField(default=False, editable=False)
    # The last full reconciliation (settings.SYNC_RECONCILE_HOUR).
    reconciled_at = models.DateTimeField(null=True, blank=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ConnectorKind.values), name="connector_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(auth_type__in=AuthType.values), name="connector_auth_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(blocking_priority__gte=1, blocking_priority__lte=5),
                name="connector_blocking_priority_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(poll_interval__gte=10), name="connector_poll_interval_at_least_10s"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.page_size is None and self.kind in ConnectorKind.values:
            # No page size given: the tool's own default, decided by kind (not one number
            # for all: ServiceNow serves pages a hundred times larger than Jira).
            self.page_size = default_page_size(self.kind)
        super().save(*args, **kwargs)

    # Secrets: write-only from the outside; decrypted only to make a request.
    def set_secret(self, value: str) -> None:
        self.secret_encrypted = encrypt(value) if value else ""

    def get_secret(self) -> str:
        return decrypt(self.secret_encrypted) if self.secret_encrypted else ""

    def set_webhook_secret(self, value: str) -> None:
        self.webhook_secret_encrypted = encrypt(value) if value else ""

    def get_webhook_secret(self) -> str:
        return decrypt(self.webhook_secret_encrypted) if self.webhook_secret_encrypted else ""

    @property
    def has_secret(self) -> bool:
        return bool(self.secret_encrypted)

    @property
    def health(self) -> str:
        """fresh / stale / failing / never / disabled, from the last success and the interval."""
        if not self.enabled:
            return "disabled"
        if self.last_error and (
            self.last_success_at is None
            or (self.last_attempt_at and self.last_attempt_at > self.last_success_at)
        ):
            return "failing"
        if self.last_success_at is None:
            return "never"
        age = (timezone.now() - self.last_success_at).total_seconds()
        # Two missed intervals make a source stale: one can be a slow run.
        return "fresh" if age <= 2 * self.poll_interval + 60 else "stale"


class Ticket(models.Model):
    """A mirror of one source ticket; written only by the sync service."""

    # No index of its own: ticket_unique_per_connector leads with the connector, and one
    # index fewer to maintain is a faster first sync.
    connector = models.ForeignKey(
        Connector, on_delete=models.CASCADE, related_name="tickets", db_index=False
    )
    external_id = models.CharField(max_length=200)
    key = models.CharField(max_length=100, db_index=True)
    url = models.URLField(max_length=1000, blank=True)
    title = models.TextField(blank=True)
    status_raw = models.CharField(max_length=100, blank=True)
    status_category = models.CharField(max_length=20, choices=StatusCategory.choices)
    priority = models.PositiveSmallIntegerField()
    is_blocker = models.BooleanField(
        default=False, help_text="The source marks it a blocker (mapped label or flag)."
    )
    is_blocking = models.BooleanField(
        default=False,
        help_text="Active and at or above the connector's blocking priority, or a blocker.",
    )
    assignee = models.CharField(max_length=200, blank=True)
    assignment_group = models.CharField(max_length=200, blank=True)
    reassignment_count = models.PositiveIntegerField(null=True, blank=True)
    # How many times the source reopened it; null when the source does not say.
    reopen_count = models.PositiveIntegerField(null=True, blank=True)
    # The SLA result: True breached, False met, None unknown (no SLA data from the source).
    sla_breached = models.BooleanField(null=True, blank=True)
    # The SLA or due deadline, when the source has one.
    due_at = models.DateTimeField(null=True, blank=True)
    ci = models.CharField(max_length=300, blank=True)
    components = models.JSONField(default=list, blank=True)
    labels = models.JSONField(default=list, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    # Set by a --full sync when the source no longer returns the ticket.
    missing_from_source = models.BooleanField(default=False)
    # A 64-bit hash of the mirrored values as last written (integrations/ticket_store.py):
    # a page of unchanged tickets is recognised by one read, with no row locked or written.
    fingerprint = models.BigIntegerField(null=True, blank=True, editable=False)
    first_seen_at = models.DateTimeField(default=timezone.now)
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["connector", "external_id"], name="ticket_unique_per_connector"
            ),
            models.CheckConstraint(
                condition=Q(status_category__in=StatusCategory.values),
                name="ticket_status_category_valid",
            ),
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=5), name="ticket_priority_1_to_5"
            ),
        ]
        indexes = [
            models.Index(
                fields=["is_blocking"], condition=Q(is_blocking=True), name="ticket_blocking_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title[:60]}"

    @property
    def is_active(self) -> bool:
        return self.status_category in ACTIVE_CATEGORIES


class LinkVia(models.TextChoices):
    RULE = "rule", "Link rule"
    REFERENCE = "reference", "Objective key in the ticket"
    MANUAL = "manual", "By hand"


class LinkRule(models.Model):
    """Links matching tickets to a node or an objective."""

    class Field(models.TextChoices):
        CI = "ci", "Configuration item"
        COMPONENT = "component", "Component"
        LABEL = "label", "Label"
        ASSIGNMENT_GROUP = "assignment_group", "Assignment group"
        TITLE = "title", "Title (regular expression)"

    connector = models.ForeignKey(
        Connector,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="link_rules",
        help_text="Empty: applies to every connector.",
    )
    field = models.CharField(max_length=20, choices=Field.choices)
    pattern = models.CharField(
        max_length=300,
        help_text="Exact value (case-insensitive), or a regular expression for the title.",
    )
    node = models.ForeignKey(
        "dependencies.Node",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="link_rules",
    )
    objective = models.ForeignKey(
        "objectives.Objective",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="link_rules",
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["field", "pattern"]
        constraints = [
            exactly_one_of(
                "node",
                "objective",
                name="link_rule_one_target",
                message="A rule links to a node or to an objective, not both.",
            ),
            models.CheckConstraint(
                condition=Q(field__in=["ci", "component", "label", "assignment_group", "title"]),
                name="link_rule_field_valid",
            ),
        ]

    def __str__(self) -> str:
        target = self.node or self.objective
        return f"{self.field} ~ {self.pattern} → {target}"

    def clean(self) -> None:
        """A title rule's pattern must compile with RE2 (integrations/title_patterns.py): one
        that does not would link nothing. The form, the API and the admin all come through
        here."""
        super().clean()
        if self.field == "title":
            try:
                TitlePattern(self.pattern)
            except BadPattern as exc:
                raise ValidationError({"pattern": str(exc)}) from exc


class TicketLink(models.Model):
    """A ticket attached to a node or an objective."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links")
    node = models.ForeignKey(
        "dependencies.Node",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="ticket_links",
    )
    objective = models.ForeignKey(
        "objectives.Objective",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="ticket_links",
    )
    via = models.CharField(max_length=10, choices=LinkVia.choices)
    rule = models.ForeignKey(
        LinkRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="links"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            exactly_one_of("node", "objective", name="ticket_link_one_target"),
            models.UniqueConstraint(
                fields=["ticket", "node"],
                condition=Q(node__isnull=False),
                name="ticket_link_node_unique",
            ),
            models.UniqueConstraint(
                fields=["ticket", "objective"],
                condition=Q(objective__isnull=False),
                name="ticket_link_objective_unique",
            ),
            models.CheckConstraint(
                condition=Q(via__in=LinkVia.values), name="ticket_link_via_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket.key} → {self.node or self.objective}"


class SyncRun(models.Model):
    """One run of one connector, recorded before it starts so that failures are visible."""

    class Outcome(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        INTERRUPTED = "interrupted", "Interrupted (resumed by a later run)"

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="sync_runs")
    trigger = models.CharField(max_length=20, default="schedule")
    full = models.BooleanField(default=False)
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.RUNNING)
    worker = models.CharField(max_length=100, blank=True)
    pages = models.PositiveIntegerField(default=0)
    fetched = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    marked_missing = models.PositiveIntegerField(default=0)
    cursor_before = models.JSONField(null=True, blank=True)
    cursor_after = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    # What a successful run still wants a person to see (records stamped in the future).
    warnings = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=["running", "succeeded", "failed", "interrupted"]),
                name="sync_run_outcome_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.connector} {self.started_at:%Y-%m-%d %H:%M} {self.outcome}"

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class QuarantinedRecord(models.Model):
    """A record the source sent that could not be read; kept with the reason."""

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="quarantine")
    sync_run = models.ForeignKey(
        SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="quarantined"
    )
    external_id = models.CharField(max_length=200, blank=True)
    reason = models.TextField()
    raw = models.JSONField(null=True, blank=True)
    raw_text = models.TextField(blank=True, help_text="The record as received, when not JSON.")
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Where it was, so that one without a readable id can still be found in the source:
    # the run's page (1 = first), its place in that page (0 = first), and the cursor the
    # page was read from.
    page_number = models.PositiveIntegerField(null=True, blank=True)
    page_offset = models.PositiveIntegerField(null=True, blank=True)
    page_cursor = models.JSONField(null=True, blank=True)
    # Set when a later read of the same id was mirrored: what it was is kept, but no
    # ticket is missing for it any more.
    resolved_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "quarantined records"

    def __str__(self) -> str:
        return f"{self.connector}: {self.external_id or '?'} — {self.reason[:80]}"


class WebhookDelivery(models.Model):
    """A webhook delivery already processed: retries of it are acknowledged, not re-applied."""

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="deliveries")
    delivery_id = models.CharField(max_length=200)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["connector", "delivery_id"], name="webhook_delivery_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.connector} delivery {self.delivery_id}"
