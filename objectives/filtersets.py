"""Filters shared by the pages and the API."""

import django_filters
from django.db.models import Q

from dependencies.choices import State
from objectives.models import DeclaredStatus, Objective


class ObjectiveFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    state = django_filters.MultipleChoiceFilter(choices=State.choices)
    declared_status = django_filters.MultipleChoiceFilter(choices=DeclaredStatus.choices)
    team = django_filters.CharFilter(field_name="team__slug")
    owner = django_filters.CharFilter(field_name="owner__username")
    period = django_filters.CharFilter(field_name="period__name")

    class Meta:
        model = Objective
        fields = ["q", "state", "declared_status", "team", "owner", "period"]

    def search(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(Q(title__icontains=value) | Q(key__iexact=value))
