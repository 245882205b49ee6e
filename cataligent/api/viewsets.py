"""Base viewset: every write goes through the permission policy, then a service."""

from __future__ import annotations

from typing import Any

from django.db import models
from rest_framework import viewsets

from cataligent.permissions import Action, changed_fields, check


class GovernedViewSet(viewsets.ModelViewSet):
    """A model viewset whose writes are checked by policy and done by services.

    Subclasses implement `create_object`, `update_object` and `delete_object`
    by calling their app's services; they never save models themselves.
    """

    governed = True

    @property
    def model(self) -> type[models.Model]:
        return self.get_queryset().model

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        check(self.request.user, Action.CREATE, model=self.model, data=data)
        serializer.instance = self.create_object(data)

    def perform_update(self, serializer: Any) -> None:
        instance = serializer.instance
        changes = self.changes_for(instance, dict(serializer.validated_data))
        check(self.request.user, Action.CHANGE, model=self.model, obj=instance, data=changes)
        serializer.instance = self.update_object(instance, changes)

    def perform_destroy(self, instance: Any) -> None:
        check(self.request.user, Action.DELETE, model=self.model, obj=instance)
        self.delete_object(instance)

    def changes_for(self, instance: Any, values: dict[str, Any]) -> dict[str, Any]:
        """What an update really changes; the policy judges only that."""
        return changed_fields(instance, values)

    def create_object(self, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def update_object(self, instance: Any, changes: dict[str, Any]) -> Any:
        raise NotImplementedError

    def delete_object(self, instance: Any) -> None:
        raise NotImplementedError
