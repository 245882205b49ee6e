"""The impact API: the map, what-if and single points of failure (DESIGN §3)."""

from __future__ import annotations

import re
from typing import Any

import orjson
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils import encoders
from rest_framework.views import APIView

from cataligent.conditional import not_modified
from dependencies import impact
from dependencies.choices import NodeKind
from dependencies.map.drawing import cached, change_marker, map_etag
from dependencies.map.forms import MapFilterForm
from dependencies.map.payload import MAP_VIEWS, map_changes, map_payload
from dependencies.map.query import MapFilters
from dependencies.map.scenarios import single_points_of_failure, whatif_problems
from dependencies.models import Node
from dependencies.recompute.loader import impact_state
from dependencies.recompute.runner import current_result


class MapView(APIView):
    """The graph with states, root causes and the bottleneck ranking.

    Cheap to poll: send the last `ETag` back in `If-None-Match` and an unchanged
    map answers 304 with no body. To follow a large map, send it in `?since=` too: a
    changed map then answers with just what changed (`map_changes`).
    """

    policy_model = Node

    @extend_schema(
        parameters=[
            OpenApiParameter("view", enum=list(MAP_VIEWS)),
            OpenApiParameter("team", str),
            OpenApiParameter("objective", str),
            OpenApiParameter("kind", enum=NodeKind.values),
            OpenApiParameter(
                "since",
                str,
                description="The ETag of the map you hold: answer with what changed since "
                "(`changes_since` is its version), or whole (`changes_since` null) when the "
                "graph's shape or governance changed meanwhile.",
            ),
        ],
        responses={
            200: dict,
            304: OpenApiResponse(description="Unchanged since the ETag sent in If-None-Match."),
        },
    )
    def get(self, request: Request) -> HttpResponseBase:
        # The map page's query object: one validation for the page and the API, except that
        # the API refuses a bad filter (400 naming it) where the page drops it.
        form = MapFilterForm(request.query_params)
        if not form.is_valid():
            raise serializers.ValidationError(
                {
                    field: [e["message"] for e in errors]
                    for field, errors in form.errors.get_json_data().items()
                }
            )
        asked = form.filters()
        f = MapFilters(view=asked.view, team=asked.team, objective=asked.objective, kind=asked.kind)
        state, marker = impact_state(), change_marker()
        # Owners, teams and policies change what the map says without a new version: the
        # audit marker in the one ETag covers them.
        etag = map_etag(f, state, marker, shape="map")
        token = request.query_params.get("since")
        since = None if token is None else changes_since(token, f, etag)
        unchanged = not_modified(request, etag)
        if unchanged is not None:
            return unchanged
        if since is not None:
            body = cached(
                ("api-changes", f, since),
                lambda: map_changes(since=since, view=f.view, team=f.team, kind=f.kind),
                state=state,
                marker=marker,
            )
        else:
            body = cached(
                ("api", f),
                lambda: map_payload(view=f.view, team=f.team, objective=f.objective, kind=f.kind),
                state=state,
                marker=marker,
            )
            if token is not None:  # asked for changes, answered whole: says so
                body = {**body, "changes_since": None}
        if not isinstance(request.accepted_renderer, JSONRenderer):
            return Response(body, headers={"ETag": etag})  # the browsable API
        # JSON, rendered once per stored version: at 50,000 nodes the affected map is
        # 18 MB, and rendering it again for every client that asks costs about 0.4 s.
        rendered = cached(
            ("api-json", f, token is not None, since, request.accepted_media_type),
            lambda: render_json(
                body,
                request.accepted_renderer,
                request.accepted_media_type,
                self.get_renderer_context(),
            ),
            state=state,
            marker=marker,
        )
        renderer = request.accepted_renderer
        content_type = renderer.media_type + (
            f"; charset={renderer.charset}" if renderer.charset else ""
        )
        return HttpResponse(rendered, content_type=content_type, headers={"ETag": etag})


# The map's ETag, as `map_etag` makes it for the API: "map-<version>-<structure>-<audit
# marker>-<filters' digest>", with or without its quotes.
_MAP_ETAG = re.compile(r'^"?map-(\d{1,18})-(\d{1,18})-(\d{1,18})-([0-9a-f]{8})"?$')


