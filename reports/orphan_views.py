"""The orphan queue: tickets of the window linked to nothing, each with suggested links that
one click accepts (DESIGN §2, report `alignment`).

Accepting is the same write as every link made by hand: the permission policy
(cataligent.permissions: a team lead links to what their team owns, admins to anything)
and `integrations.services.ticket_link_create`, which audits it. The API way is the same
service behind `POST /api/v1/links/` with `{"ticket": id, "node": slug}` or
`{"ticket": id, "objective": key}`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from cataligent.forms import Form
from cataligent.permissions import Action, can, check
from dependencies.models import Node
from integrations.models import Ticket, TicketLink
from integrations.services import ticket_link_create
from objectives.models import Objective
from reports.alignment import suggest, suggestion_index, window_activity
from reports.teams import TeamDirectory
from reports.window import WindowError, parse_window

PAGE_SIZE = 25


def _window_query(params: Any) -> str:
    """The window filters of a request, to come back to the same queue."""
    return urlencode({k: params[k] for k in ("from", "to", "period", "team") if params.get(k)})


@require_GET
def orphan_queue(request: HttpRequest) -> HttpResponse:
    check(request.user, Action.VIEW, model=TicketLink)
    try:
        window = parse_window(request.GET)
    except WindowError as exc:
        context = {"errors": exc.errors, "params": request.GET}
        return render(request, "reports/orphans.html", context, status=400)
    activity = window_activity(window, TeamDirectory.load())
    page = Paginator(activity.orphans, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    if page.object_list:
        index, _teams = suggestion_index()
        rows = [(row, suggest(row, index)) for row in page.object_list]
    # The suggested items themselves, to ask the policy who may link to them (two queries).
    wanted = {
        kind: {s.target.pk for _r, found in rows for s in found if s.target.kind == kind}
        for kind in ("node", "objective")
    }
    items = {
        "node": Node.objects.in_bulk(wanted["node"]) if wanted["node"] else {},
        "objective": Objective.objects.in_bulk(wanted["objective"]) if wanted["objective"] else {},
    }
    user = request.user
    orphans = [
        {
            "row": row,
            "suggestions": [
                {
                    "s": s,
                    "may_accept": can(
                        user,
                        Action.CREATE,
                        model=TicketLink,
                        data={s.target.kind: items[s.target.kind].get(s.target.pk)},
                    ),
                }
                for s in found
            ],
        }
        for row, found in rows
    ]
    context = {
        "window": window,
        "page_obj": page,
        "orphans": orphans,
        "total": len(activity.rows),
        "window_query": _window_query(request.GET),
        "params": request.GET,
    }
    return render(request, "reports/orphans.html", context)


class AcceptForm(Form):
    ticket = forms.IntegerField(min_value=1)
    node = forms.CharField(required=False, max_length=200)
    objective = forms.CharField(required=False, max_length=30)
    window = forms.CharField(required=False, max_length=300)


def _bad_request(errors: dict[str, str]) -> HttpResponse:
    text = " ".join(f"{field}: {message}" for field, message in errors.items())
    return HttpResponse(text, status=400, content_type="text/plain")


@require_POST
def accept_suggestion(request: HttpRequest) -> HttpResponse:
    """Link the ticket to the suggested node or objective; htmx swaps the orphan's row for
    a line that says what was linked; without JavaScript the queue is shown again."""
    form = AcceptForm(request.POST)
    if not form.is_valid():
        return _bad_request({name: " ".join(e) for name, e in form.errors.items()})
    data = form.cleaned_data
    ticket = Ticket.objects.filter(pk=data["ticket"]).first()
    if ticket is None:
        return _bad_request({"ticket": f"No ticket has the id {data['ticket']}."})
    if bool(data["node"]) == bool(data["objective"]):
        return _bad_request({"node": "Accept a link to a node or to an objective (one)."})
    node = objective = None
    if data["node"]:
        node = Node.objects.filter(slug=data["node"]).first()
        if node is None:
            return _bad_request({"node": f"No node has the slug {data['node']!r}."})
    else:
        objective = Objective.objects.filter(key=data["objective"]).first()
        if objective is None:
            return _bad_request({"objective": f"No objective has the key {data['objective']!r}."})
    check(
        request.user,
        Action.CREATE,
        model=TicketLink,
        data={"ticket": ticket, "node": node, "objective": objective},
    )
    try:
        ticket_link_create(ticket=ticket, node=node, objective=objective, actor=request.user)
    except ValidationError:
        return _bad_request({"ticket": f"{ticket.key} is already linked there."})
    target = node or objective
    if getattr(request, "htmx", False):
        return render(
            request,
            "reports/_orphan_linked.html",
            {"ticket": ticket, "node": node, "objective": objective},
        )
    messages.success(request, f"{ticket.key} is now linked to {target}.")
    back, query = reverse("reports:orphans"), _window_query(QueryDict(data["window"]))
    return redirect(f"{back}?{query}" if query else back)
