from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q


class CostCategory(models.TextChoices):
    """The TBM taxonomy's technology resource towers, offered as labels (free text allowed)."""

    COMPUTE = "compute", "Compute"
    STORAGE = "storage", "Storage"
    NETWORK = "network", "Network"
    DATA_CENTER = "data_center", "Data center"
    PLATFORM = "platform", "Platform"
    OUTPUT = "output", "Output"
    END_USER = "end_user", "End user"
    APPLICATION = "application", "Application"
    DELIVERY = "delivery", "Delivery"
    SECURITY_COMPLIANCE = "security_compliance", "Security & compliance"
    IT_MANAGEMENT = "it_management", "IT management"


class CostLine(models.Model):
    """What one node cost to run in one month, in one category (DESIGN §2, report `spend`)."""

    node = models.ForeignKey(
        "dependencies.Node", on_delete=models.CASCADE, related_name="cost_lines"
    )
    # Always the first day of the month.
    month = models.DateField()
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    # ISO 4217; stored in the configured CURRENCY (an import converts with a given rate).
    currency = models.CharField(max_length=3)
    category = models.CharField(
        max_length=100,
        blank=True,
        help_text="A TBM resource tower such as compute or application; free text allowed.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-month", "node_id", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["node", "month", "category"], name="cost_line_unique_node_month_category"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=Decimal("0")), name="cost_line_amount_not_negative"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="cost_line_month_first_day"),
        ]
        indexes = [models.Index(fields=["month"], name="cost_line_month_idx")]

    def __str__(self) -> str:
        return f"{self.node_id} {self.month:%Y-%m} {self.amount} {self.currency}"