def changes_since(token: str, f: MapFilters, etag: str) -> int | None:
    """The results version whose changes answer `?since=<token>`, or None for the whole map.

    `token` is the ETag of the map the client holds. Changes can be given when that map
    was read with the same filters, on the graph of the same shape and with the same
    governance (owners, teams, policies, edges: the audit marker) as now, and not for the
    `objective` filter (which follows the graph downwards). Otherwise the answer is the
    whole map, with `changes_since` null. A token that is not such an ETag is a 400."""
    held = _MAP_ETAG.match(token.strip())
    if held is None:
        raise serializers.ValidationError(
            {
                "since": [
                    "Pass the ETag of the map you hold, as this API sent it "
                    '(e.g. "map-41-3-17-0a1b2c3d").'
                ]
            }
        )
    now = _MAP_ETAG.match(etag)
    version = int(held[1])
    if (
        now is None
        or f.objective
        or held.group(2, 3, 4) != now.group(2, 3, 4)
        or version > int(now[1])
    ):
        return None
    return version


def render_json(
    body: dict[str, Any], renderer: JSONRenderer, media_type: str, context: dict[str, Any]
) -> bytes:
    """The bytes DRF's JSONRenderer makes (compact, UTF-8, its encoder's datetimes and
    decimals, U+2028/9 escaped), made by orjson: about ten times faster on the 18 MB of a
    50,000-node map. Indented output (`; indent=n`) is left to DRF."""
    if renderer.get_indent(media_type, context) is not None or not renderer.compact:
        return renderer.render(body, media_type, context)
    encoded = orjson.dumps(
        body, default=encoders.JSONEncoder().default, option=orjson.OPT_PASSTHROUGH_DATETIME
    )
    return encoded.replace("\u2028".encode(), b"\\u2028").replace("\u2029".encode(), b"\\u2029")


class WhatIfRequest(serializers.Serializer):
    block = serializers.ListField(child=serializers.SlugField(), required=False, default=list)
    unblock = serializers.ListField(child=serializers.SlugField(), required=False, default=list)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        problems = whatif_problems(attrs["block"], attrs["unblock"])
        if problems:
            raise serializers.ValidationError(problems)
        return attrs


def _change(change: impact.StateChange, name: str) -> dict[str, str]:
    return {name: change.item, "from": change.from_state.label, "to": change.to_state.label}


class WhatIfView(APIView):
    """What would change if these nodes failed (`block`) or were fixed (`unblock`)."""

    policy_model = Node
    read_only_post = True  # computes a scenario, changes nothing

    @extend_schema(
        request=WhatIfRequest,
        responses=inline_serializer(
            "WhatIfResponse",
            {
                "nodes": serializers.ListField(child=serializers.DictField()),
                "objectives": serializers.ListField(child=serializers.DictField()),
                "value_at_risk_delta": serializers.DecimalField(max_digits=16, decimal_places=2),
            },
        ),
    )
    def post(self, request: Request) -> Response:
        body = WhatIfRequest(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            result = impact.what_if(
                current_result(),
                block=body.validated_data["block"],
                unblock=body.validated_data["unblock"],
            )
        except impact.ImpactError as exc:  # a node added since the last recompute
            raise serializers.ValidationError({"block": str(exc)}) from exc
        return Response(
            {
                "nodes": [_change(c, "slug") for c in result.nodes],
                "capabilities": [c.item for c in result.capabilities],
                "objectives": [_change(c, "key") for c in result.objectives],
                "value_at_risk_delta": str(result.value_at_risk_delta),
            }
        )


class SinglePointsOfFailureView(APIView):
    """Nodes whose failure alone would block an objective that is not blocked now."""

    policy_model = Node

    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        version = impact_state().version
        results = [
            {
                "node": p.node,
                "objectives": list(p.objectives),
                "value_at_risk": str(p.value_at_risk),
            }
            for p in single_points_of_failure()
        ]
        return Response({"version": version, "results": results})
