"""The node page: what a node is, what it rests on, its tickets (paged) and, for those who
may, the forms that change its owner, escalation policy and dependencies (issue 18, item 8).

Every refusal is the policy's (cataligent.permissions); every write is a graph service's
(dependencies.graph.services), with the same rules as the API.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from cataligent.audit import history_lines
from cataligent.permissions import Action, can, can_assign_team, can_edit, check
from dependencies.graph.forms import DependencyAddForm, NodeGovernanceForm
from dependencies.graph.services import edge_create, edge_delete, node_update
from dependencies.map.blocked_since import blocked_at_least_since_of
from dependencies.map.panels import tickets_page
from dependencies.models import Edge, Node
from integrations.models import Ticket, TicketLink

# Targets offered as suggestions while typing a dependency's slug.
SUGGESTED_TARGETS = 500


def _node(slug: str) -> Node:
    return get_object_or_404(
        Node.objects.select_related("owner", "team", "escalation_policy", "manual_set_by"),
        slug=slug,
    )


def node_page_context(
    request: HttpRequest,
    node: Node,
    *,
    governance_form: NodeGovernanceForm | None = None,
    dependency_form: DependencyAddForm | None = None,
) -> dict[str, Any]:
    user = request.user
    may_govern = can(user, Action.CHANGE, model=Node, obj=node, data={"owner": node.owner})
    may_add_edges = can(user, Action.CREATE, model=Edge, data={"source": node, "target": node})
    depends_on = list(
        node.dependency_edges.select_related("target").order_by("redundancy_group", "target__name")
    )
    context: dict[str, Any] = {
        "object": node,
        "node": node,
        "item": node,
        "kind": "node",
        "depends_on": depends_on,
        "dependents": node.dependent_edges.select_related("source").order_by("source__name"),
        "required_by": node.required_by.select_related("objective"),
        "history": history_lines(node),
        "can_edit": can_edit(user, node),
        # Leadership may move the node to another team but not override its state.
        "can_set_state": can(
            user, Action.CHANGE, model=Node, obj=node, data={"manual_state": node.manual_state}
        ),
        "can_assign_team": can_assign_team(user, node),
        "can_govern": may_govern,
        "can_change_dependencies": may_add_edges,
        "blocked_at_least": blocked_at_least_since_of(node),
        "tickets": tickets_page(
            TicketLink.objects.filter(node=node), request.GET.get("tickets_page", 1)
        ),
    }
    if may_govern:
        context["governance_form"] = governance_form or NodeGovernanceForm(node=node)
    if may_add_edges:
        context["dependency_form"] = dependency_form or DependencyAddForm()
        context["target_suggestions"] = (
            Node.objects.exclude(pk=node.pk)
            .order_by("name")
            .values_list("slug", "name")[:SUGGESTED_TARGETS]
        )
    return context


def node_detail(request: HttpRequest, slug: str) -> HttpResponse:
    check(request.user, Action.VIEW, model=Node)
    check(request.user, Action.VIEW, model=Ticket)
    node = _node(slug)
    return render(request, "dependencies/node_detail.html", node_page_context(request, node))


def node_tickets(request: HttpRequest, slug: str) -> HttpResponse:
    """One page of the node's linked tickets (htmx swaps it into the page or the panel)."""
    check(request.user, Action.VIEW, model=Node)
    check(request.user, Action.VIEW, model=Ticket)
    node = get_object_or_404(Node, slug=slug)
    context = {
        "item": node,
        "kind": "node",
        "tickets": tickets_page(TicketLink.objects.filter(node=node), request.GET.get("page", 1)),
    }
    return render(request, "map/_tickets.html", context)


def _back(node: Node) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("node-detail", args=[node.slug]) + "#edit-title")


def _show_errors(request: HttpRequest, node: Node, **forms: Any) -> HttpResponse:
    """The page again, with what was typed and each error beside its field."""
    context = node_page_context(request, node, **forms)
    return render(request, "dependencies/node_detail.html", context)


def _form_errors(form: Any, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@require_POST
def node_governance(request: HttpRequest, slug: str) -> HttpResponse:
    """Set the node's owner and escalation policy (its team's lead, admins)."""
    node = _node(slug)
    check(request.user, Action.CHANGE, model=Node, obj=node, data={"owner": node.owner})
    form = NodeGovernanceForm(request.POST, node=node)
    if not form.is_valid():
        return _show_errors(request, node, governance_form=form)
    changes = {
        field: form.cleaned_data[field]
        for field in ("owner", "escalation_policy")
        if form.cleaned_data[field] != getattr(node, field)
    }
    if not changes:
        messages.info(request, "Nothing changed.")
        return _back(node)
    check(request.user, Action.CHANGE, model=Node, obj=node, data=changes)
    try:
        node_update(node=node, changes=changes, actor=request.user)
    except ValidationError as exc:
        _form_errors(form, exc)
        return _show_errors(request, _node(slug), governance_form=form)
    messages.success(request, f"Saved the owner and escalation policy of {node.name}.")
    return _back(node)


@require_POST
def node_dependency_add(request: HttpRequest, slug: str) -> HttpResponse:
    """Make the node depend on another one: the API's rules, through the graph service."""
    node = _node(slug)
    form = DependencyAddForm(request.POST)
    if not form.is_valid():
        check(request.user, Action.CREATE, model=Edge, data={"source": node})
        return _show_errors(request, node, dependency_form=form)
    values = {
        "source": node,
        "target": form.cleaned_data["target"],
        "criticality": form.cleaned_data["criticality"],
        "redundancy_group": form.cleaned_data["redundancy_group"].strip(),
        "min_operational": form.cleaned_data["min_operational"],
    }
    check(request.user, Action.CREATE, model=Edge, data=values)
    try:
        edge = edge_create(actor=request.user, **values)
    except ValidationError as exc:
        _form_errors(form, exc)
        return _show_errors(request, node, dependency_form=form)
    messages.success(request, f"{node.name} now depends on {edge.target.name}.")
    return _back(node)


@require_POST
def node_dependency_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    node = _node(slug)
    edge = get_object_or_404(Edge.objects.select_related("source", "target"), pk=pk, source=node)
    check(request.user, Action.DELETE, model=Edge, obj=edge)
    target = edge.target.name
    edge_delete(edge=edge, actor=request.user)
    messages.success(request, f"{node.name} no longer depends on {target}.")
    return _back(node)
