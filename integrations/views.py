"""Connector pages for admins: health, configuration, test, sync now, history, quarantine,
and the link rules editor with a live preview (htmx)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from cataligent.permissions import Action, check
from integrations import services
from integrations.connector_guides import guides_context
from integrations.connectors import ConnectorError, connector_for
from integrations.forms import ConnectorForm, LinkRuleForm
from integrations.linking import tickets_matching
from integrations.models import Connector, LinkRule, SyncRun
from integrations.sync import connector_config
from integrations.title_patterns import BadPattern


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
    context = {"form": form, "connector": connector, **guides_context(form["kind"].value())}
    return render(request, "connectors/edit.html", context)


def connector_detail(request: HttpRequest, slug: str) -> HttpResponse:
    connector = _connector(request, slug)
    return render(request, "connectors/detail.html", _detail_context(connector))


def _detail_context(connector: Connector) -> dict[str, Any]:
    return {
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


@require_POST
def connector_test(request: HttpRequest, slug: str) -> HttpResponse:
    connector = _connector(request, slug, Action.CHANGE)
    try:
        with connector_for(connector_config(connector)) as source:
            result = {"ok": True, "message": source.test_connection()}
            services.connector_options_learned(
                connector=connector, learned=source.learned_options(), actor=request.user
            )
    except ConnectorError as exc:
        result = {"ok": False, "message": str(exc), "permanent": exc.permanent}
    return render(request, "connectors/test_result.html", {"result": result})


@require_POST
def connector_sync(request: HttpRequest, slug: str) -> HttpResponse:
    from integrations.tasks import sync_queue

    connector = _connector(request, slug, Action.CHANGE)
    full = request.POST.get("full") == "1"
    asked_at = timezone.now()
    if not sync_queue(connector.pk, full=full, trigger="manual"):
        # 200 so that htmx shows it in place (it does not swap error responses).
        return HttpResponse(
            '<span role="alert" class="error">The task queue cannot be reached right now, so '
            "the sync was not queued. Try again in a minute.</span>"
        )
    return _sync_status(request, connector, asked_at=asked_at, full=full)


def connector_sync_status(request: HttpRequest, slug: str) -> HttpResponse:
    """How the sync asked for at `since` is doing; polled by the line "Sync now" leaves."""
    connector = _connector(request, slug)
    try:
        asked_at = dt.datetime.fromisoformat(request.GET.get("since", ""))
    except ValueError:
        return HttpResponse("Give `since`, the time the sync was asked for.", status=400)
    if timezone.is_naive(asked_at):
        return HttpResponse("`since` needs a time zone.", status=400)
    return _sync_status(request, connector, asked_at=asked_at, full=request.GET.get("full") == "1")


def _sync_status(
    request: HttpRequest, connector: Connector, *, asked_at: dt.datetime, full: bool
) -> HttpResponse:
    # The first run to start after the request is the one it asked for (or one that was
    # about to start anyway, which serves the same purpose).
    run = connector.sync_runs.filter(started_at__gte=asked_at).order_by("started_at").first()
    waited = (timezone.now() - asked_at).total_seconds()
    context = {
        "connector": connector,
        "run": run,
        "full": full,
        "since": asked_at.isoformat(),
        "finished": run is not None and run.outcome != SyncRun.Outcome.RUNNING,
        "waiting_long": run is None and waited > 60,
    }
    return render(request, "connectors/sync_status.html", context)


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
    # The page again, not a redirect: the refusal is a 400 that names the field, with what
    # was typed kept and each error beside its field.
    context = {
        **_detail_context(connector),
        "rule_form": form,
        "rule_scope": request.POST.get("scope", "this"),
    }
    return render(request, "connectors/detail.html", context, status=400)


@require_http_methods(["GET", "POST"])
def link_rule_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """GET asks for confirmation, saying what goes with the rule; POST deletes. A page rather
    than a browser dialog: it works without JavaScript and under the strict CSP."""
    connector = _connector(request, slug)
    rule = get_object_or_404(LinkRule.objects.select_related("node", "objective"), pk=pk)
    check(request.user, Action.DELETE, model=LinkRule, obj=rule)
    if request.method == "GET":
        context = {"connector": connector, "rule": rule, "link_count": rule.links.count()}
        return render(request, "connectors/rule_delete.html", context)
    services.link_rule_delete(rule=rule, actor=request.user)
    messages.success(request, "Rule deleted; the links it made are gone.")
    return redirect("connector-detail", slug=connector.slug)


def link_rule_preview(request: HttpRequest, slug: str) -> HttpResponse:
    """The tickets a rule would match, as the admin types it (first 20)."""
    connector = _connector(request, slug)
    field, pattern = request.GET.get("field", ""), request.GET.get("pattern", "")
    context: dict[str, Any] = {"tickets": [], "error": "", "pattern": pattern}
    limit = LinkRule._meta.get_field("pattern").max_length
    if pattern and limit and len(pattern) > limit:
        context["error"] = f"The pattern is longer than {limit} characters."
    elif field in LinkRule.Field.values and pattern:
        tickets = connector.tickets.order_by("-updated_at")
        try:
            context["tickets"] = tickets_matching(tickets, field=field, pattern=pattern, limit=20)
        except BadPattern as exc:
            context["error"] = str(exc)
    return render(request, "connectors/preview.html", context)
