from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class Team(models.Model):
    """A team that owns objectives and dependencies; its lead may change what it owns."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="teams")
    default_escalation_policy = models.ForeignKey(
        "dependencies.EscalationPolicy",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="default_for_teams",
        help_text="Used for this team's items that have no escalation policy of their own.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AuditEntry(models.Model):
    """One change of one governance field: who, when, old and new value.

    Written explicitly by the services (never by signals), so changes made by
    management commands and Celery tasks are recorded with their actor too.
    """

    class Action(models.TextChoices):
        CREATE = "create", "created"
        UPDATE = "update", "changed"
        DELETE = "delete", "deleted"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Who did it when no user did: "command import_catalog", "task sync_connector".
    actor_label = models.CharField(max_length=150, blank=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.CharField(max_length=64)
    item = GenericForeignKey("content_type", "object_id")
    object_repr = models.CharField(max_length=300)
    action = models.CharField(max_length=10, choices=Action.choices)
    field = models.CharField(max_length=100, blank=True)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-at"])]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        what = f"{self.field}: {self.old_value!r} → {self.new_value!r}" if self.field else ""
        return f"{self.object_repr} {self.get_action_display()} {what}".strip()

    @property
    def actor_display(self) -> str:
        if self.actor_id:
            return self.actor.get_username() if self.actor else "deleted user"
        return self.actor_label or "system"
