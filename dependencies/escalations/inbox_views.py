"""Pages: the escalation inbox, with acknowledgement by htmx."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cataligent.forms import Form
from cataligent.pages import ObjectListPage
from cataligent.permissions import Action, check
from dependencies.escalations.api import EscalationFilterSet
from dependencies.escalations.engine import escalation_acknowledge, may_acknowledge
from dependencies.models import Escalation, EscalationStatus, Notification


class EscalationInboxPage(ObjectListPage):
    model = Escalation
    filterset_class = EscalationFilterSet
    template_name = "escalations/inbox.html"
    paginate_by = 30

    def get_queryset(self) -> Any:
        return Escalation.objects.select_related(
            "node__owner", "objective__owner", "acknowledged_by", "target_team"
        ).order_by("-fired_at", "-id")

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
        context["rows"] = [(e, may_acknowledge(user, e)) for e in context["object_list"]]
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


@require_POST
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    """Acknowledge from the inbox: htmx swaps the row (with the error beside the note when
    there is one); without JavaScript the inbox is shown again."""
    check(request.user, Action.VIEW, model=Escalation)
    escalation = get_object_or_404(Escalation.objects.select_related("node", "objective"), pk=pk)
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        return HttpResponse(
            " ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()),
            status=400,
            content_type="text/plain",
        )
    note, error = form.cleaned_data["note"], ""
    try:
        escalation_acknowledge(escalation=escalation, actor=request.user, note=note)
    except PermissionDenied as exc:
        return HttpResponse(str(exc), status=403)
    except ValidationError as exc:
        error = exc.message_dict["note"][0]
    htmx = getattr(request, "htmx", False)
    if not htmx:
        if error:
            messages.error(request, f"Escalation not acknowledged: {error}")
        else:
            messages.success(request, "Escalation acknowledged.")
        return redirect("escalation-inbox")
    context = {"e": escalation, "can_ack": bool(error), "note_error": error, "note": note}
    # htmx swaps only 2xx answers: the row with its error is the answer to show.
    return render(request, "escalations/row.html", context)
