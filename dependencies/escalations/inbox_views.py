"""Pages: the escalation inbox, one row per root cause per episode, with acknowledgement
by htmx (acknowledging a row acknowledges the escalations it stands for)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cataligent.forms import Form
from cataligent.pages import ObjectListPage
from cataligent.permissions import Action, check
from dependencies.escalations.api import EscalationFilterSet
from dependencies.escalations.engine import escalations_acknowledge
from dependencies.escalations.inbox import MAX_GROUPED, cause_key, escalation_groups
from dependencies.models import Escalation, EscalationStatus, Notification

ROWS_PER_PAGE = 30


def _escalations() -> Any:
    return Escalation.objects.select_related(
        "node", "objective", "acknowledged_by", "target_team"
    ).order_by("-fired_at", "-id")


class EscalationInboxPage(ObjectListPage):
    model = Escalation
    filterset_class = EscalationFilterSet
    template_name = "escalations/inbox.html"
    paginate_by = None  # the rows are root causes, paged below

    def get_queryset(self) -> Any:
        return _escalations()

    def get_filterset_kwargs(self, filterset_class: Any) -> dict[str, Any]:
        kwargs = super().get_filterset_kwargs(filterset_class)
        if kwargs["data"] is None or "status" not in kwargs["data"]:
            data = kwargs["data"].copy() if kwargs["data"] is not None else {}
            if hasattr(data, "setlist"):
                data.setlist("status", [EscalationStatus.OPEN, EscalationStatus.ACKNOWLEDGED])
            else:
                data["status"] = [EscalationStatus.OPEN, EscalationStatus.ACKNOWLEDGED]
            kwargs["data"] = data
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        escalations = list(context["object_list"][: MAX_GROUPED + 1])
        context["capped"] = len(escalations) > MAX_GROUPED
        groups = escalation_groups(escalations[:MAX_GROUPED], user=user)
        page = Paginator(groups, ROWS_PER_PAGE).get_page(self.request.GET.get("page"))
        context.update(groups=page.object_list, page_obj=page, is_paginated=page.has_other_pages())
        if getattr(self.request, "htmx", False):
            return context  # a filter or page change: the table only, no "new for you"
        unread = Notification.objects.filter(
            recipient=user, channel=Notification.Channel.INBOX, read_at__isnull=True
        )
        context["unread"] = list(unread.select_related("escalation")[:20])
        # Read now: the ones the page shows, not those beyond its first 20.
        Notification.objects.filter(pk__in=[n.pk for n in context["unread"]]).update(
            read_at=timezone.now()
        )
        return context


class AcknowledgeForm(Form):
    # A blank note is refused by the service (the same rule as the API), after it has told
    # whoever may not acknowledge so: hence not `required` here.
    note = forms.CharField(required=False, max_length=2000)
    # The row's other escalations (same root causes, same episode), acknowledged with it.
    also = forms.TypedMultipleChoiceField(required=False, coerce=int, choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any ids: the view keeps only those of the same root causes.
        posted = self.data.getlist("also") if hasattr(self.data, "getlist") else []
        self.fields["also"].choices = [(p, p) for p in posted if str(p).isdigit()]  # type: ignore[attr-defined]


@require_POST
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    """Acknowledge a row of the inbox: htmx swaps the row (with the error beside the note
    when there is one); without JavaScript the inbox is shown again."""
    check(request.user, Action.VIEW, model=Escalation)
    escalation = get_object_or_404(_escalations(), pk=pk)
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        return HttpResponse(
            " ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()),
            status=400,
            content_type="text/plain",
        )
    key = cause_key(escalation)
    also = [
        e
        for e in _escalations().filter(pk__in=form.cleaned_data["also"]).exclude(pk=pk)
        if cause_key(e) == key
    ]
    note, error = form.cleaned_data["note"], ""
    try:
        done = escalations_acknowledge(
            escalation=escalation, also=also, actor=request.user, note=note
        )
    except PermissionDenied as exc:
        return HttpResponse(str(exc), status=403)
    except ValidationError as exc:
        error, done = exc.message_dict["note"][0], []
    htmx = getattr(request, "htmx", False)
    if not htmx:
        if error:
            messages.error(request, f"Escalation not acknowledged: {error}")
        else:
            count = f" ({len(done)} escalations)" if len(done) > 1 else ""
            messages.success(request, f"Escalation acknowledged{count}.")
        return redirect("escalation-inbox")
    groups = escalation_groups([escalation, *also], user=request.user)
    row = next(g for g in groups if any(e.pk == escalation.pk for e in g.escalations))
    context = {"g": row, "row_id": escalation.pk, "note_error": error, "note": note}
    # htmx swaps only 2xx answers: the row with its error is the answer to show.
    return render(request, "escalations/row.html", context)
