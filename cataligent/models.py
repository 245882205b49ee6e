from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


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
    # The source tools' assignment-group names that are this team (any connector): the
    # reports tell a ticket resolved by the owning team from one that went elsewhere.
    assignment_groups = models.JSONField(
        default=list,
        blank=True,
        help_text="Assignment-group names in the ITSM tools that belong to this team.",
    )
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

    def clean(self) -> None:
        super().clean()
        self.assignment_groups = clean_assignment_groups(self.assignment_groups, team=self)


MAX_GROUP_NAME = 200


def clean_assignment_groups(value: object, *, team: Team | None) -> list[str]:
    """The team's assignment-group names as stored: trimmed (inner runs of spaces made one),
    blank ones dropped, each once whatever its case (the first spelling wins), none longer
    than 200 characters, and none another team holds, since the reports decide from them
    which team resolved a ticket. Raises a ValidationError keyed ``assignment_groups`` that
    names the other team. The API, the admin and the team page all clean through here."""
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValidationError({"assignment_groups": "Give a list of group names."})
    cleaned: dict[str, str] = {}
    for raw in value:
        name = " ".join(raw.split())
        if len(name) > MAX_GROUP_NAME:
            raise ValidationError(
                {"assignment_groups": f"“{name[:40]}…” is longer than {MAX_GROUP_NAME} characters."}
            )
        if name:
            cleaned.setdefault(name.casefold(), name)
    if not cleaned:
        return []
    others = Team.objects.exclude(pk=team.pk) if team and team.pk else Team.objects.all()
    for other in others.exclude(assignment_groups=[]).only("name", "assignment_groups"):
        for held in other.assignment_groups or []:
            if isinstance(held, str) and held.casefold() in cleaned:
                raise ValidationError(
                    {
                        "assignment_groups": (
                            f"“{cleaned[held.casefold()]}” already belongs to the team "
                            f"{other.name}; a group may belong to one team only."
                        )
                    }
                )
    return list(cleaned.values())


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


class ApiToken(models.Model):
    """A named API key of one user. Only the key's SHA-256 is stored: the key itself
    is shown once, when the token is created (`cataligent.api_tokens`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    # The key's first characters, so a user can tell their tokens apart.
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def expired(self) -> bool:
        return self.expires_at <= timezone.now()


class SignInLockout(models.Model):
    """Too many failed sign-ins for one account or from one address: refused until
    `locked_until` unless an admin lifts it (`cataligent.signin_limits`)."""

    class Kind(models.TextChoices):
        ACCOUNT = "account", "account"
        ADDRESS = "address", "address"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    # The username as typed (case-folded; it may name no user) or the client address.
    subject = models.CharField(max_length=150)
    failures = models.PositiveIntegerField()
    locked_at = models.DateTimeField(auto_now_add=True)
    locked_until = models.DateTimeField()
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-locked_at", "-id"]
        indexes = [models.Index(fields=["kind", "subject", "-locked_until"])]
        verbose_name = "sign-in lockout"

    def __str__(self) -> str:
        return f"{self.kind} {self.subject!r} locked until {self.locked_until:%Y-%m-%d %H:%M %Z}"


class SingleSignOnIdentity(models.Model):
    """The identity provider's account that signs in as this user.

    OpenID Connect's stable key for a person is (issuer, subject): an e-mail address
    or a username can change or be reassigned at the provider, a subject cannot
    (OpenID Connect Core §5.7). One account per provider per user.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identities"
    )
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="sso_identity_unique"),
            models.UniqueConstraint(fields=["user", "issuer"], name="sso_identity_one_per_user"),
        ]
        verbose_name = "single sign-on identity"
        verbose_name_plural = "single sign-on identities"

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"
