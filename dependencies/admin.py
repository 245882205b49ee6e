from django.contrib import admin

from cataligent.admin import AuditedAdmin, HistoryInline
from dependencies.graph.changes import impact_changed
from dependencies.models import (
    Edge,
    Escalation,
    EscalationLevel,
    EscalationPolicy,
    ImpactState,
    Node,
    Notification,
    StateTransition,
)


class RecomputesImpact:
    """Admin edits reach the impact engine as the services' edits do.

    The services call ``impact_changed`` themselves; the admin saves models directly, so
    without this an edge, requirement or value edited here stayed out of the map until
    something else changed the graph. Admin edits are rare: each asks for a full recompute
    (one per transaction, however many rows it saved).
    """

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        impact_changed(structure=True, reason=f"admin: {obj} saved")

    def save_related(self, request, form, formsets, change):  # type: ignore[no-untyped-def]
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        impact_changed(structure=True, reason=f"admin: {form.instance} saved")

    def delete_model(self, request, obj):  # type: ignore[no-untyped-def]
        super().delete_model(request, obj)  # type: ignore[misc]
        impact_changed(structure=True, reason=f"admin: {obj} deleted")

    def delete_queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        super().delete_queryset(request, queryset)  # type: ignore[misc]
        impact_changed(structure=True, reason="admin: rows deleted")


class EdgeInline(admin.TabularInline):
    model = Edge
    fk_name = "source"
    fields = ["target", "criticality", "redundancy_group", "min_operational"]
    autocomplete_fields = ["target"]
    extra = 0
    verbose_name = "depends on"
    verbose_name_plural = "depends on"


@admin.register(Node)
class NodeAdmin(RecomputesImpact, AuditedAdmin):
    audited_fields = ("owner", "team", "escalation_policy", "manual_state", "manual_reason")
    audited_relations = {
        "depends_on": lambda node: [
            {"target": e.target.slug, "criticality": e.criticality, "group": e.redundancy_group}
            for e in node.dependency_edges.select_related("target").order_by("target__slug")
        ]
    }
    list_display = ["name", "slug", "kind", "state", "team", "owner", "escalation_policy"]
    list_filter = ["kind", "state", "manual_state", "team", "escalation_policy"]
    search_fields = ["name", "slug", "external_ref", "owner__username", "team__name"]
    autocomplete_fields = ["owner", "team", "escalation_policy"]
    readonly_fields = [
        "intrinsic_state",
        "state",
        "root_causes",
        "blocked_since",
        "manual_set_by",
        "manual_set_at",
        "created_at",
        "updated_at",
    ]
    inlines = [EdgeInline, HistoryInline]


@admin.register(Edge)
class EdgeAdmin(RecomputesImpact, admin.ModelAdmin):
    list_display = ["source", "target", "criticality", "redundancy_group", "min_operational"]
    list_filter = ["criticality"]
    search_fields = ["source__slug", "target__slug", "redundancy_group"]
    autocomplete_fields = ["source", "target"]


class EscalationLevelInline(admin.TabularInline):
    model = EscalationLevel
    fields = ["position", "after_minutes", "notify_user", "notify_team", "notify_role"]
    autocomplete_fields = ["notify_user", "notify_team"]
    extra = 0


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(AuditedAdmin):
    audited_fields = ("team",)
    audited_relations = {
        "levels": lambda policy: [
            f"{level.after_minutes} min → {level.target_display}" for level in policy.levels.all()
        ]
    }
    list_display = ["name", "team"]
    list_filter = ["team"]
    search_fields = ["name", "team__name"]
    inlines = [EscalationLevelInline, HistoryInline]


@admin.register(StateTransition)
class StateTransitionAdmin(admin.ModelAdmin):
    list_display = ["at", "node", "objective", "from_state", "to_state", "reason"]
    list_filter = ["to_state", "from_state"]
    search_fields = ["node__slug", "objective__key", "reason"]
    date_hierarchy = "at"

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(ImpactState)
class ImpactStateAdmin(admin.ModelAdmin):
    list_display = [
        "version",
        "requested",
        "computed",
        "computed_at",
        "duration_ms",
        "value_at_risk",
    ]
    readonly_fields = [f.name for f in ImpactState._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(Escalation)
class EscalationAdmin(admin.ModelAdmin):
    list_display = ["fired_at", "node", "objective", "level", "target_display", "status"]
    list_filter = ["status", "level", "target_role"]
    search_fields = ["node__slug", "objective__key", "target_display", "note"]
    date_hierarchy = "fired_at"
    readonly_fields = [
        "node",
        "objective",
        "episode_started_at",
        "level",
        "policy",
        "fired_at",
        "root_causes",
    ]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    # "Failed" in the status filter lists what was given up on after a day of retries.
    list_display = [
        "created_at",
        "recipient",
        "channel",
        "event",
        "status",
        "attempts",
        "next_attempt_at",
        "error",
        "subject",
    ]
    list_filter = ["status", "channel", "event"]
    search_fields = ["recipient__username", "subject", "event_key"]
    date_hierarchy = "created_at"

    @admin.display(description="last error")
    def error(self, obj: Notification) -> str:
        return obj.last_error[:120]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
