"""What leadership and team leads change from the map's node panel: the manual state
override and the owning team (issue 18, item 1), through the graph services and the policy."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import DetailView

from cataligent.models import Team
from cataligent.pages import PolicyPageMixin, is_htmx
from cataligent.permissions import Action, can, can_assign_team, can_edit, check
from cataligent.roles import Role, user_roles
from dependencies.choices import State
from dependencies.graph.services import node_update
from dependencies.map.forms import ManualStateForm, TeamAssignForm
from dependencies.map.panels import node_panel
from dependencies.models import Node


def node_edit_context(user: Any, node: Node, form: ManualStateForm | None = None) -> dict[str, Any]:
    """Which edit controls to offer on a node: a state override to those who may change it,
    a team assignment where the node has no owning team and the user may claim or assign it."""
    may_edit = can_edit(user, node)
    may_set_state = may_edit and can(
        user, Action.CHANGE, model=Node, obj=node, data={"manual_state": node.manual_state}
    )
    return {
        "can_edit": may_edit,
        "can_set_state": may_set_state,
        "can_assign_team": can_assign_team(user, node),
        "state_form": form
        or ManualStateForm(
            initial={"manual_state": node.manual_state, "manual_reason": node.manual_reason}
        ),
    }


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


class NodeStateChange(PolicyPageMixin, View):
    """Set or clear a node's manual state override (team leads of the owning team, admins)."""

    model = Node

    def post(self, request: HttpRequest, slug: str) -> HttpResponse:
        node = get_object_or_404(
            Node.objects.select_related("owner", "team", "escalation_policy", "manual_set_by"),
            slug=slug,
        )
        form = ManualStateForm(request.POST)
        if not form.is_valid():
            check(request.user, Action.CHANGE, model=Node, obj=node, data={})
            return self._answer(request, node, form, ok=False)
        changes = {
            field: form.cleaned_data[field]
            for field in ("manual_state", "manual_reason")
            if form.cleaned_data[field] != getattr(node, field)
        }
        check(request.user, Action.CHANGE, model=Node, obj=node, data=changes)
        if changes:
            node_update(node=node, changes=changes, actor=request.user)
            label = State(node.manual_state).label if node.manual_state else "no override"
            messages.success(
                request,
                f"Manual state of {node.name} set to {label}. The map follows within seconds.",
            )
        else:
            messages.info(request, "Nothing changed.")
        return self._answer(request, node, None, ok=True)

    def _answer(
        self, request: HttpRequest, node: Node, form: ManualStateForm | None, *, ok: bool
    ) -> HttpResponse:
        if is_htmx(request):
            node.refresh_from_db()
            context = {
                "object": node,
                "node": node,
                "panel_template": "map/_node_panel.html",
                **node_panel(node),
                **node_edit_context(request.user, node, form),
            }
            response = render(request, "map/_node_panel.html", context)
            if ok:
                response["HX-Trigger"] = "map-changed"
            return response
        if not ok:
            assert form is not None
            for field, errors in form.errors.items():
                messages.error(request, f"{field.replace('_', ' ').capitalize()}: {errors[0]}")
        return HttpResponseRedirect(_next_url(request, reverse("node-detail", args=[node.slug])))


class NodeTeamAssign(PolicyPageMixin, DetailView):
    """Give a node an owning team: a team lead claims an unowned one for a team they lead,
    leadership assigns or changes any node's team, admins always (DESIGN §2). The chosen
    team is named on a confirmation step before anything is written."""

    model = Node
    slug_field = "slug"
    template_name = "map/assign_team.html"

    def get_queryset(self) -> Any:
        return Node.objects.select_related("owner", "team", "escalation_policy")

    def _teams(self) -> Any:
        roles = user_roles(self.request.user)
        if Role.ADMIN in roles or Role.LEADERSHIP in roles:
            return Team.objects.order_by("name")
        return Team.objects.filter(lead=self.request.user).order_by("name")

    def _refuse_unless_offered(self, node: Node) -> None:
        # The lead of its team may open it too (offered only the teams they lead).
        if not can_edit(self.request.user, node):
            raise PermissionDenied("Your account may not assign an owning team to this item.")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", TeamAssignForm(teams=self._teams()))
        context.setdefault("next", _next_url(self.request, ""))
        return context

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = self.get_object()
        self._refuse_unless_offered(self.object)
        return self.render_to_response(self.get_context_data())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = node = self.get_object()
        form = TeamAssignForm(request.POST, teams=self._teams())
        if not form.is_valid():
            self._refuse_unless_offered(node)
            return self.render_to_response(self.get_context_data(form=form))
        team = form.cleaned_data["team"]
        back = _next_url(request, reverse("node-detail", args=[node.slug]))
        if team.pk == node.team_id:
            messages.info(request, f"{node.name} is already owned by {team.name}.")
            return HttpResponseRedirect(back)
        check(request.user, Action.CHANGE, model=Node, obj=node, data={"team": team})
        if not form.cleaned_data["confirmed"]:
            return self.render_to_response(
                self.get_context_data(form=form, confirm_team=team, next=back)
            )
        before = node.team.name if node.team else None
        node_update(node=node, changes={"team": team}, actor=request.user)
        moved = f" (was {before})" if before else ""
        messages.success(request, f"{node.name} is now owned by {team.name}{moved}.")
        return HttpResponseRedirect(back)


# --- Bottlenecks, dashboard, what-if, single points of failure ------------------------------
