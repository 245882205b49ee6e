from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Prefetch

from cataligent.api.viewsets import GovernedViewSet
from dependencies.graph.api.views import HistoryMixin
from objectives import services
from objectives.api.serializers import ObjectiveSerializer, PeriodSerializer
from objectives.filtersets import ObjectiveFilterSet
from objectives.models import Objective, Period, Requirement
from objectives.selectors import with_latest_update
from objectives.services import KEY_RESULT_FIELDS


def _key_result(values: Any) -> tuple[Any, ...]:
    """A key result's values, comparable whether read from the database or the request."""
    defaults = {"start_value": Decimal(0), "current_value": Decimal(0), "unit": ""}
    return tuple(values.get(f, defaults.get(f)) for f in KEY_RESULT_FIELDS)


def _specs(items: list[dict[str, Any]]) -> list[tuple[Any, str]]:
    return [(item["node"], item["criticality"]) for item in items]


class ObjectiveViewSet(HistoryMixin, GovernedViewSet):
    queryset = with_latest_update(
        Objective.objects.select_related("owner", "team", "period", "parent", "escalation_policy")
        .prefetch_related(
            Prefetch("requirements", queryset=Requirement.objects.select_related("node")),
            "key_results",
        )
        .order_by("id")
    )
    serializer_class = ObjectiveSerializer
    lookup_field = "key"
    filterset_class = ObjectiveFilterSet
    ordering_fields = ["key", "title", "value_at_stake", "state", "blocked_since"]

    def changes_for(self, instance: Objective, values: dict[str, Any]) -> dict[str, Any]:
        requires = values.pop("requirement_specs", None)
        key_results = values.pop("key_results", None)
        changes = super().changes_for(instance, values)
        if key_results is not None and [_key_result(k) for k in key_results] != [
            _key_result(k) for k in instance.key_results.all().values(*KEY_RESULT_FIELDS)
        ]:
            changes["key_results"] = key_results
        if requires is not None and sorted(
            (node.slug, criticality) for node, criticality in _specs(requires)
        ) != sorted((r["node"].slug, r["criticality"]) for r in instance.requirement_specs):
            changes["requirement_specs"] = requires
        return changes

    def create_object(self, data: dict[str, Any]) -> Objective:
        requires = _specs(data.pop("requirement_specs", []))
        return services.objective_create(actor=self.request.user, requires=requires, **data)

    def update_object(self, instance: Objective, changes: dict[str, Any]) -> Objective:
        requires = changes.pop("requirement_specs", None)
        key_results = changes.pop("key_results", None)
        return services.objective_update(
            objective=instance,
            changes=changes,
            requires=_specs(requires) if requires is not None else None,
            key_results=key_results,
            actor=self.request.user,
        )

    def delete_object(self, instance: Objective) -> None:
        services.objective_delete(objective=instance, actor=self.request.user)


class PeriodViewSet(GovernedViewSet):
    """Planning periods (`2026-Q4`): leadership and admins write, everyone signed in reads."""

    queryset = Period.objects.order_by("-start", "name")
    serializer_class = PeriodSerializer
    lookup_field = "name"
    filterset_fields = ["name"]
    search_fields = ["name"]
    ordering_fields = ["name", "start", "end"]

    def create_object(self, data: dict[str, Any]) -> Period:
        return services.period_save(period=Period(), changes=data, actor=self.request.user)

    def update_object(self, instance: Period, changes: dict[str, Any]) -> Period:
        return services.period_save(period=instance, changes=changes, actor=self.request.user)

    def delete_object(self, instance: Period) -> None:
        services.period_delete(period=instance, actor=self.request.user)
