from django.contrib import admin

from cataligent.admin import AuditedAdmin, HistoryInline
from dependencies.admin import RecomputesImpact
from objectives.models import KeyResult, Objective, Period, Requirement, StatusUpdate


class RequirementInline(admin.TabularInline):
    model = Requirement
    autocomplete_fields = ["node"]
    extra = 0


class KeyResultInline(admin.TabularInline):
    model = KeyResult
    extra = 0


@admin.register(Objective)
class ObjectiveAdmin(RecomputesImpact, AuditedAdmin):
    audited_fields = ("owner", "team", "escalation_policy")
    audited_relations = {
        "requires": lambda objective: [
            {"node": r.node.slug, "criticality": r.criticality}
            for r in objective.requirements.select_related("node").order_by("node__slug")
        ]
    }
    list_display = ["key", "title", "state", "declared_status", "team", "owner", "value_at_stake"]
    list_filter = ["state", "declared_status", "period", "team"]
    search_fields = ["key", "title", "owner__username", "team__name"]
    autocomplete_fields = ["owner", "team", "escalation_policy", "parent"]
    readonly_fields = ["state", "root_causes", "blocked_since", "created_at", "updated_at"]
    inlines = [RequirementInline, KeyResultInline, HistoryInline]


@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = ["name", "start", "end"]
    search_fields = ["name"]


@admin.register(StatusUpdate)
class StatusUpdateAdmin(admin.ModelAdmin):
    list_display = ["objective", "rag", "author", "created_at"]
    list_filter = ["rag"]
    search_fields = ["objective__key", "objective__title", "summary"]
    autocomplete_fields = ["objective", "author"]


@admin.register(Requirement)
class RequirementAdmin(RecomputesImpact, admin.ModelAdmin):
    list_display = ["objective", "node", "criticality"]
    list_filter = ["criticality"]
    search_fields = ["objective__key", "node__slug"]
    autocomplete_fields = ["objective", "node"]
