"""Filters shared by the pages and the API (one filterset serves both)."""

import django_filters
from django.db.models import Q

from dependencies.choices import NodeKind, State
from dependencies.models import Edge, Node


class NodeFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    kind = django_filters.MultipleChoiceFilter(choices=NodeKind.choices)
    state = django_filters.MultipleChoiceFilter(choices=State.choices)
    team = django_filters.CharFilter(field_name="team__slug")
    owner = django_filters.CharFilter(field_name="owner__username")
    unowned = django_filters.BooleanFilter(field_name="owner", lookup_expr="isnull")

    class Meta:
        model = Node
        fields = ["q", "kind", "state", "team", "owner", "unowned"]

    def search(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(Q(name__icontains=value) | Q(slug__icontains=value))


class EdgeFilterSet(django_filters.FilterSet):
    source = django_filters.CharFilter(field_name="source__slug")
    target = django_filters.CharFilter(field_name="target__slug")
    criticality = django_filters.CharFilter()
    redundancy_group = django_filters.CharFilter()

    class Meta:
        model = Edge
        fields = ["source", "target", "criticality", "redundancy_group"]
