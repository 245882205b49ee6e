"""Leadership pages that ask the engine a question: what-if and single points of failure."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cataligent.pages import is_htmx
from dependencies import impact
from dependencies.map.drawing import cached, change_marker
from dependencies.map.forms import parse_slugs
from dependencies.map.scenarios import (
    spof_rows,
    whatif_problems,
    whatif_summary,
)
from dependencies.map.views import LeadershipPage, csv_response
from dependencies.models import Node
from dependencies.recompute.loader import impact_state


class WhatIfPage(LeadershipPage):
    """What would change if these nodes failed (`block`) or were fixed (`unblock`)."""

    template_name = "map/whatif.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        context = self.get_context_data()
        try:
            block = parse_slugs(request.GET.getlist("block"))
            unblock = parse_slugs(request.GET.getlist("unblock"))
        except ValidationError:
            block, unblock = [], []
            context["error"] = "Name nodes by their slugs, like core-banking-lending-api."
        context.update(block_text=", ".join(block), unblock_text=", ".join(unblock))
        context.update(_whatif_picker(request, block=block, unblock=unblock))
        if request.GET.get("part") == "picker":
            return render(request, "map/_whatif_picker.html", context)
        if (block or unblock) and "error" not in context:
            problems = whatif_problems(block, unblock)  # the API asks the same
            if problems:
                context["error"] = next(iter(problems.values()))
            else:
                try:
                    context["result"] = whatif_summary(block=block, unblock=unblock)
                except impact.ImpactError as exc:
                    context["error"] = str(exc)
        template = "map/_whatif.html" if is_htmx(request) else self.template_name
        return render(request, template, context)


PICKER_MATCHES = 20


def _whatif_picker(request: HttpRequest, *, block: list[str], unblock: list[str]) -> dict[str, Any]:
    """The what-if page's picker: what is picked (by name, each with a link that drops it)
    and the nodes whose name or slug matches the search, so nobody has to type slugs."""
    chosen = {
        n["slug"]: n
        for n in Node.objects.filter(slug__in=[*block, *unblock]).values("slug", "name")
    }

    def without(slug: str) -> str:
        query = request.GET.copy()
        query.setlist("block", [s for s in block if s != slug])
        query.setlist("unblock", [s for s in unblock if s != slug])
        query.pop("part", None)
        return f"?{query.urlencode()}"

    def picks(slugs: list[str]) -> list[dict[str, str]]:
        return [
            {"slug": s, "name": chosen.get(s, {}).get("name", s), "drop_url": without(s)}
            for s in slugs
        ]

    # A NUL never gets here: RefuseHostileQueryMiddleware answers 400 first.
    q = request.GET.get("q", "").strip()[:100]
    matches: list[dict[str, Any]] = []
    if q:
        matches = list(
            Node.objects.filter(Q(name__icontains=q) | Q(slug__icontains=q))
            .exclude(slug__in=[*block, *unblock])
            .order_by("-state", "name")
            .values("slug", "name", "kind", "state", "intrinsic_state")[:PICKER_MATCHES]
        )
    return {
        "q": q,
        "matches": matches,
        "picked_block": picks(block),
        "picked_unblock": picks(unblock),
    }


class SinglePointsOfFailurePage(LeadershipPage):
    template_name = "map/spof.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        state = impact_state()
        rows = cached(("spof",), spof_rows, state=state, marker=change_marker())
        if request.GET.get("format") == "csv":
            return csv_response(
                "single-points-of-failure.csv",
                ["node", "name", "kind", "owner", "team", "objectives", "value_at_risk_per_week"],
                (
                    [
                        r["node"]["slug"],
                        r["node"]["name"],
                        r["node"].get("kind", ""),
                        r["node"].get("owner__username") or "NO OWNER",
                        r["node"].get("team__name") or "",
                        " ".join(o["key"] for o in r["objectives"]),
                        r["value_at_risk"],
                    ]
                    for r in rows
                ),
            )
        page = Paginator(rows, 50).get_page(request.GET.get("page"))
        return self.render_to_response(
            self.get_context_data(rows=page.object_list, page_obj=page, state=state)
        )
