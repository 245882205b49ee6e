from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from cataligent.api.fields import AuditEntrySerializer
from cataligent.api.viewsets import GovernedViewSet
from cataligent.audit import history_for
from dependencies.graph import services
from dependencies.graph.api.serializers import (
    EdgeSerializer,
    EscalationPolicySerializer,
    NodeSerializer,
)
from dependencies.graph.filtersets import EdgeFilterSet, NodeFilterSet
from dependencies.models import Edge, EscalationPolicy, Node


class HistoryMixin:
    """`GET …/<lookup>/history/`: who changed which governance field, when, from what to what."""

    @extend_schema(responses=AuditEntrySerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request: Request, **kwargs: Any) -> Response:
        entries = history_for(self.get_object())  # type: ignore[attr-defined]
        page = self.paginate_queryset(entries)  # type: ignore[attr-defined]
        serializer = AuditEntrySerializer(page, many=True)
        return self.get_paginated_response(serializer.data)  # type: ignore[attr-defined]


class NodeViewSet(HistoryMixin, GovernedViewSet):
    queryset = Node.objects.select_related("owner", "team", "escalation_policy").order_by("slug")
    serializer_class = NodeSerializer
    lookup_field = "slug"
    filterset_class = NodeFilterSet
    ordering_fields = ["slug", "name", "kind", "state", "blocked_since"]

    def create_object(self, data: dict[str, Any]) -> Node:
        return services.node_create(actor=self.request.user, **data)

    def update_object(self, instance: Node, changes: dict[str, Any]) -> Node:
        return services.node_update(node=instance, changes=changes, actor=self.request.user)

    def delete_object(self, instance: Node) -> None:
        services.node_delete(node=instance, actor=self.request.user)


class EdgeViewSet(GovernedViewSet):
    queryset = Edge.objects.select_related("source", "target").order_by("id")
    serializer_class = EdgeSerializer
    filterset_class = EdgeFilterSet

    def create_object(self, data: dict[str, Any]) -> Edge:
        return services.edge_create(actor=self.request.user, **data)

    def update_object(self, instance: Edge, changes: dict[str, Any]) -> Edge:
        return services.edge_update(edge=instance, changes=changes, actor=self.request.user)

    def delete_object(self, instance: Edge) -> None:
        services.edge_delete(edge=instance, actor=self.request.user)


class EscalationPolicyViewSet(HistoryMixin, GovernedViewSet):
    queryset = (
        EscalationPolicy.objects.select_related("team")
        .prefetch_related("levels__notify_user", "levels__notify_team")
        .order_by("name")
    )
    serializer_class = EscalationPolicySerializer
    filterset_fields = ["team__slug", "name"]

    def create_object(self, data: dict[str, Any]) -> EscalationPolicy:
        levels = data.pop("levels", None)
        return services.escalation_policy_save(
            policy=EscalationPolicy(**data), levels=levels, actor=self.request.user
        )

    def update_object(
        self, instance: EscalationPolicy, changes: dict[str, Any]
    ) -> EscalationPolicy:
        levels = changes.pop("levels", None)
        return services.escalation_policy_save(
            policy=instance, changes=changes, levels=levels, actor=self.request.user
        )

    def delete_object(self, instance: EscalationPolicy) -> None:
        services.escalation_policy_delete(policy=instance, actor=self.request.user)
