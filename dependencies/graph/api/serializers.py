from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.validators import UniqueTogetherValidator

from cataligent.api.fields import TeamSlugField, UsernameField
from dependencies.choices import NotifyRole, State
from dependencies.graph.services import EDGE_EXISTS, EDGE_MIN_OPERATIONAL, EDGE_SELF_LOOP
from dependencies.models import Edge, EscalationLevel, EscalationPolicy, Node


class NodeSerializer(serializers.ModelSerializer):
    owner = UsernameField()
    team = TeamSlugField()
    escalation_policy = serializers.SlugRelatedField(
        slug_field="name",
        queryset=EscalationPolicy.objects.all(),
        allow_null=True,
        required=False,
    )
    manual_state = serializers.ChoiceField(
        choices=State.choices, allow_blank=True, allow_null=True, required=False
    )
    root_causes = serializers.ListField(child=serializers.CharField(), read_only=True)
    ownership_gaps = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Node
        fields = [
            "slug",
            "name",
            "kind",
            "description",
            "owner",
            "team",
            "escalation_policy",
            "manual_state",
            "manual_reason",
            "manual_set_at",
            "intrinsic_state",
            "state",
            "root_causes",
            "blocked_since",
            "ownership_gaps",
            "external_ref",
        ]
        read_only_fields = [
            "manual_set_at",
            "intrinsic_state",
            "state",
            "blocked_since",
            "external_ref",
        ]

    def validate_manual_state(self, value: str | None) -> str:
        return value or ""


class EdgeSerializer(serializers.ModelSerializer):
    source = serializers.SlugRelatedField(slug_field="slug", queryset=Node.objects.all())
    target = serializers.SlugRelatedField(slug_field="slug", queryset=Node.objects.all())

    class Meta:
        model = Edge
        fields = ["id", "source", "target", "criticality", "redundancy_group", "min_operational"]
        validators = [
            UniqueTogetherValidator(
                queryset=Edge.objects.all(),
                fields=["source", "target"],
                message=EDGE_EXISTS,
            )
        ]

    def validate_min_operational(self, value: int) -> int:
        if value < 1:
            raise serializers.ValidationError(EDGE_MIN_OPERATIONAL)
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        source = attrs.get("source", getattr(self.instance, "source", None))
        target = attrs.get("target", getattr(self.instance, "target", None))
        if source is not None and source == target:
            raise serializers.ValidationError({"target": EDGE_SELF_LOOP})
        return attrs


class EscalationLevelSerializer(serializers.ModelSerializer):
    notify_user = UsernameField()
    notify_team = TeamSlugField()
    notify_role = serializers.ChoiceField(
        choices=NotifyRole.choices, allow_blank=True, required=False
    )

    class Meta:
        model = EscalationLevel
        fields = ["after_minutes", "notify_user", "notify_team", "notify_role"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        targets = [
            name
            for name in ("notify_user", "notify_team", "notify_role")
            if attrs.get(name) not in (None, "")
        ]
        if len(targets) != 1:
            raise serializers.ValidationError(
                {"notify_user": "Name exactly one of notify_user, notify_team, notify_role."}
            )
        attrs.setdefault("notify_role", "")
        return attrs


class EscalationPolicySerializer(serializers.ModelSerializer):
    team = TeamSlugField()
    levels = EscalationLevelSerializer(many=True, required=False)

    class Meta:
        model = EscalationPolicy
        fields = ["id", "name", "team", "description", "levels"]

    def validate_levels(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        minutes = [level["after_minutes"] for level in value]
        if minutes != sorted(minutes):
            raise serializers.ValidationError(
                "Levels must be ordered by after_minutes, first level first."
            )
        return value
