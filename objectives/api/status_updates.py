"""API: structured status updates (RAG, summary, blockers, decisions needed)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from cataligent.api.viewsets import GovernedViewSet
from objectives.models import Objective, StatusUpdate
from objectives.services import status_update_create, status_update_delete


class StatusUpdateSerializer(serializers.ModelSerializer):
    objective = serializers.SlugRelatedField(slug_field="key", queryset=Objective.objects.all())
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    contradicts_graph = serializers.SerializerMethodField(
        help_text="Green while the graph says the objective is blocked."
    )

    class Meta:
        model = StatusUpdate
        fields = [
            "id",
            "objective",
            "author",
            "created_at",
            "rag",
            "summary",
            "blockers",
            "decisions_needed",
            "contradicts_graph",
        ]
        read_only_fields = ["author", "created_at"]

    def get_contradicts_graph(self, obj: StatusUpdate) -> bool:
        return obj.rag == "green" and obj.objective.state == "blocked"


class StatusUpdateViewSet(GovernedViewSet):
    """Posted by the objective's owner (or its team's lead); updates are never edited."""

    http_method_names = ["get", "post", "delete", "head", "options"]
    queryset = StatusUpdate.objects.select_related("objective", "author").order_by(
        "-created_at", "-id"
    )
    serializer_class = StatusUpdateSerializer
    filterset_fields = ["objective__key", "rag"]

    def create_object(self, data: dict[str, Any]) -> StatusUpdate:
        return status_update_create(actor=self.request.user, **data)

    def delete_object(self, instance: StatusUpdate) -> None:
        status_update_delete(update=instance, actor=self.request.user)
