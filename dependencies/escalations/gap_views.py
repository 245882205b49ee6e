"""Pages: ownership gaps, with inline and bulk assignment (htmx)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from cataligent.models import Team
from cataligent.permissions import Action, can_edit, check
from cataligent.roles import Role, led_team_ids, user_roles
from dependencies.choices import NodeKind
from dependencies.escalations.gaps import (
    Gap,
    gap_changes,
    ownership_gaps,
    ownership_gaps_assign,
    value_exposed_now,
)
from dependencies.models import EscalationPolicy, Node
from objectives.models import Objective


def _choices(request: HttpRequest) -> dict[str, Any]:
    roles = user_roles(request.user)
    return {
        # Leadership assigns owning teams to gaps, and nothing else (DESIGN §2).
        "team_only": Role.ADMIN not in roles and not led_team_ids(request.user),
        "teams": list(Team.objects.order_by("name")),
        "policies": list(EscalationPolicy.objects.order_by("name")),
        "usernames": list(
            get_user_model()
            .objects.filter(is_active=True)
            .order_by("username")
            .values_list("username", flat=True)
        ),
    }


def _filters(request: HttpRequest) -> dict[str, str]:
    return {k: request.GET.get(k, "") for k in ("kind", "team", "missing", "q")}


def gaps_page(request: HttpRequest) -> HttpResponse:
    check(request.user, Action.VIEW, model=Node)
    check(request.user, Action.VIEW, model=Objective)
    filters = _filters(request)
    gaps = ownership_gaps(**filters)
    page = Paginator(gaps, 50).get_page(request.GET.get("page"))
    rows = [(gap, can_edit(request.user, gap.item)) for gap in page.object_list]
    context = {
        "rows": rows,
        "page_obj": page,
        "total": len(gaps),
        "filters": filters,
        "kinds": [("objective", "Objective"), *NodeKind.choices],
        "any_editable": any(editable for _, editable in rows),
        **_choices(request),
    }
    template = "gaps/table.html" if getattr(request, "htmx", False) else "gaps/page.html"
    return render(request, template, context)


def _load(token: str) -> Node | Objective | None:
    kind, _, pk = token.partition(":")
    model = {"node": Node, "objective": Objective}.get(kind)
    if model is None or not pk.isdigit():
        return None
    return model.objects.select_related("owner", "team", "escalation_policy").filter(pk=pk).first()


@require_POST
def gaps_assign(request: HttpRequest) -> HttpResponse:
    """Assign owner, team and/or policy to one item (a row) or to the ticked items (bulk)."""
    users = {u.get_username(): u for u in get_user_model().objects.filter(is_active=True)}
    teams = {t.slug: t for t in Team.objects.all()}
    policies = {p.name: p for p in EscalationPolicy.objects.all()}
    wanted, problems = gap_changes(request.POST, users=users, teams=teams, policies=policies)
    tokens = request.POST.getlist("items")
    done: list[Any] = []
    refused: list[str] = []
    if not wanted and not problems:
        problems.append("Choose an owner, a team or an escalation policy to assign.")
    items = []
    for token in tokens if not problems else []:
        item = _load(token)
        if item is None:
            refused.append(f"{token}: no such item")
        else:
            items.append(item)
    if items:
        outcome = ownership_gaps_assign(items=items, changes=wanted, actor=request.user)
        done, refused = outcome.done, refused + outcome.refused

    single = len(tokens) == 1 and getattr(request, "htmx", False)
    if single and not problems and not refused and done:
        item = done[0]
        item.refresh_from_db()
        if isinstance(item, Objective):
            gap = Gap(item, True, item.ownership_gaps, item.value_at_stake)
        else:
            exposed = value_exposed_now().get(item.slug, Decimal(0))
            gap = Gap(item, False, item.ownership_gaps, exposed)
        return render(
            request,
            "gaps/row.html",
            {
                "gap": gap,
                "editable": can_edit(request.user, item),
                "assigned": True,
                **_choices(request),
            },
        )
    if single:
        status = 403 if refused else 400
        return HttpResponse(" ".join(problems + refused), status=status)
    for problem in problems + refused:
        messages.error(request, problem)
    if done and not problems:
        messages.success(request, f"Assigned to {len(done)} item(s).")
    return HttpResponseRedirect(_back_within_site(request, request.POST.get("next", "")))


def _back_within_site(request: HttpRequest, target: str) -> str:
    """`next` when it is a path on this site; the gaps page otherwise (never another site)."""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("ownership-gaps")
