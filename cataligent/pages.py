"""Base classes for pages: the permission policy is asked here, once."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.views.generic import DetailView
from django_filters.views import FilterView

from cataligent.permissions import Action, can_edit, check


def is_htmx(request: Any) -> bool:
    """The request came from htmx (django-htmx's middleware sets `request.htmx`)."""
    return bool(getattr(request, "htmx", False))


class PolicyPageMixin:
    """Refuses the page unless the policy lets the user read this model."""

    model: Any

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if not request.user.is_authenticated:
            raise PermissionDenied("Sign in first.")
        check(request.user, Action.VIEW, model=self.model)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class ObjectListPage(PolicyPageMixin, FilterView):
    paginate_by = 50

    def get_template_names(self) -> list[str]:
        names = super().get_template_names()
        # htmx swaps only the table when filters or pages change.
        if getattr(self.request, "htmx", False):  # type: ignore[attr-defined]
            return [name.replace(".html", "_table.html") for name in names]
        return names


class ObjectDetailPage(PolicyPageMixin, DetailView):
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_edit"] = can_edit(self.request.user, self.object)  # type: ignore[attr-defined]
        return context
