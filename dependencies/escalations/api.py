"""API: escalations (read, acknowledge)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from dependencies.escalations.engine import escalation_acknowledge
from dependencies.models import Escalation, EscalationStatus


class EscalationSerializer(serializers.ModelSerializer):
    item = serializers.CharField(source="item_label", read_only=True)
    item_type = serializers.SerializerMethodField()
    target = serializers.CharField(source="target_display", read_only=True)
    acknowledged_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    time_to_acknowledge = serializers.SerializerMethodField(help_text="Seconds.")
    time_to_resolve = serializers.SerializerMethodField(help_text="Seconds.")

    class Meta:
        model = Escalation
        fields = [
            "id",
            "item",
            "item_type",
            "level",
            "target",
            "episode_started_at",
            "fired_at",
            "root_causes",
            "status",
            "acknowledged_at",
            "acknowledged_by",
            "note",
            "resolved_at",
            "time_to_acknowledge",
            "time_to_resolve",
        ]
        read_only_fields = fields

    def get_item_type(self, obj: Escalation) -> str:
        return "node" if obj.node_id else "objective"

    def get_time_to_acknowledge(self, obj: Escalation) -> float | None:
        if obj.acknowledged_at is None:
            return None
        return (obj.acknowledged_at - obj.fired_at).total_seconds()

    def get_time_to_resolve(self, obj: Escalation) -> float | None:
        if obj.resolved_at is None:
            return None
        return (obj.resolved_at - obj.fired_at).total_seconds()


class EscalationFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=EscalationStatus.choices)
    team = django_filters.CharFilter(method="by_team")
    level = django_filters.NumberFilter()
    mine = django_filters.BooleanFilter(method="only_mine", label="Sent to me")

    class Meta:
        model = Escalation
        fields = ["status", "team", "level", "mine"]

    def by_team(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(Q(node__team__slug=value) | Q(objective__team__slug=value))

    def only_mine(self, queryset, name, value):  # type: ignore[no-untyped-def]
        if not value:
            return queryset
        return queryset.filter(notifications__recipient=self.request.user).distinct()


class AcknowledgeRequest(serializers.Serializer):
    # Required in effect: the service refuses a blank note once it knows the user may
    # acknowledge (who may not is told so first, whatever the note).
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        default="",
        help_text="What was decided; required (400 when blank).",
    )


class EscalationViewSet(viewsets.ReadOnlyModelViewSet):
    """Escalations fired by the engine; the target, leadership or an admin acknowledges them."""

    queryset = Escalation.objects.select_related(
        "node", "objective", "acknowledged_by", "target_team"
    ).order_by("-fired_at", "-id")
    serializer_class = EscalationSerializer
    filterset_class = EscalationFilterSet
    self_checking_actions = ("acknowledge",)

    @extend_schema(
        request=AcknowledgeRequest,
        responses=EscalationSerializer,
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: Any = None) -> Response:
        """Acknowledge with a note ("budget approved", "team reassigned"). The note is
        required, as in the inbox page: a blank one is a 400 naming `note`."""
        body = AcknowledgeRequest(data=request.data)
        body.is_valid(raise_exception=True)  # a body that is not an object is a 400 too
        escalation = escalation_acknowledge(
            escalation=self.get_object(), actor=request.user, note=body.validated_data["note"]
        )
        return Response(EscalationSerializer(escalation).data)
