from django.contrib import admin

from cataligent.admin import AuditedAdmin
from reports.costs import AUDITED_FIELDS
from reports.models import CostLine


@admin.register(CostLine)
class CostLineAdmin(AuditedAdmin):
    list_display = ("node", "month", "category", "amount", "currency", "updated_at")
    list_filter = ("month", "category", "node__team")
    search_fields = ("node__slug", "node__name", "category")
    date_hierarchy = "month"
    autocomplete_fields = ("node",)
    list_select_related = ("node",)
    audited_fields = AUDITED_FIELDS
