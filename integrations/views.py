"""Connector pages for admins: health, configuration, test, sync now, history, quarantine,
and the link rules editor with a live preview (htmx)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cataligent.permissions import Action, check
from integrations import services
from integrations.connectors import ConnectorError, connector_for
from integrations.forms import ConnectorForm, LinkRuleForm
from integrations.linking import BadPattern, tickets_matching
from integrations.models import Connector, LinkRule
from integrations.sync import connector_config


def _connector(request: HttpRequest, slug: str, action: Action = Action.VIEW) -> Connector:
    check(request.user, Action.VIEW, model=Connector)
    connector = get_object_or_404(Connector, slug=slug)
    if action is not Action.VIEW:
        check(request.user, action, model=Connector, obj=connector)
    return connector


def connector_list(request: HttpRequest) -> HttpResponse:
    check(request.user, Action.VIEW, model=Connector)
    connectors = Connector.objects.annotate(
        ticket_count=Count("tickets", distinct=True),
        blocking_count=Count("tickets", filter=Q(tickets__is_blocking=True), distinct=True),
    ).order_by("name")
    return render(request, "connectors/list.html", {"connectors": connectors})


def connector_edit(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    if slug:
        connector = _connector(request, slug, Action.CHANGE)
    else:
        check(request.user, Action.CREATE, model=Connector)
        connector = Connector()
    form = ConnectorForm(request.POST or None, instance=connector)
    if request.method == "POST" and form.is_valid():
        values = {f: form.cleaned_data[f] for f in ConnectorForm.Meta.fields}
        saved = services.connector_save(
            connector=connector,
            changes=values,
            secret=form.cleaned_data.get("new_secret") or None,
            webhook_secret=form.cleaned_data.get("new_webhook_secret") or None,
            actor=request.user,
        )
        messages.success(request, f"Saved {saved.name}. Test the connection, then sync.")
        return redirect("connector-detail", slug=saved.slug)
    return render(request, "connectors/edit.html", {"form": form, "connector": connector})


def connector_detail(request: HttpRequest, slug: str) -> HttpResponse:
    connector = _connector(request, slug)
    context = {
        "connector": connector,
        "runs": connector.sync_runs.order_by("-started_at")[:20],
        "quarantine": connector.quarantine.order_by("-received_at")[:20],
        "quarantine_count": connector.quarantine.count(),
        "rules": LinkRule.objects.filter(Q(connector=connector) | Q(connector__isnull=True))
        .select_related("node", "objective", "connector")
        .annotate(link_count=Count("links"))
        .order_by("field", "pattern"),
        "rule_form": LinkRuleForm(),
        "ticket_count": connector.tickets.count(),
    }
    return render(request, "connectors/detail.html", context)


@require_POST
def connector_test(request: HttpRequest, slug: str) -> HttpResponse:
    connector = _connector(request, slug, Action.CHANGE)
    try:
        with connector_for(connector_config(connector)) as source:
            result = {"ok": True, "message": source.test_connection()}
    except ConnectorError as exc:
        result = {"ok": False, "message": str(exc), "permanent": exc.permanent}
    return render(request, "connectors/test_result.html", {"result": result})


@require_POST
def connector_sync(request: HttpRequest, slug: str) -> HttpResponse:
    from integrations.tasks import sync_queue

    connector = _connector(request, slug, Action.CHANGE)
    full = request.POST.get("full") == "1"
    if not sync_queue(connector.pk, full=full, trigger="manual"):
        # 200 so that htmx shows it in place (it does not swap error responses).
        return HttpResponse(
            '<span role="alert" class="error">The task queue cannot be reached right now, so '
            "the sync was not queued. Try again in a minute.</span>"
        )
    note = "A full sync" if full else "A sync"
    return HttpResponse(
        f'<span role="status">{note} is queued; the history below updates when it finishes.</span>'
    )


def connector_runs(request: HttpRequest, slug: str) -> HttpResponse:
    """The sync history table alone, polled by htmx while the page is open."""
    connector = _connector(request, slug)
    runs = connector.sync_runs.order_by("-started_at")[:20]
    return render(request, "connectors/runs.html", {"runs": runs, "connector": connector})


@require_POST
def link_rule_create(request: HttpRequest, slug: str) -> HttpResponse:
    connector = _connector(request, slug)
    form = LinkRuleForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        values = {
            "connector": connector if request.POST.get("scope") != "all" else None,
            "field": data["field"],
            "pattern": data["pattern"],
            "node": data["node"],
            "objective": data["objective"],
        }
        check(request.user, Action.CREATE, model=LinkRule, data=values)
        rule = services.link_rule_save(rule=LinkRule(), changes=values, actor=request.user)
        messages.success(request, f"Rule saved: {rule.links.count()} ticket(s) linked now.")
        return redirect("connector-detail", slug=connector.slug)
    for field, errors in form.errors.items():
        for error in errors:
            messages.error(request, f"{field}: {error}" if field != "__all__" else error)
    return redirect("connector-detail", slug=connector.slug)


@require_POST
def link_rule_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    connector = _connector(request, slug)
    rule = get_object_or_404(LinkRule, pk=pk)
    check(request.user, Action.DELETE, model=LinkRule, obj=rule)
    services.link_rule_delete(rule=rule, actor=request.user)
    messages.success(request, "Rule deleted; the links it made are gone.")
    return redirect("connector-detail", slug=connector.slug)


def link_rule_preview(request: HttpRequest, slug: str) -> HttpResponse:
    """The tickets a rule would match, as the admin types it (first 20)."""
    connector = _connector(request, slug)
    field, pattern = request.GET.get("field", ""), request.GET.get("pattern", "")
    context: dict[str, Any] = {"tickets": [], "error": "", "pattern": pattern}
    if field in LinkRule.Field.values and pattern:
        tickets = connector.tickets.order_by("-updated_at")
        try:
            context["tickets"] = tickets_matching(tickets, field=field, pattern=pattern, limit=20)
        except BadPattern as exc:
            context["error"] = str(exc)
    return render(request, "connectors/preview.html", context)
