from __future__ import annotations

from typing import Any

from cataligent.audit import history_lines
from cataligent.pages import ObjectDetailPage, ObjectListPage
from cataligent.permissions import Action, can, can_assign_team
from dependencies.graph.filtersets import NodeFilterSet
from dependencies.models import Node


class NodeListPage(ObjectListPage):
    model = Node
    filterset_class = NodeFilterSet
    template_name = "dependencies/node_list.html"

    def get_queryset(self) -> Any:
        return Node.objects.select_related("owner", "team", "escalation_policy").order_by(
            "-state", "name"
        )


class NodeDetailPage(ObjectDetailPage):
    model = Node
    slug_field = "slug"
    template_name = "dependencies/node_detail.html"

    def get_queryset(self) -> Any:
        return Node.objects.select_related("owner", "team", "escalation_policy", "manual_set_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        node = self.object
        context["depends_on"] = node.dependency_edges.select_related("target").order_by(
            "redundancy_group", "target__name"
        )
        context["dependents"] = node.dependent_edges.select_related("source").order_by(
            "source__name"
        )
        context["required_by"] = node.required_by.select_related("objective")
        context["history"] = history_lines(node)
        user = self.request.user
        # Leadership may move the node to another team but not override its state.
        context["can_set_state"] = can(
            user, Action.CHANGE, model=Node, obj=node, data={"manual_state": node.manual_state}
        )
        context["can_assign_team"] = can_assign_team(user, node)
        return context
