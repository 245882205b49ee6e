from django.contrib import admin

from cataligent.admin import AuditedAdmin, HistoryInline
from integrations.connector_guides import guides_context
from integrations.forms import ConnectorForm
from integrations.models import (
    Connector,
    LinkRule,
    QuarantinedRecord,
    SyncRun,
    Ticket,
    TicketLink,
    WebhookDelivery,
)
from integrations.services import link_rule_delete, link_rule_save


@admin.register(Connector)
class ConnectorAdmin(AuditedAdmin):
    form = ConnectorForm
    audited_fields = ("base_url", "auth_type", "username", "query", "enabled", "blocking_priority")
    list_display = ["name", "slug", "kind", "enabled", "health", "last_success_at", "last_error"]
    list_filter = ["kind", "enabled"]
    search_fields = ["name", "slug", "base_url"]
    readonly_fields = ["cursor", "last_success_at", "last_attempt_at", "last_error", "health"]
    inlines = [HistoryInline]
    # The setup guide of each kind below the fields (templates/admin/integrations/connector/).
    change_form_template = "admin/integrations/connector/change_form.html"

    def render_change_form(self, request, context, *args, **kwargs):  # type: ignore[no-untyped-def]
        context.update(guides_context(context["adminform"].form["kind"].value()))
        return super().render_change_form(request, context, *args, **kwargs)

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if form.cleaned_data.get("new_secret"):
            obj.set_secret(form.cleaned_data["new_secret"])
        if form.cleaned_data.get("new_webhook_secret"):
            obj.set_webhook_secret(form.cleaned_data["new_webhook_secret"])
        super().save_model(request, obj, form, change)


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = [
        "key",
        "title",
        "connector",
        "status_category",
        "priority",
        "is_blocking",
        "sla_breached",
        "updated_at",
    ]
    list_filter = [
        "connector",
        "status_category",
        "priority",
        "is_blocking",
        "sla_breached",
        "missing_from_source",
    ]
    search_fields = ["key", "title", "external_id", "ci", "assignment_group"]
    date_hierarchy = "updated_at"

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # a mirror: the source tool is where tickets change


@admin.register(LinkRule)
class LinkRuleAdmin(admin.ModelAdmin):
    """Saved and deleted through the services, so the rules are re-applied and audited."""

    list_display = ["field", "pattern", "node", "objective", "connector", "enabled"]
    list_filter = ["field", "enabled", "connector"]
    search_fields = ["pattern", "node__slug", "objective__key"]
    autocomplete_fields = ["node", "objective"]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if change:
            stored = LinkRule.objects.get(pk=obj.pk)
            changes = {name: getattr(obj, name) for name in form.changed_data}
            link_rule_save(rule=stored, changes=changes, actor=request.user, actor_label="admin")
        else:
            link_rule_save(rule=obj, changes={}, actor=request.user, actor_label="admin")

    def delete_model(self, request, obj):  # type: ignore[no-untyped-def]
        link_rule_delete(rule=obj, actor=request.user, actor_label="admin")

    def delete_queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        for rule in queryset:
            link_rule_delete(rule=rule, actor=request.user, actor_label="admin")


@admin.register(TicketLink)
class TicketLinkAdmin(admin.ModelAdmin):
    list_display = ["ticket", "node", "objective", "via", "created_at"]
    list_filter = ["via"]
    search_fields = ["ticket__key", "node__slug", "objective__key"]
    raw_id_fields = ["ticket"]
    autocomplete_fields = ["node", "objective"]


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = [
        "connector",
        "started_at",
        "outcome",
        "trigger",
        "pages",
        "fetched",
        "created",
        "updated",
        "rejected",
        "has_warnings",
    ]
    list_filter = ["connector", "outcome", "trigger"]
    date_hierarchy = "started_at"

    @admin.display(boolean=True, description="warnings")
    def has_warnings(self, obj: SyncRun) -> bool:
        return bool(obj.warnings)

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(QuarantinedRecord)
class QuarantinedRecordAdmin(admin.ModelAdmin):
    list_display = [
        "connector",
        "external_id",
        "reason",
        "received_at",
        "page_number",
        "page_offset",
        "resolved_at",
    ]
    list_filter = ["connector", ("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["external_id", "reason"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["connector", "delivery_id", "received_at"]
    list_filter = ["connector"]
