"""Leadership pages: the live blocked-capability map, its side panel, bottlenecks, the
dashboard, what-if and single points of failure (issue 5).

Views stay thin: they ask the permission policy (through `PolicyPageMixin` or `check`),
read through `dependencies.map.selectors` and write through `dependencies.graph.services`.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.html import json_script
from django.views import View
from django.views.generic import DetailView, TemplateView

from cataligent.conditional import not_modified
from cataligent.csv_cells import quote_cell
from cataligent.pages import PolicyPageMixin, is_htmx
from cataligent.permissions import Action, can_edit, check
from dependencies.choices import State
from dependencies.map.dashboard import dashboard_summary
from dependencies.map.drawing import cached, change_marker, map_etag, map_graph
from dependencies.map.forms import map_filters
from dependencies.map.node_actions import node_edit_context
from dependencies.map.panels import node_panel, objective_panel
from dependencies.map.query import MAX_DRAWN
from dependencies.map.scenarios import (
    filter_choices,
)
from dependencies.map.tables import blocked_rows, bottleneck_rows
from dependencies.models import Node
from dependencies.recompute.loader import impact_state
from integrations.models import Ticket
from objectives.models import Objective

TABLE_PAGE_SIZE = 100
POLL_SECONDS = 3


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([quote_cell(value) for value in row])
    return response


def iso_cell(value: Any) -> str:
    return value.isoformat() if value else ""


def _time_bucket(seconds: int = 30) -> int:
    """Reads that age with the clock (value lost so far, connector freshness, overdue
    updates) are cached for at most this long."""
    return int(time.time() // seconds)


class LeadershipPage(PolicyPageMixin, TemplateView):
    """A page that reads the graph: every signed-in user may (DESIGN §1, "not siloed")."""

    model = Node


# --- The map -----------------------------------------------------------------------------


def blocked_table_html(
    request: HttpRequest, filters: Any, state: Any, marker: int
) -> tuple[str, list[Any]]:
    """The rendered table, cached like the rows it shows: a busy map page renders it once
    per change, not once per visitor. It holds nothing that depends on who asks."""
    rows = blocked_rows(filters, state=state, marker=marker)

    def render_table() -> str:
        page = Paginator(rows, TABLE_PAGE_SIZE).get_page(request.GET.get("page"))
        context = {
            "rows": page.object_list,
            "page_obj": page,
            "filters": filters,
        }
        return render_to_string("map/_blocked_table.html", context, request=request)

    key = ("table-html", request.GET.urlencode())
    return cached(key, render_table, state=state, marker=marker, shared=True), rows


class MapPage(LeadershipPage):
    template_name = "map/map.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        filters, form = map_filters(self.request.GET)
        state, marker = impact_state(), change_marker()
        graph = map_graph(filters, state=state, marker=marker)
        table_html, rows = blocked_table_html(self.request, filters, state, marker)
        # The drawing's elements as the page's JSON script: at 250,000 nodes the grouped map
        # is 0.5 MB of JSON, made once per change rather than on every visit.
        graph_script = cached(
            ("graph-script", filters),
            lambda: json_script(graph.as_json(), "map-initial"),
            state=state,
            marker=marker,
            shared=True,
        )
        context.update(
            filters=filters,
            form=form,
            choices=filter_choices(),
            state=state,
            graph_notes=graph.notes,
            graph_empty=not graph.nodes,
            graph_script=graph_script,
            etag=map_etag(filters, state, marker),
            table_html=table_html,
            blocked_objectives=sum(
                1 for r in rows if r.state == State.BLOCKED and r.type == "objective"
            ),
            blocked_capabilities=sum(
                1 for r in rows if r.state == State.BLOCKED and r.type == "capability"
            ),
            poll_seconds=POLL_SECONDS,
            max_drawn=MAX_DRAWN,
        )
        return context


class MapGraphJson(PolicyPageMixin, View):
    """The map's elements for Cytoscape.js; answers 304 when nothing changed since the ETag
    the page sent back, which costs one read of the impact version."""

    model = Node

    def get(self, request: HttpRequest) -> HttpResponse:
        filters, _form = map_filters(request.GET)
        state, marker = impact_state(), change_marker()
        etag = map_etag(filters, state, marker)
        headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
        unchanged = not_modified(request, etag)
        if unchanged is not None:
            unchanged["Cache-Control"] = headers["Cache-Control"]
            return unchanged
        content = cached(
            ("graph-json", filters),
            lambda: JsonResponse(map_graph(filters, state=state, marker=marker).as_json()).content,
            state=state,
            marker=marker,
            shared=True,
        )
        return HttpResponse(content, content_type="application/json", headers=headers)


class BlockedTable(LeadershipPage):
    """The map as a plain table: item → blocked by → owner → since → value at risk."""

    template_name = "map/_blocked_table.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        filters, _form = map_filters(request.GET)
        state, marker = impact_state(), change_marker()
        if request.GET.get("format") != "csv":
            return HttpResponse(blocked_table_html(request, filters, state, marker)[0])
        rows = blocked_rows(filters, state=state, marker=marker)
        return csv_response(
            "blocked-items.csv",
            [
                "type",
                "item",
                "name",
                "state",
                "blocked_since",
                "value_at_risk_per_week",
                "blocked_by",
                "blocked_by_name",
                "blocked_by_owner",
                "blocked_by_team",
            ],
            (
                [
                    row.type_label,
                    row.key,
                    row.name,
                    row.state,
                    iso_cell(row.blocked_since),
                    row.value_at_risk,
                    cause["slug"],
                    cause["name"],
                    cause["owner"] or "NO OWNER",
                    cause["team"] or "",
                ]
                for row in rows
                for cause in (row.causes or [{"slug": "", "name": "", "owner": "", "team": ""}])
            ),
        )


# --- The side panel (also a page of its own without JavaScript) ----------------------------


class _PanelPage(PolicyPageMixin, DetailView):
    panel_template = ""
    explain_template = "map/_explain.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated:
            check(request.user, Action.VIEW, model=Ticket)
        return super().dispatch(request, *args, **kwargs)

    def get_template_names(self) -> list[str]:
        if self.request.GET.get("part") == "explain":
            return [self.explain_template]
        if is_htmx(self.request):
            return [self.panel_template]
        return ["map/item.html"]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["panel_template"] = self.panel_template
        context["can_edit"] = can_edit(self.request.user, self.object)
        return context


class NodePanel(_PanelPage):
    model = Node
    slug_field = "slug"
    panel_template = "map/_node_panel.html"

    def get_queryset(self) -> Any:
        return Node.objects.select_related("owner", "team", "escalation_policy", "manual_set_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        node = self.object
        context.update(
            node_panel(node, tickets_page_number=self.request.GET.get("tickets_page", 1))
        )
        context.update(node_edit_context(self.request.user, node))
        return context


class ObjectivePanel(_PanelPage):
    model = Objective
    slug_field = "key"
    slug_url_kwarg = "key"
    panel_template = "map/_objective_panel.html"

    def get_queryset(self) -> Any:
        return Objective.objects.select_related("owner", "team", "period", "escalation_policy")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(objective_panel(self.object))
        return context


class BottlenecksPage(LeadershipPage):
    template_name = "map/bottlenecks.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        team = (request.GET.get("team") or "").strip()
        q = (request.GET.get("q") or "").strip()
        state, marker = impact_state(), change_marker()
        rows = cached(
            ("bottlenecks", team, q, _time_bucket()),
            lambda: bottleneck_rows(team=team, q=q),
            state=state,
            marker=marker,
            shared=True,
        )
        if request.GET.get("format") == "csv":
            return csv_response(
                "bottlenecks.csv",
                [
                    "rank",
                    "root_cause",
                    "name",
                    "kind",
                    "owner",
                    "team",
                    "escalation_policy",
                    "blocked_since",
                    "objectives_blocked",
                    "capabilities_blocked",
                    "value_at_risk_per_week",
                    "value_lost_so_far",
                    "open_tickets",
                    "blocking_tickets",
                ],
                (
                    [
                        r.rank,
                        r.node["slug"],
                        r.node["name"],
                        r.node["kind"],
                        r.owner or "NO OWNER",
                        r.node["team__name"] or "",
                        r.escalation["policy_name"],
                        iso_cell(r.node["blocked_since"]),
                        " ".join(o["key"] for o in r.objectives),
                        " ".join(c["slug"] for c in r.capabilities),
                        r.value_at_risk,
                        r.accumulated,
                        r.open_tickets,
                        r.blocking_tickets,
                    ]
                    for r in rows
                ),
            )

        def render_table() -> str:
            page = Paginator(rows, 50).get_page(request.GET.get("page"))
            context = {
                "rows": page.object_list,
                "page_obj": page,
                "team": team,
                "q": q,
                "whatif_url": reverse("whatif"),
            }
            return render_to_string("map/_bottleneck_table.html", context, request=request)

        table_html = cached(
            ("bottleneck-table", request.GET.urlencode(), _time_bucket()),
            render_table,
            state=state,
            marker=marker,
            shared=True,
        )
        context = self.get_context_data(
            table_html=table_html,
            team=team,
            q=q,
            teams=filter_choices()["teams"],
            state=state,
        )
        return self.render_to_response(context)


def _url_if_routed(name: str) -> str:
    """The URL of a page another part of the product may or may not provide yet."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


class DashboardPage(LeadershipPage):
    template_name = "map/dashboard.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["links"] = {
            name.replace("-", "_"): _url_if_routed(name)
            for name in ("escalation-inbox", "ownership-gaps", "connector-list")
        }
        context.update(
            cached(
                ("dashboard", _time_bucket()),
                dashboard_summary,
                state=impact_state(),
                marker=change_marker(),
                shared=True,
            )
        )
        return context
