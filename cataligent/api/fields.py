"""Serializer pieces shared by every app's API."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from rest_framework import serializers

from cataligent.models import AuditEntry, Team


class UsernameField(serializers.SlugRelatedField):
    """A user given and shown as their username."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", get_user_model().objects.all())
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("required", False)
        super().__init__(slug_field="username", **kwargs)


class TeamSlugField(serializers.SlugRelatedField):
    """A team given and shown as its slug."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Team.objects.all())
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("required", False)
        super().__init__(slug_field="slug", **kwargs)


class AuditEntrySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_display", read_only=True)

    class Meta:
        model = AuditEntry
        fields = ["at", "actor", "action", "field", "old_value", "new_value"]
        read_only_fields = fields
