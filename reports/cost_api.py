"""The `costs` API resource: run cost per node and month (DESIGN §3), and its CSV export."""

from __future__ import annotations

import csv
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpResponse
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer

from cataligent.api.viewsets import GovernedViewSet
from dependencies.models import Node
from reports import costs
from reports.models import CostLine


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2026-03"})
class MonthField(serializers.Field):
    """A month as "YYYY-MM" (stored as its first day)."""

    default_error_messages = {"invalid": 'Give the month as "YYYY-MM", e.g. "2026-03".'}

    def to_internal_value(self, data: Any) -> Any:
        month = costs.parse_month(data) if isinstance(data, str) else None
        if month is None:
            self.fail("invalid")
        return month

    def to_representation(self, value: Any) -> str:
        return costs.format_month(value)


class CostLineSerializer(serializers.ModelSerializer):
    node = serializers.SlugRelatedField(slug_field="slug", queryset=Node.objects.all())
    month = MonthField()
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=0)
    currency = serializers.CharField(max_length=3, required=False)
    category = serializers.CharField(max_length=100, required=False, allow_blank=True)

    class Meta:
        model = CostLine
        fields = ["id", "node", "month", "amount", "currency", "category"]
        read_only_fields = ["id"]
        validators: list[Any] = []  # the uniqueness check below names the fields

    def validate_currency(self, value: str) -> str:
        value = value.upper()
        if value != settings.CURRENCY:
            raise serializers.ValidationError(
                f"Costs are kept in {settings.CURRENCY}; convert the amount first "
                f"(manage.py import_costs --rate {value}=RATE converts a file)."
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None:
            attrs.setdefault("currency", settings.CURRENCY)
        node = attrs.get("node", getattr(self.instance, "node", None))
        month = attrs.get("month", getattr(self.instance, "month", None))
        category = attrs.get("category", getattr(self.instance, "category", ""))
        clash = CostLine.objects.filter(node=node, month=month, category=category)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError(
                {"month": "This node already has a cost for this month and category."}
            )
        return attrs


class MonthInput(forms.Field):
    def to_python(self, value: Any) -> Any:
        if value in (None, ""):
            return None
        month = costs.parse_month(str(value))
        if month is None:
            raise forms.ValidationError('Give the month as "YYYY-MM", e.g. "2026-03".')
        return month


class MonthFilter(filters.Filter):
    field_class = MonthInput


class CostLineFilterSet(filters.FilterSet):
    node = filters.CharFilter(field_name="node__slug")
    team = filters.CharFilter(field_name="node__team__slug")
    month = MonthFilter(field_name="month")
    # "from" and "to" are Python keywords: declared below under their query names.

    class Meta:
        model = CostLine
        fields = ["node", "team", "month"]


CostLineFilterSet.base_filters["from"] = MonthFilter(field_name="month", lookup_expr="gte")
CostLineFilterSet.base_filters["to"] = MonthFilter(field_name="month", lookup_expr="lte")


class CsvRenderer(BaseRenderer):
    """Lets `?format=csv` choose the export; the view writes the file itself."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None):  # type: ignore[no-untyped-def]
        # Only errors reach here (a 400 or 403 asked for as CSV): one message a line.
        if isinstance(data, dict):
            return "\n".join(f"{k}: {v}" for k, v in data.items()).encode()
        return str(data).encode()


class CostLineViewSet(GovernedViewSet):
    """Run cost per node and month. Read: leadership, team leads, admins. Write: admins, and
    the lead of the team that owns the node. `?format=csv` exports the filtered lines in the
    file `manage.py import_costs` reads."""

    queryset = CostLine.objects.select_related("node").order_by("-month", "node__slug", "category")
    serializer_class = CostLineSerializer
    filterset_class = CostLineFilterSet
    ordering_fields = ["month", "amount"]

    def get_renderers(self):  # type: ignore[no-untyped-def]
        return [*super().get_renderers(), CsvRenderer()]

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(request.accepted_renderer, "format", None) != "csv":
            return super().list(request, *args, **kwargs)
        lines: QuerySet[CostLine] = self.filter_queryset(self.get_queryset())
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="costs.csv"'
        csv.writer(response).writerows(costs.cost_rows_for_export(lines))
        return response

    def create_object(self, data: dict[str, Any]) -> CostLine:
        return costs.cost_line_create(actor=self.request.user, **data)

    def update_object(self, instance: CostLine, changes: dict[str, Any]) -> CostLine:
        return costs.cost_line_update(line=instance, changes=changes, actor=self.request.user)

    def delete_object(self, instance: CostLine) -> None:
        costs.cost_line_delete(line=instance, actor=self.request.user)
