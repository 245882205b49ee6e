from __future__ import annotations

from typing import Any

from rest_framework import serializers

from cataligent.api.fields import TeamSlugField, UsernameField
from dependencies.choices import Criticality
from dependencies.models import EscalationPolicy, Node
from objectives.models import OBJECTIVE_KEY_RE, KeyResult, Objective, Period
from objectives.selectors import contradicts_graph, is_update_overdue


class RequirementSerializer(serializers.Serializer):
    node = serializers.SlugRelatedField(slug_field="slug", queryset=Node.objects.all())
    criticality = serializers.ChoiceField(choices=Criticality.choices, default=Criticality.HARD)


class KeyResultSerializer(serializers.ModelSerializer):
    progress = serializers.FloatField(read_only=True)

    class Meta:
        model = KeyResult
        fields = ["title", "start_value", "target_value", "current_value", "unit", "progress"]
        read_only_fields = ["progress"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # A key result is always sent whole, even inside a partial update of its objective.
        missing = [name for name in ("title", "target_value") if name not in attrs]
        if missing:
            raise serializers.ValidationError({name: "This field is required." for name in missing})
        start = attrs.get("start_value", KeyResult._meta.get_field("start_value").default)
        if attrs.get("target_value") == start:
            raise serializers.ValidationError(
                {"target_value": "The target must differ from the start value."}
            )
        return attrs


class PeriodSerializer(serializers.ModelSerializer):
    class Meta:
        model = Period
        fields = ["name", "start", "end"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start = attrs.get("start", getattr(self.instance, "start", None))
        end = attrs.get("end", getattr(self.instance, "end", None))
        if start is not None and end is not None and end < start:
            raise serializers.ValidationError({"end": "The end must not be before the start."})
        return attrs


class ObjectiveSerializer(serializers.ModelSerializer):
    owner = UsernameField()
    team = TeamSlugField()
    period = serializers.SlugRelatedField(
        slug_field="name", queryset=Period.objects.all(), allow_null=True, required=False
    )
    parent = serializers.SlugRelatedField(
        slug_field="key", queryset=Objective.objects.all(), allow_null=True, required=False
    )
    escalation_policy = serializers.SlugRelatedField(
        slug_field="name",
        queryset=EscalationPolicy.objects.all(),
        allow_null=True,
        required=False,
    )
    value_at_stake = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False
    )
    requires = RequirementSerializer(many=True, required=False, source="requirement_specs")
    key_results = KeyResultSerializer(
        many=True,
        required=False,
        help_text="Replaced as a whole on update: send the full list.",
    )
    root_causes = serializers.ListField(child=serializers.CharField(), read_only=True)
    ownership_gaps = serializers.ListField(child=serializers.CharField(), read_only=True)
    latest_update = serializers.SerializerMethodField()
    update_overdue = serializers.SerializerMethodField()
    contradicts_graph = serializers.SerializerMethodField(
        help_text="Declared or reported green while the graph says blocked."
    )

    class Meta:
        model = Objective
        fields = [
            "key",
            "title",
            "description",
            "owner",
            "team",
            "escalation_policy",
            "period",
            "target_date",
            "value_at_stake",
            "parent",
            "declared_status",
            "update_cadence_days",
            "requires",
            "key_results",
            "state",
            "root_causes",
            "blocked_since",
            "ownership_gaps",
            "latest_update",
            "update_overdue",
            "contradicts_graph",
        ]
        read_only_fields = ["state", "blocked_since"]
        extra_kwargs = {"key": {"required": False, "allow_blank": True}}

    def get_latest_update(self, obj: Objective) -> dict[str, Any] | None:
        if getattr(obj, "latest_update_at", None) is None:
            return None
        return {"rag": obj.latest_rag, "created_at": obj.latest_update_at}  # type: ignore[attr-defined]

    def get_update_overdue(self, obj: Objective) -> bool:
        return is_update_overdue(obj)

    def get_contradicts_graph(self, obj: Objective) -> bool:
        return contradicts_graph(obj)

    def validate_key(self, value: str) -> str:
        if self.instance is not None and value and value != self.instance.key:
            raise serializers.ValidationError("An objective's key cannot change once given.")
        if value and not OBJECTIVE_KEY_RE.match(value):
            raise serializers.ValidationError("Use capitals, a dash and a number, like OBJ-12.")
        return value

    def validate_requires(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        slugs = [item["node"].slug for item in value]
        duplicates = sorted({slug for slug in slugs if slugs.count(slug) > 1})
        if duplicates:
            raise serializers.ValidationError(f"Listed more than once: {', '.join(duplicates)}.")
        return value

    def validate_key_results(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        titles = [item["title"].strip() for item in value]
        for index, title in enumerate(titles):
            if title in titles[:index]:
                raise serializers.ValidationError(
                    f"Item {index}: the title {title!r} is listed twice."
                )
        return value

    def validate_parent(self, value: Objective | None) -> Objective | None:
        ancestor = value
        while ancestor is not None and self.instance is not None:
            if ancestor.pk == self.instance.pk:
                raise serializers.ValidationError("An objective cannot be its own ancestor.")
            ancestor = ancestor.parent
        return value
