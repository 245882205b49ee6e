from __future__ import annotations

from typing import Any

from django.db.models import Prefetch

from cataligent.audit import history_for
from cataligent.pages import ObjectDetailPage, ObjectListPage
from objectives.filtersets import ObjectiveFilterSet
from objectives.models import Objective, Requirement


class ObjectiveListPage(ObjectListPage):
    model = Objective
    filterset_class = ObjectiveFilterSet
    template_name = "objectives/objective_list.html"

    def get_queryset(self) -> Any:
        return Objective.objects.select_related("owner", "team", "period").order_by(
            "-state", "-value_at_stake", "key"
        )


class ObjectiveDetailPage(ObjectDetailPage):
    model = Objective
    slug_field = "key"
    slug_url_kwarg = "key"
    template_name = "objectives/objective_detail.html"

    def get_queryset(self) -> Any:
        return Objective.objects.select_related(
            "owner", "team", "period", "parent", "escalation_policy"
        ).prefetch_related(
            Prefetch(
                "requirements",
                queryset=Requirement.objects.select_related("node__owner", "node__team"),
            ),
            "key_results",
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        objective = self.object
        context["status_updates"] = objective.status_updates.select_related("author")[:10]
        context["history"] = history_for(objective)[:50]
        return context
