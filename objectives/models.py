from __future__ import annotations

import re
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from cataligent.modeling import Governed
from dependencies.choices import Criticality, State

OBJECTIVE_KEY_RE = re.compile(r"^[A-Z][A-Z0-9]*-[0-9]+$")


class Period(models.Model):
    """A planning period such as `2026-Q4`."""

    name = models.CharField(max_length=50, unique=True)
    start = models.DateField()
    end = models.DateField()

    class Meta:
        ordering = ["-start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="period_end_after_start")
        ]

    def __str__(self) -> str:
        return self.name


class DeclaredStatus(models.TextChoices):
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    OFF_TRACK = "off_track", "Off track"
    DONE = "done", "Done"


class Objective(Governed, models.Model):
    """A business objective: who is accountable, what it needs, what a week of delay costs."""

    key = models.CharField(
        max_length=30,
        unique=True,
        blank=True,
        help_text="Like OBJ-12; tickets that mention it are linked. Generated when left blank.",
    )
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_objectives",
    )
    team = models.ForeignKey(
        "cataligent.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="objectives",
    )
    escalation_policy = models.ForeignKey(
        "dependencies.EscalationPolicy",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="objectives",
    )
    period = models.ForeignKey(
        Period, null=True, blank=True, on_delete=models.PROTECT, related_name="objectives"
    )
    target_date = models.DateField(null=True, blank=True)
    value_at_stake = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        help_text="Money lost per week of delay (cost of delay).",
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    declared_status = models.CharField(
        max_length=20, choices=DeclaredStatus.choices, default=DeclaredStatus.ON_TRACK
    )
    update_cadence_days = models.PositiveSmallIntegerField(
        default=7, help_text="Days between structured status updates."
    )

    # Results of the impact engine, written only by it.
    state = models.CharField(
        max_length=20, choices=State.choices, default=State.OPERATIONAL, editable=False
    )
    root_causes = models.JSONField(default=list, blank=True, editable=False)
    blocked_since = models.DateTimeField(null=True, blank=True, editable=False)
    # The version of the results that last changed them (as Node.results_version).
    results_version = models.PositiveBigIntegerField(default=0, db_default=0, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]
        constraints = [
            models.CheckConstraint(
                condition=Q(value_at_stake__gte=0), name="objective_value_at_stake_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(declared_status__in=DeclaredStatus.values),
                name="objective_declared_status_valid",
            ),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="objective_not_own_parent"),
            models.CheckConstraint(
                condition=Q(update_cadence_days__gte=1), name="objective_cadence_at_least_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}" if self.key else self.title

    def save(self, *args: object, **kwargs: object) -> None:
        if self.key:
            super().save(*args, **kwargs)  # type: ignore[arg-type]
            return
        # The key comes from the primary key, known only after the insert; a
        # placeholder keeps the unique column valid in between.
        self.key = f"new-{uuid.uuid4().hex[:24]}"
        super().save(*args, **kwargs)  # type: ignore[arg-type]
        self.key = f"OBJ-{self.pk}"
        type(self).objects.filter(pk=self.pk).update(key=self.key)

    def clean(self) -> None:
        if self.key and not OBJECTIVE_KEY_RE.match(self.key):
            raise ValidationError({"key": "Use capitals, a dash and a number, like OBJ-12."})

    @property
    def requirement_specs(self) -> list[dict[str, object]]:
        """Requirements as the API shows them: `{node, criticality}`, by node slug."""
        rows = sorted(self.requirements.all(), key=lambda r: r.node.slug)
        return [{"node": r.node, "criticality": r.criticality} for r in rows]


class Requirement(models.Model):
    """An objective requires a capability (or a dependency directly)."""

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="requirements")
    node = models.ForeignKey(
        "dependencies.Node", on_delete=models.CASCADE, related_name="required_by"
    )
    criticality = models.CharField(
        max_length=10, choices=Criticality.choices, default=Criticality.HARD
    )

    class Meta:
        ordering = ["objective", "node__slug"]
        constraints = [
            models.UniqueConstraint(fields=["objective", "node"], name="requirement_unique"),
            models.CheckConstraint(
                condition=Q(criticality__in=Criticality.values),
                name="requirement_criticality_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.objective.key} requires {self.node.slug} ({self.criticality})"


class KeyResult(models.Model):
    """A measurable result of an objective: progress from `start_value` to `target_value`."""

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="key_results")
    title = models.CharField(max_length=300)
    start_value = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    target_value = models.DecimalField(max_digits=14, decimal_places=2)
    current_value = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    unit = models.CharField(max_length=30, blank=True)

    class Meta:
        ordering = ["objective", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(target_value=F("start_value")), name="key_result_target_differs"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def progress(self) -> float:
        """Share of the way from start to target, 0..1 (works for decreasing targets too)."""
        span = self.target_value - self.start_value
        done = (self.current_value - self.start_value) / span
        return float(min(max(done, Decimal(0)), Decimal(1)))

    @property
    def progress_pct(self) -> int:
        """Progress as a whole percentage, for people (a drop from 50 to 30 toward 0 is 40 %)."""
        return round(self.progress * 100)


class Rag(models.TextChoices):
    GREEN = "green", "Green"
    AMBER = "amber", "Amber"
    RED = "red", "Red"


class StatusUpdate(models.Model):
    """A structured update by the objective's owner."""

    objective = models.ForeignKey(
        Objective, on_delete=models.CASCADE, related_name="status_updates"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    rag = models.CharField(max_length=10, choices=Rag.choices)
    summary = models.TextField()
    blockers = models.TextField(blank=True)
    decisions_needed = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        get_latest_by = "created_at"
        constraints = [
            models.CheckConstraint(condition=Q(rag__in=Rag.values), name="status_update_rag_valid")
        ]

    def __str__(self) -> str:
        return f"{self.objective.key} {self.rag} {self.created_at:%Y-%m-%d}"
