"""Pages: the escalation policy editor (ordered levels, reusable, a team's default)."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render

from cataligent.models import Team
from cataligent.permissions import (
    Action,
    can,
    changed_fields,
    check,
    check_may_attempt,
    check_team_change,
)
from cataligent.roles import Role, led_team_ids, user_roles
from cataligent.services import team_save
from dependencies.escalations.policy_forms import LevelFormSet, PolicyForm, initial_levels
from dependencies.graph.services import escalation_policy_save
from dependencies.models import EscalationLevel, EscalationPolicy

# A sensible start for a new policy; the editor adds and removes levels.
NEW_POLICY_LEVELS = [{"after_minutes": 30, "notify": "role", "role": "leadership"}]


def _teams_for(user: Any) -> Any:
    if Role.ADMIN in user_roles(user):
        return Team.objects.order_by("name")
    return Team.objects.filter(pk__in=led_team_ids(user)).order_by("name")


def policy_list(request: HttpRequest) -> HttpResponse:
    check(request.user, Action.VIEW, model=EscalationPolicy)
    policies = (
        EscalationPolicy.objects.select_related("team")
        .prefetch_related(
            Prefetch(
                "levels",
                queryset=EscalationLevel.objects.select_related("notify_user", "notify_team"),
            ),
            "default_for_teams",
        )
        .annotate(
            node_count=Count("nodes", distinct=True),
            objective_count=Count("objectives", distinct=True),
        )
        .order_by("name")
    )
    rows = [(p, can(request.user, Action.CHANGE, model=EscalationPolicy, obj=p)) for p in policies]
    may_create = Role.ADMIN in user_roles(request.user) or bool(led_team_ids(request.user))
    return render(request, "policies/list.html", {"rows": rows, "may_create": may_create})


def _level_values(policy: EscalationPolicy) -> list[dict[str, Any]]:
    return [
        {
            "after_minutes": level.after_minutes,
            "notify_user": level.notify_user,
            "notify_team": level.notify_team,
            "notify_role": level.notify_role,
        }
        for level in policy.levels.select_related("notify_user", "notify_team")
    ]


def policy_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    policy = get_object_or_404(EscalationPolicy, pk=pk) if pk else EscalationPolicy()
    if pk:
        check(request.user, Action.CHANGE, model=EscalationPolicy, obj=policy)
    else:
        check_may_attempt(request.user, Action.CREATE, model=EscalationPolicy)
    # The form writes the posted values into the instance as it validates: the policy is
    # judged on what it holds now and on every value that changes.
    before = copy.copy(policy)
    teams = _teams_for(request.user)
    form = PolicyForm(request.POST or None, instance=policy, teams=teams)
    levels = LevelFormSet(
        request.POST or None,
        initial=None if request.POST else (initial_levels(policy) if pk else NEW_POLICY_LEVELS),
        prefix="levels",
    )
    if request.method == "POST" and form.is_valid() and levels.is_valid():
        values = form.cleaned_data
        new_levels = [
            f.level() for f in levels.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        if pk is None:
            check(
                request.user,
                Action.CREATE,
                model=EscalationPolicy,
                data={**values, "levels": new_levels},
            )
        else:
            changes = changed_fields(before, values)
            if new_levels != _level_values(before):
                changes["levels"] = new_levels
            check(request.user, Action.CHANGE, model=EscalationPolicy, obj=before, data=changes)
        default_team = values.get("team") if request.POST.get("default_for_team") else None
        if default_team is not None:
            # Checked before anything is saved: a refusal leaves the policy as it was.
            check_team_change(request.user, default_team, ["default_escalation_policy"])
        saved = form.save(commit=False)
        escalation_policy_save(policy=saved, levels=new_levels, actor=request.user)
        if default_team is not None and saved.team is not None:
            team_save(
                team=saved.team, changes={"default_escalation_policy": saved}, actor=request.user
            )
        messages.success(request, f"Saved the escalation policy “{saved.name}”.")
        return redirect("escalation-policies")
    return render(
        request,
        "policies/edit.html",
        {"form": form, "levels": levels, "policy": policy, "creating": pk is None},
    )


def level_row(request: HttpRequest) -> HttpResponse:
    """One empty level row for the formset (htmx "Add a level")."""
    try:
        index = int(request.GET.get("index", "0"))
    except ValueError:
        return HttpResponseBadRequest("index must be a whole number")
    form = LevelFormSet(prefix="levels").empty_form
    form.prefix = f"levels-{index}"
    return render(request, "policies/level_row.html", {"level": form})
