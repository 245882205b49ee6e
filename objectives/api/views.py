from __future__ import annotations

from typing import Any

from django.db.models import Prefetch

from cataligent.api.viewsets import GovernedViewSet
from dependencies.graph.api.views import HistoryMixin
from objectives import services
from objectives.api.serializers import ObjectiveSerializer
from objectives.filtersets import ObjectiveFilterSet
from objectives.models import Objective, Requirement
from objectives.selectors import with_latest_update


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
        changes = super().changes_for(instance, values)
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
        return services.objective_update(
            objective=instance,
            changes=changes,
            requires=_specs(requires) if requires is not None else None,
            actor=self.request.user,
        )

    def delete_object(self, instance: Objective) -> None:
        services.objective_delete(objective=instance, actor=self.request.user)
