"""Pages: the teams, and one team's page, where its lead lands after signing in."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cataligent.models import Team
from cataligent.permissions import Action, can_change_team, check, check_team_change
from cataligent.roles import led_team_ids
from cataligent.services import team_save
from dependencies.map.forms import AssignmentGroupsForm
from dependencies.map.teams import team_overview, teams_with_counts
from dependencies.models import Node
from objectives.models import Objective


def _check_may_read(request: HttpRequest) -> None:
    check(request.user, Action.VIEW, model=Node)
    check(request.user, Action.VIEW, model=Objective)


def team_list(request: HttpRequest) -> HttpResponse:
    _check_may_read(request)
    led = led_team_ids(request.user)
    return render(request, "teams/list.html", {"teams": teams_with_counts(), "led": led})


def _team_page(
    request: HttpRequest, team: Team, form: AssignmentGroupsForm | None = None, status: int = 200
) -> HttpResponse:
    overview = team_overview(
        team,
        objective_page=request.GET.get("objectives_page", 1),
        node_page=request.GET.get("nodes_page", 1),
    )
    may_edit_groups = can_change_team(request.user, team, ["assignment_groups"])
    if form is None and may_edit_groups:
        form = AssignmentGroupsForm(
            initial={"assignment_groups": "\n".join(team.assignment_groups or [])}
        )
    led = led_team_ids(request.user)
    context = {
        "team": team,
        "o": overview,
        "groups_form": form,
        "may_edit_groups": may_edit_groups,
        "leads_it": team.pk in led,
        "other_led_teams": Team.objects.filter(pk__in=led - {team.pk}).order_by("name")
        if len(led) > 1
        else [],
    }
    return render(request, "teams/page.html", context, status=status)


def team_page(request: HttpRequest, slug: str) -> HttpResponse:
    _check_may_read(request)
    team = get_object_or_404(Team.objects.select_related("lead"), slug=slug)
    return _team_page(request, team)


@require_POST
def team_assignment_groups(request: HttpRequest, slug: str) -> HttpResponse:
    """Set the team's assignment groups: its lead or an admin; audited by the service."""
    team = get_object_or_404(Team.objects.select_related("lead"), slug=slug)
    check_team_change(request.user, team, ["assignment_groups"])
    form = AssignmentGroupsForm(request.POST)
    if form.is_valid():
        try:
            team_save(team=team, changes={"assignment_groups": form.groups()}, actor=request.user)
        except ValidationError as exc:
            for message in exc.message_dict.get("assignment_groups", exc.messages):
                form.add_error("assignment_groups", message)
    if not form.is_valid():
        # The page again with what was typed and the error beside the field.
        team.refresh_from_db()
        return _team_page(request, team, form)
    messages.success(request, f"Saved the assignment groups of {team.name}.")
    return redirect("team-detail", slug=team.slug)
