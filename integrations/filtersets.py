"""Filters shared by the pages and the API."""

import django_filters

from integrations.models import LinkRule, StatusCategory, SyncRun, Ticket


class TicketFilterSet(django_filters.FilterSet):
    connector = django_filters.CharFilter(field_name="connector__slug")
    status_category = django_filters.MultipleChoiceFilter(choices=StatusCategory.choices)
    node = django_filters.CharFilter(field_name="links__node__slug", distinct=True)
    objective = django_filters.CharFilter(field_name="links__objective__key", distinct=True)
    q = django_filters.CharFilter(field_name="title", lookup_expr="icontains")
    sla_breached = django_filters.ChoiceFilter(
        choices=[("true", "breached"), ("false", "met"), ("unknown", "no SLA result")],
        method="filter_sla_breached",
        label="SLA",
    )

    class Meta:
        model = Ticket
        fields = [
            "connector",
            "key",
            "status_category",
            "priority",
            "is_blocking",
            "missing_from_source",
            "node",
            "objective",
            "q",
            "sla_breached",
        ]

    def filter_sla_breached(self, queryset, name, value):  # type: ignore[no-untyped-def]
        if value == "unknown":
            return queryset.filter(sla_breached__isnull=True)
        return queryset.filter(sla_breached=value == "true")


class LinkRuleFilterSet(django_filters.FilterSet):
    connector = django_filters.CharFilter(field_name="connector__slug")
    node = django_filters.CharFilter(field_name="node__slug")
    objective = django_filters.CharFilter(field_name="objective__key")

    class Meta:
        model = LinkRule
        fields = ["connector", "field", "node", "objective", "enabled"]


class SyncRunFilterSet(django_filters.FilterSet):
    connector = django_filters.CharFilter(field_name="connector__slug")

    class Meta:
        model = SyncRun
        fields = ["connector", "outcome", "trigger"]
