from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from cataligent.api.viewsets import GovernedViewSet
from cataligent.permissions import Action, check
from integrations import services
from integrations.api.serializers import (
    ConnectorSerializer,
    LinkRuleSerializer,
    QuarantinedRecordSerializer,
    SyncRunSerializer,
    TicketLinkSerializer,
    TicketSerializer,
)
from integrations.connectors import ConnectorError, connector_for
from integrations.filtersets import LinkRuleFilterSet, SyncRunFilterSet, TicketFilterSet
from integrations.linking import tickets_matching
from integrations.models import Connector, LinkRule, SyncRun, Ticket, TicketLink
from integrations.sync import connector_config
from integrations.title_patterns import BadPattern


class SyncRequest(serializers.Serializer):
    full = serializers.BooleanField(required=False, default=False)


class ConnectorViewSet(GovernedViewSet):
    """ITSM sources (admins only). `secret` and `webhook_secret` are write-only."""

    queryset = Connector.objects.order_by("name")
    serializer_class = ConnectorSerializer
    lookup_field = "slug"
    filterset_fields = ["kind", "enabled"]

    def create_object(self, data: dict[str, Any]) -> Connector:
        secret = data.pop("secret", None)
        webhook_secret = data.pop("webhook_secret", None)
        return services.connector_save(
            connector=Connector(),
            changes=data,
            secret=secret,
            webhook_secret=webhook_secret,
            actor=self.request.user,
        )

    def update_object(self, instance: Connector, changes: dict[str, Any]) -> Connector:
        secret = changes.pop("secret", None)
        webhook_secret = changes.pop("webhook_secret", None)
        return services.connector_save(
            connector=instance,
            changes=changes,
            secret=secret,
            webhook_secret=webhook_secret,
            actor=self.request.user,
        )

    def delete_object(self, instance: Connector) -> None:
        services.connector_delete(connector=instance, actor=self.request.user)

    @extend_schema(request=None, responses={200: dict})
    @action(detail=True, methods=["post"])
    def test(self, request: Request, slug: str) -> Response:
        """Check URL, credentials and query against the source now."""
        connector = self.get_object()
        check(request.user, Action.CHANGE, model=Connector, obj=connector)
        try:
            with connector_for(connector_config(connector)) as source:
                message = source.test_connection()
                services.connector_options_learned(
                    connector=connector, learned=source.learned_options(), actor=request.user
                )
        except ConnectorError as exc:
            return Response({"ok": False, "message": str(exc), "permanent": exc.permanent})
        return Response({"ok": True, "message": message})

    @extend_schema(
        request=SyncRequest,
        responses={202: dict, 503: dict},
        description="Queue a sync now; `full` re-reads everything. 503 when the task queue "
        "cannot be reached.",
    )
    @action(detail=True, methods=["post"])
    def sync(self, request: Request, slug: str) -> Response:
        from integrations.tasks import sync_queue

        connector = self.get_object()
        check(request.user, Action.CHANGE, model=Connector, obj=connector)
        body = SyncRequest(data=request.data)
        body.is_valid(raise_exception=True)
        full = body.validated_data["full"]
        if not sync_queue(connector.pk, full=full, trigger="manual"):
            return Response(
                {"detail": "The task queue cannot be reached; the sync was not queued."},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        return Response({"queued": True, "full": full}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=QuarantinedRecordSerializer(many=True))
    @action(detail=True, methods=["get"])
    def quarantine(self, request: Request, slug: str) -> Response:
        """Records the source sent that could not be read, with the reason."""
        connector = self.get_object()
        page = self.paginate_queryset(connector.quarantine.order_by("-received_at"))
        return self.get_paginated_response(QuarantinedRecordSerializer(page, many=True).data)


class TicketViewSet(viewsets.ReadOnlyModelViewSet):
    """The read-only mirror of the source tickets."""

    queryset = (
        Ticket.objects.select_related("connector")
        .prefetch_related(
            Prefetch("links", queryset=TicketLink.objects.select_related("node", "objective"))
        )
        .order_by("-updated_at", "id")
    )
    serializer_class = TicketSerializer
    filterset_class = TicketFilterSet
    ordering_fields = ["updated_at", "priority", "key", "opened_at"]


class TicketLinkViewSet(GovernedViewSet):
    """Tickets attached to nodes and objectives; create and delete links made by hand."""

    http_method_names = ["get", "post", "delete", "head", "options"]
    queryset = TicketLink.objects.select_related(
        "ticket", "node", "objective", "created_by"
    ).order_by("-created_at", "id")
    serializer_class = TicketLinkSerializer
    filterset_fields = ["via", "ticket"]

    def create_object(self, data: dict[str, Any]) -> TicketLink:
        return services.ticket_link_create(
            ticket=data["ticket"],
            node=data.get("node"),
            objective=data.get("objective"),
            actor=self.request.user,
        )

    def delete_object(self, instance: TicketLink) -> None:
        services.ticket_link_delete(link=instance, actor=self.request.user)


class LinkRulePreview(serializers.Serializer):
    connector = serializers.SlugRelatedField(
        slug_field="slug", queryset=Connector.objects.all(), required=False
    )
    field = serializers.ChoiceField(choices=LinkRule.Field.choices)
    pattern = serializers.CharField(max_length=LinkRule._meta.get_field("pattern").max_length)


class LinkRuleViewSet(GovernedViewSet):
    """Rules that link tickets to a node or an objective by CI, component, label, group or title."""

    queryset = LinkRule.objects.select_related("connector", "node", "objective").order_by("id")
    serializer_class = LinkRuleSerializer
    filterset_class = LinkRuleFilterSet

    def create_object(self, data: dict[str, Any]) -> LinkRule:
        return services.link_rule_save(rule=LinkRule(), changes=data, actor=self.request.user)

    def update_object(self, instance: LinkRule, changes: dict[str, Any]) -> LinkRule:
        return services.link_rule_save(rule=instance, changes=changes, actor=self.request.user)

    def delete_object(self, instance: LinkRule) -> None:
        services.link_rule_delete(rule=instance, actor=self.request.user)

    @extend_schema(parameters=[LinkRulePreview], responses=TicketSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def preview(self, request: Request) -> Response:
        """The tickets a rule would match (the first 50), before it is saved."""
        query = LinkRulePreview(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        tickets = Ticket.objects.select_related("connector").order_by("-updated_at")
        if data.get("connector"):
            tickets = tickets.filter(connector=data["connector"])
        try:
            matched = tickets_matching(
                tickets, field=data["field"], pattern=data["pattern"], limit=50
            )
        except BadPattern as exc:
            return Response({"pattern": [str(exc)]}, status=400)
        return Response(TicketSerializer(matched, many=True).data)


class SyncRunViewSet(viewsets.ReadOnlyModelViewSet):
    """The history of syncs (admins only): counts, cursors, errors."""

    queryset = SyncRun.objects.select_related("connector").order_by("-started_at", "-id")
    serializer_class = SyncRunSerializer
    filterset_class = SyncRunFilterSet
