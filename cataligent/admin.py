from django.contrib import admin
from django.contrib.contenttypes.admin import GenericTabularInline
from django.db.models import QuerySet
from django.utils import timezone

from cataligent.api_tokens import api_token_revoke
from cataligent.audit import audit_changes, audit_created, audit_deleted
from cataligent.models import ApiToken, AuditEntry, SignInLockout, SingleSignOnIdentity, Team
from cataligent.roles import Role, user_roles
from cataligent.signin import AdminSignInForm
from cataligent.signin_limits import lockouts_lift


def _admin_site_has_permission(request):  # type: ignore[no-untyped-def]
    """The admin site is for the `admin` role (and superusers), staff flag or not."""
    return request.user.is_active and Role.ADMIN in user_roles(request.user)


admin.site.has_permission = _admin_site_has_permission
admin.site.site_header = "Cataligent administration"
admin.site.site_title = "Cataligent admin"
# The admin's own sign-in counts towards the same limits as /login/ and the API's.
admin.site.login_form = AdminSignInForm


class AuditedAdmin(admin.ModelAdmin):
    """Admin edits go into the same governance history as API and command edits.

    `audited_fields` are compared before and after the save; `audited_relations`
    maps a history field name to a function summarising related rows (edges,
    requirements) so that changes made through inlines are recorded too.
    """

    audited_fields: tuple[str, ...] = ()
    audited_relations: dict = {}

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        before = {}
        if change:
            old = type(obj).objects.get(pk=obj.pk)
            before = {f: getattr(old, f) for f in self.audited_fields}
        super().save_model(request, obj, form, change)
        if not change:
            audit_created(obj, actor=request.user, actor_label="admin")
        audit_changes(
            obj,
            {f: (before.get(f), getattr(obj, f)) for f in self.audited_fields},
            actor=request.user,
            actor_label="admin",
        )

    def save_related(self, request, form, formsets, change):  # type: ignore[no-untyped-def]
        obj = form.instance
        before = {name: summary(obj) for name, summary in self.audited_relations.items()}
        super().save_related(request, form, formsets, change)
        audit_changes(
            obj,
            {
                name: (before[name], summary(obj))
                for name, summary in self.audited_relations.items()
            },
            actor=request.user,
            actor_label="admin",
        )

    def delete_model(self, request, obj):  # type: ignore[no-untyped-def]
        audit_deleted(obj, actor=request.user, actor_label="admin")
        super().delete_model(request, obj)


class HistoryInline(GenericTabularInline):
    """Governance history of the object, read-only, on its admin page."""

    model = AuditEntry
    ct_field = "content_type"
    ct_fk_field = "object_id"
    fields = ["at", "actor", "actor_label", "action", "field", "old_value", "new_value"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-at"]
    verbose_name_plural = "history"

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Team)
class TeamAdmin(AuditedAdmin):
    audited_fields = ("lead", "default_escalation_policy", "assignment_groups")
    list_display = ["name", "slug", "lead", "default_escalation_policy", "assignment_groups"]
    search_fields = ["name", "slug", "lead__username"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["lead", "default_escalation_policy"]
    filter_horizontal = ["members"]
    inlines = [HistoryInline]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "actor_label", "content_type", "object_repr", "action", "field"]
    list_filter = ["action", "content_type", "field"]
    search_fields = ["object_repr", "actor__username", "actor_label", "field"]
    date_hierarchy = "at"

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services; admins act on them through admin actions."""

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(SignInLockout)
class SignInLockoutAdmin(ReadOnlyAdmin):
    list_display = [
        "locked_at",
        "kind",
        "subject",
        "failures",
        "locked_until",
        "in_force",
        "lifted_by",
    ]
    list_filter = ["kind"]
    search_fields = ["subject"]
    date_hierarchy = "locked_at"
    actions = ["lift"]
    inlines = [HistoryInline]

    @admin.display(boolean=True, description="in force")
    def in_force(self, obj: SignInLockout) -> bool:
        return obj.lifted_at is None and obj.locked_until > timezone.now()

    @admin.action(description="Lift the selected lockouts")
    def lift(self, request, queryset: QuerySet[SignInLockout]) -> None:  # type: ignore[no-untyped-def]
        lifted = lockouts_lift(lockouts=queryset, actor=request.user, actor_label="admin")
        self.message_user(request, f"Lifted {len(lifted)} lockout(s).")


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "user",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__username", "prefix"]
    actions = ["revoke"]
    exclude = ["key_hash"]
    inlines = [HistoryInline]

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset: QuerySet[ApiToken]) -> None:  # type: ignore[no-untyped-def]
        tokens = list(queryset.filter(revoked_at__isnull=True))
        for token in tokens:
            api_token_revoke(token=token, actor=request.user, actor_label="admin")
        self.message_user(request, f"Revoked {len(tokens)} token(s).")


@admin.register(SingleSignOnIdentity)
class SingleSignOnIdentityAdmin(ReadOnlyAdmin):
    """Who signs in through the identity provider as whom (made at their first sign-in)."""

    list_display = ["user", "subject", "issuer", "created_at", "last_sign_in_at"]
    search_fields = ["user__username", "user__email", "subject"]
    list_filter = ["issuer"]
