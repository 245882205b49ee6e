"""`GET /api/v1/reports/<name>/` (and the `/api/reports/<name>/` alias): a report as JSON, or
one of its tables as CSV with `?format=csv&table=<name>` (DESIGN §3)."""

from __future__ import annotations

import io
from typing import Any

from django.http import HttpResponse
from django.http.response import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from cataligent.permissions import check_read_reports
from reports import registry
from reports.results import report_for
from reports.tables import UnknownTable, pick, write_csv
from reports.window import WindowError

FORMATS = ("json", "csv")


class ReportView(APIView):
    """A report for a window: `from`/`to` (inclusive days) or `period`, and `team`.

    JSON is the report's result with a `window` echo; `format=csv` writes one of its tables
    (`table`, by default the report's main one) with formula-safe cells.
    """

    # `format` chooses the report's CSV twin here, not a DRF renderer.
    renderer_classes = [JSONRenderer]

    def perform_content_negotiation(self, request: Any, force: bool = False) -> Any:
        return (JSONRenderer(), JSONRenderer.media_type)

    @extend_schema(
        operation_id="reports_retrieve",
        parameters=[
            OpenApiParameter("name", str, OpenApiParameter.PATH, enum=list(registry.REPORTS)),
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day (inclusive)."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (inclusive)."),
            OpenApiParameter("period", str, description="A period's name, e.g. 2026-Q4."),
            OpenApiParameter("team", str, description="A team's slug."),
            OpenApiParameter("format", str, enum=list(FORMATS)),
            OpenApiParameter("table", str, description="With format=csv: which table."),
        ],
        responses={
            (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR),
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="A filter names the field."),
            404: OpenApiResponse(OpenApiTypes.OBJECT, description="No such report."),
        },
    )
    def get(self, request: Request, name: str) -> HttpResponseBase:
        check_read_reports(request.user)
        report = registry.get(name)
        if report is None:
            raise NotFound(
                f"No report is named {name!r}; there are: {', '.join(registry.REPORTS)}."
            )
        params = request.query_params
        wanted = params.get("format", "json").strip() or "json"
        if wanted not in FORMATS:
            raise serializers.ValidationError({"format": f"Use one of: {', '.join(FORMATS)}."})
        try:
            built = report_for(report, params)
        except WindowError as exc:
            raise serializers.ValidationError(exc.errors) from exc
        if wanted == "json":
            # Serialised once per built report, not once per request.
            return HttpResponse(built.json, content_type="application/json")
        window = built.window
        try:
            table = pick(built.tables, params.get("table", "").strip())
        except UnknownTable as exc:
            raise serializers.ValidationError({"table": str(exc)}) from exc
        out = io.StringIO()
        write_csv(table, out)
        filename = (
            f"{report.name}-{table.name.replace('_', '-')}-{window.first_day}-{window.last_day}.csv"
        )
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
