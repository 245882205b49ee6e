from __future__ import annotations

from typing import Any

from rest_framework import serializers

from dependencies.models import Node
from integrations.connectors import default_page_size
from integrations.connectors.ticket_urls import http_url
from integrations.models import (
    AuthType,
    Connector,
    LinkRule,
    QuarantinedRecord,
    SyncRun,
    Ticket,
    TicketLink,
)
from integrations.validation import (
    base_url_problem,
    blocker_labels_problem,
    construction_problems,
    kind_problems,
    priority_map_problem,
    status_map_problem,
)
from objectives.models import Objective


class AuthSerializer(serializers.Serializer):
    """`{type, username, secret}`; the secret is write-only and never shown back."""

    type = serializers.ChoiceField(choices=AuthType.choices, source="auth_type")
    username = serializers.CharField(required=False, allow_blank=True, max_length=200)
    secret = serializers.CharField(
        write_only=True, required=False, allow_blank=False, trim_whitespace=False
    )
    has_secret = serializers.BooleanField(read_only=True)


class ConnectorSerializer(serializers.ModelSerializer):
    auth = AuthSerializer(source="*")
    webhook_secret = serializers.CharField(
        write_only=True, required=False, allow_blank=False, trim_whitespace=False
    )
    health = serializers.CharField(read_only=True)

    class Meta:
        model = Connector
        fields = [
            "slug",
            "name",
            "kind",
            "base_url",
            "auth",
            "webhook_secret",
            "query",
            "poll_interval",
            "enabled",
            "blocking_priority",
            "blocker_labels",
            "status_map",
            "priority_map",
            "options",
            "page_size",
            "cursor",
            "last_success_at",
            "last_attempt_at",
            "last_error",
            "health",
        ]
        read_only_fields = ["cursor", "last_success_at", "last_attempt_at", "last_error"]

    def validate_base_url(self, value: str) -> str:
        problem = base_url_problem(value)
        if problem:
            raise serializers.ValidationError(problem)
        return value.rstrip("/")

    def validate_blocking_priority(self, value: int) -> int:
        if not 1 <= value <= 5:
            raise serializers.ValidationError("Use 1 (only the highest priority blocks) to 5.")
        return value

    def validate_poll_interval(self, value: int) -> int:
        if value < 10:
            raise serializers.ValidationError("Poll at most every 10 seconds.")
        return value

    def validate_status_map(self, value: Any) -> dict[str, str]:
        problem = status_map_problem(value)
        if problem:
            raise serializers.ValidationError(problem)
        return value

    def validate_priority_map(self, value: Any) -> dict[str, int]:
        problem = priority_map_problem(value)
        if problem:
            raise serializers.ValidationError(problem)
        return value

    def validate_blocker_labels(self, value: Any) -> list[str]:
        problem = blocker_labels_problem(value)
        if problem:
            raise serializers.ValidationError(problem)
        return value

    def validate_options(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise serializers.ValidationError("Give an object of options.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        creating = self.instance is None
        if creating and not attrs.get("secret"):
            raise serializers.ValidationError(
                {
                    "auth": {
                        "secret": [
                            "A secret is required: the password, token or OAuth client secret."
                        ]
                    }
                }
            )
        kind = attrs.get("kind", getattr(self.instance, "kind", None))
        auth_type = attrs.get("auth_type", getattr(self.instance, "auth_type", None))
        username = attrs.get("username", getattr(self.instance, "username", ""))
        if kind:
            problems = kind_problems(
                kind,
                auth_type=auth_type,
                options=attrs.get("options"),
                username=username,
                base_url=attrs.get("base_url", getattr(self.instance, "base_url", None)),
            )
            if "auth_type" in problems:
                raise serializers.ValidationError({"auth": {"type": [problems["auth_type"]]}})
            if "base_url" in problems:
                raise serializers.ValidationError({"base_url": [problems["base_url"]]})
            if "username" in problems:
                raise serializers.ValidationError({"auth": {"username": [problems["username"]]}})
            if "options" in problems:
                raise serializers.ValidationError({"options": [problems["options"]]})
            self._check_with_the_connector(kind, attrs, auth_type=auth_type, username=username)
        return attrs

    def _check_with_the_connector(
        self, kind: str, attrs: dict[str, Any], *, auth_type: str, username: str
    ) -> None:
        """What the connector class refuses (an option's value, GitHub's owner/name), as the
        connector form does (integrations.validation.construction_problems)."""

        def value(name: str, default: Any) -> Any:
            given = attrs.get(name, getattr(self.instance, name, default))
            return default if given is None else given

        problems = construction_problems(
            kind,
            base_url=value("base_url", ""),
            auth_type=auth_type,
            username=username or "",
            query=value("query", ""),
            status_map=value("status_map", {}),
            priority_map=value("priority_map", {}),
            blocking_priority=value("blocking_priority", 2),
            blocker_labels=tuple(value("blocker_labels", [])),
            page_size=value("page_size", None) or default_page_size(kind),
            options=value("options", {}),
        )
        for field, message in problems.items():
            if field in ("auth_type", "username"):
                key = "type" if field == "auth_type" else "username"
                raise serializers.ValidationError({"auth": {key: [message]}})
            raise serializers.ValidationError({field: [message]} if field else [message])


class TicketLinkBriefSerializer(serializers.ModelSerializer):
    node = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    objective = serializers.SlugRelatedField(slug_field="key", read_only=True, allow_null=True)

    class Meta:
        model = TicketLink
        fields = ["id", "node", "objective", "via"]


class SourceUrlField(serializers.CharField):
    """A source's URL, given only when http(s): a client may make it a link (rows mirrored
    before the sync dropped other URLs may still hold one)."""

    def to_representation(self, value: Any) -> str:
        return http_url(str(value)) or ""


class TicketSerializer(serializers.ModelSerializer):
    connector = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    # Only an http(s) link from the source, else "" (documented as plain text, not a URI).
    url = SourceUrlField(read_only=True)
    links = TicketLinkBriefSerializer(many=True, read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "connector",
            "external_id",
            "key",
            "url",
            "title",
            "status_raw",
            "status_category",
            "priority",
            "is_blocking",
            "is_blocker",
            "assignee",
            "assignment_group",
            "reassignment_count",
            "reopen_count",
            "ci",
            "components",
            "labels",
            "opened_at",
            "updated_at",
            "resolved_at",
            "sla_breached",
            "due_at",
            "missing_from_source",
            "links",
        ]
        read_only_fields = fields


class TicketLinkSerializer(serializers.ModelSerializer):
    ticket = serializers.PrimaryKeyRelatedField(queryset=Ticket.objects.all())
    node = serializers.SlugRelatedField(
        slug_field="slug", queryset=Node.objects.all(), required=False, allow_null=True
    )
    objective = serializers.SlugRelatedField(
        slug_field="key", queryset=Objective.objects.all(), required=False, allow_null=True
    )
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = TicketLink
        fields = ["id", "ticket", "node", "objective", "via", "rule", "created_by", "created_at"]
        read_only_fields = ["via", "rule", "created_by", "created_at"]
        validators: list[Any] = []  # `validate` checks duplicates, naming the field

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        node, objective = attrs.get("node"), attrs.get("objective")
        if bool(node) == bool(objective):
            raise serializers.ValidationError({"node": "Link to a node or to an objective (one)."})
        exists = TicketLink.objects.filter(ticket=attrs["ticket"], node=node, objective=objective)
        if exists.exists():
            raise serializers.ValidationError({"ticket": "This ticket is already linked there."})
        return attrs


class LinkRuleSerializer(serializers.ModelSerializer):
    connector = serializers.SlugRelatedField(
        slug_field="slug", queryset=Connector.objects.all(), required=False, allow_null=True
    )
    node = serializers.SlugRelatedField(
        slug_field="slug", queryset=Node.objects.all(), required=False, allow_null=True
    )
    objective = serializers.SlugRelatedField(
        slug_field="key", queryset=Objective.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = LinkRule
        fields = ["id", "connector", "field", "pattern", "node", "objective", "enabled"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        node = attrs.get("node", getattr(self.instance, "node", None))
        objective = attrs.get("objective", getattr(self.instance, "objective", None))
        if bool(node) == bool(objective):
            raise serializers.ValidationError(
                {"node": "A rule links to a node or to an objective (one)."}
            )
        return attrs  # a title pattern is checked by LinkRule.clean (in link_rule_save)


class SyncRunSerializer(serializers.ModelSerializer):
    connector = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = SyncRun
        fields = [
            "id",
            "connector",
            "trigger",
            "full",
            "started_at",
            "finished_at",
            "duration_seconds",
            "outcome",
            "pages",
            "fetched",
            "created",
            "updated",
            "unchanged",
            "rejected",
            "marked_missing",
            "cursor_before",
            "cursor_after",
            "error",
            "warnings",
        ]
        read_only_fields = fields


class QuarantinedRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = QuarantinedRecord
        fields = [
            "id",
            "external_id",
            "reason",
            "raw",
            "raw_text",
            "received_at",
            "sync_run",
            "page_number",
            "page_offset",
            "page_cursor",
            "resolved_at",
        ]
        read_only_fields = fields
