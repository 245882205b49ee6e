from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from cataligent.audit import history_lines
from cataligent.forms import ModelForm
from cataligent.pages import ObjectDetailPage, ObjectListPage
from cataligent.permissions import Action, can, check
from objectives.filtersets import ObjectiveFilterSet
from objectives.models import Objective, Requirement, StatusUpdate
from objectives.selectors import contradicts_graph, is_update_overdue
from objectives.services import status_update_create


class ObjectiveListPage(ObjectListPage):
    model = Objective
    filterset_class = ObjectiveFilterSet
    template_name = "objectives/objective_list.html"

    def get_queryset(self) -> Any:
        return Objective.objects.select_related("owner", "team", "period").order_by(
            "-state", "-value_at_stake", "key"
        )


class ObjectiveDetailPage(ObjectDetailPage):
    model = Objective
    slug_field = "key"
    slug_url_kwarg = "key"
    template_name = "objectives/objective_detail.html"

    def get_queryset(self) -> Any:
        return Objective.objects.select_related(
            "owner", "team", "period", "parent", "escalation_policy"
        ).prefetch_related(
            Prefetch(
                "requirements",
                queryset=Requirement.objects.select_related("node__owner", "node__team"),
            ),
            "key_results",
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        objective = self.object
        context["status_updates"] = objective.status_updates.select_related("author")[:10]
        context["history"] = history_lines(objective)
        context["may_post_update"] = can(
            self.request.user, Action.CREATE, model=StatusUpdate, data={"objective": objective}
        )
        context["update_form"] = self.kwargs.get("update_form") or StatusUpdateForm()
        latest = objective.status_updates.first()
        objective.latest_update_at = latest.created_at if latest else None
        objective.latest_rag = latest.rag if latest else None
        context["update_overdue"] = is_update_overdue(objective)
        context["contradicts_graph"] = contradicts_graph(objective)
        return context


class StatusUpdateForm(ModelForm):
    class Meta:
        model = StatusUpdate
        fields = ["rag", "summary", "blockers", "decisions_needed"]
        # Labels people read: "RAG" is jargon to half of them.
        labels = {
            "rag": "Red / amber / green status",
            "summary": "Summary",
            "blockers": "Blockers",
            "decisions_needed": "Decisions needed",
        }
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 2}),
            "blockers": forms.Textarea(attrs={"rows": 2}),
            "decisions_needed": forms.Textarea(attrs={"rows": 2}),
        }


@require_POST
def post_status_update(request: HttpRequest, key: str) -> HttpResponse:
    """The owner (or the team's lead) posts a structured status update."""
    objective = get_object_or_404(Objective, key=key)
    check(request.user, Action.CREATE, model=StatusUpdate, data={"objective": objective})
    form = StatusUpdateForm(request.POST)
    if form.is_valid():
        status_update_create(objective=objective, actor=request.user, **form.cleaned_data)
        messages.success(request, "Status update posted.")
        return redirect("objective-detail", key=objective.key)
    page = ObjectiveDetailPage.as_view()
    request.method = "GET"
    return page(request, key=key, update_form=form)
