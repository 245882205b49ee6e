from __future__ import annotations

from typing import Any

from cataligent.pages import ObjectListPage
from dependencies.graph.filtersets import NodeFilterSet
from dependencies.models import Node

# The node's own page, with its tickets and edit forms, is dependencies.map.node_page: it
# reads tickets, which sit above the graph.


class NodeListPage(ObjectListPage):
    model = Node
    filterset_class = NodeFilterSet
    template_name = "dependencies/node_list.html"

    def get_queryset(self) -> Any:
        return Node.objects.select_related("owner", "team", "escalation_policy").order_by(
            "-state", "name"
        )
