"""The report pages: the index, one page per registered report, and the green-red fragments
the dashboard, the map's panel and the objective page load (they sit below this layer, so
they ask for the fragment by URL rather than import it)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.views import View

from cataligent.models import Team
from cataligent.permissions import check_read_reports
from objectives.models import Period
from reports import registry
from reports.results import Built, report_for
from reports.window import WindowError

TABLE_PAGE_SIZE = 50
FILTERS = ("from", "to", "period", "team")


class ReportPage(View):
    """Every signed-in user reads the reports (cataligent.permissions.check_read_reports)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        check_read_reports(request.user)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[return-value]


class ReportIndex(ReportPage):
    def get(self, request: HttpRequest) -> HttpResponse:
        reports = [
            {"report": r, "url": reverse("reports:detail", args=[r.name])}
            for r in registry.REPORTS.values()
        ]
        return render(request, "reports/index.html", {"reports": reports})


def _page_link(request: HttpRequest, param: str, number: int) -> str:
    query = request.GET.copy()
    query[param] = str(number)
    return f"?{query.urlencode()}"


def _filter_choices() -> dict[str, Any]:
    return {
        "default_days": settings.REPORT_WINDOW_DAYS,
        "periods": list(Period.objects.values_list("name", flat=True)),
        "teams": list(Team.objects.order_by("name").values_list("slug", "name")),
    }


class ReportDetail(ReportPage):
    def get(self, request: HttpRequest, name: str) -> HttpResponse:
        report = registry.get(name)
        if report is None:
            raise Http404(f"No report is named {name!r}.")
        asked = {f: request.GET.get(f, "").strip() for f in FILTERS}
        context: dict[str, Any] = {"report": report, "asked": asked, **_filter_choices()}
        try:
            built = report_for(report, request.GET)
        except WindowError as exc:
            context["errors"] = exc.errors
            return render(request, "reports/detail.html", context, status=400)
        window = built.window
        filters = window.as_filters()
        api = reverse("api-report", args=[report.name])
        context.update(window=window, json_url=f"{api}?{urlencode(filters)}")
        # The charts and tables are the same for everyone asking the same page of the same
        # built report: rendered once (a large organisation's tables take a while).
        context["body"] = built.fragment(
            request.GET.urlencode(), lambda: _body(request, built, api, filters)
        )
        return render(request, "reports/detail.html", context)


def _body(request: HttpRequest, built: Built, api: str, filters: dict[str, str]) -> str:
    tables = []
    for table in built.tables:
        param = f"{table.name}-page"
        page = Paginator(table.rows, TABLE_PAGE_SIZE).get_page(request.GET.get(param))
        tables.append(
            {
                "table": table,
                "page": page,
                "prev": _page_link(request, param, page.previous_page_number())
                if page.has_previous()
                else "",
                "next": _page_link(request, param, page.next_page_number())
                if page.has_next()
                else "",
                "csv": f"{api}?{urlencode({**filters, 'format': 'csv', 'table': table.name})}",
            }
        )
    context = {
        "report": built.report,
        "result": built.result,
        "charts": built.charts,
        "tables": tables,
    }
    return render_to_string("reports/_body.html", context)


# --- Green-red where leadership meets it ---------------------------------------------------


def _green_red() -> dict[str, Any]:
    return report_for(registry.REPORTS["green-red"], {}).result


class GreenRedItem(ReportPage):
    """One item's green-red row (the last 30 days), beside the graph's verdict."""

    def get(self, request: HttpRequest, kind: str, ref: str) -> HttpResponse:
        if kind not in ("node", "objective"):
            raise Http404("An item is a node or an objective.")
        field = "slug" if kind == "node" else "key"
        result = _green_red()
        row = next((i for i in result["items"] if i["kind"] == kind and i.get(field) == ref), None)
        return render(
            request,
            "reports/_green_red_item.html",
            {"row": row, "thresholds": result["thresholds"], "kind": kind},
        )


class GreenRedDisconnects(ReportPage):
    """The dashboard's card: how many disconnects, and the first of them."""

    def get(self, request: HttpRequest) -> HttpResponse:
        result = _green_red()
        disconnects = [i for i in result["items"] if i["disconnect"]]
        return render(
            request,
            "reports/_disconnects.html",
            {
                "count": len(disconnects),
                "items": disconnects[:5],
                "summary": result["summary"],
                "thresholds": result["thresholds"],
            },
        )
