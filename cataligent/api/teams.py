"""API for teams (admins write, everyone signed in reads)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from cataligent.api.fields import UsernameField
from cataligent.api.viewsets import GovernedViewSet
from cataligent.models import Team, clean_assignment_groups
from cataligent.services import team_delete, team_save


class TeamSerializer(serializers.ModelSerializer):
    lead = UsernameField()
    members = UsernameField(many=True, allow_null=False, required=False)
    default_escalation_policy = serializers.SlugRelatedField(
        slug_field="name",
        # Policies belong to the graph, above the kernel: reached through the relation.
        queryset=Team._meta.get_field("default_escalation_policy").related_model.objects.all(),
        allow_null=True,
        required=False,
    )

    # The source tools' group names that are this team; trimmed, each once, and refused
    # (400 naming the field and the other team) when another team holds one.
    assignment_groups = serializers.ListField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        required=False,
        help_text="Assignment-group names in the ITSM tools that belong to this team; a name "
        "belongs to one team only.",
    )

    class Meta:
        model = Team
        fields = [
            "slug",
            "name",
            "description",
            "lead",
            "members",
            "default_escalation_policy",
            "assignment_groups",
        ]

    def validate_assignment_groups(self, value: list[str]) -> list[str]:
        try:
            return clean_assignment_groups(value, team=self.instance)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict["assignment_groups"]) from exc


class TeamViewSet(GovernedViewSet):
    queryset = (
        Team.objects.select_related("lead", "default_escalation_policy")
        .prefetch_related("members")
        .order_by("name")
    )
    serializer_class = TeamSerializer
    lookup_field = "slug"
    filterset_fields = ["slug"]
    search_fields = ["name", "slug"]
    ordering_fields = ["name", "slug"]

    def create_object(self, data: dict[str, Any]) -> Team:
        members = data.pop("members", None)
        return team_save(team=Team(), changes=data, members=members, actor=self.request.user)

    def update_object(self, instance: Team, changes: dict[str, Any]) -> Team:
        members = changes.pop("members", None)
        return team_save(team=instance, changes=changes, members=members, actor=self.request.user)

    def delete_object(self, instance: Team) -> None:
        team_delete(team=instance, actor=self.request.user)
