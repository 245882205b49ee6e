"""The impact API: the map, what-if and single points of failure (DESIGN §3)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dependencies import impact
from dependencies.choices import NodeKind
from dependencies.map.drawing import change_marker
from dependencies.map.payload import MAP_VIEWS, impact_state, map_payload
from dependencies.models import Node
from dependencies.recompute.runner import current_result


class MapQuery(serializers.Serializer):
    view = serializers.ChoiceField(choices=MAP_VIEWS, default="affected")
    team = serializers.SlugField(required=False)
    objective = serializers.CharField(required=False)
    kind = serializers.ChoiceField(choices=NodeKind.choices, required=False)


class MapView(APIView):
    """The graph with states, root causes and the bottleneck ranking.

    Cheap to poll: send the last `ETag` back in `If-None-Match` and an unchanged
    map answers 304 with no body.
    """

    policy_model = Node

    @extend_schema(
        parameters=[
            OpenApiParameter("view", enum=list(MAP_VIEWS)),
            OpenApiParameter("team", str),
            OpenApiParameter("objective", str),
            OpenApiParameter("kind", enum=NodeKind.values),
        ],
        responses={200: dict},
    )
    def get(self, request: Request) -> Response:
        query = MapQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = {k: v for k, v in query.validated_data.items() if v}
        state = impact_state()
        # Owners, teams and policies change what the map says without a new version: the
        # audit marker (as the map page's ETag) covers them.
        etag = '"map-{}-{}-{}-{}"'.format(
            state.version,
            state.structure,
            change_marker(),
            "-".join(f"{k}={v}" for k, v in sorted(params.items())),
        )
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})
        return Response(map_payload(**params), headers={"ETag": etag})


class WhatIfRequest(serializers.Serializer):
    block = serializers.ListField(child=serializers.SlugField(), required=False, default=list)
    unblock = serializers.ListField(child=serializers.SlugField(), required=False, default=list)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        named = set(attrs["block"]) | set(attrs["unblock"])
        if not named:
            raise serializers.ValidationError(
                {"block": "Name at least one node to block or unblock."}
            )
        both = set(attrs["block"]) & set(attrs["unblock"])
        if both:
            raise serializers.ValidationError(
                {"unblock": f"Cannot both block and unblock: {', '.join(sorted(both))}."}
            )
        known = set(Node.objects.filter(slug__in=named).values_list("slug", flat=True))
        for field in ("block", "unblock"):
            unknown = sorted(set(attrs[field]) - known)
            if unknown:
                raise serializers.ValidationError({field: f"No such node: {', '.join(unknown)}."})
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


_spof_cache: tuple[int, list[dict[str, Any]]] | None = None


class SinglePointsOfFailureView(APIView):
    """Nodes whose failure alone would block an objective that is not blocked now."""

    policy_model = Node

    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        global _spof_cache
        version = impact_state().version
        if _spof_cache is None or _spof_cache[0] != version:
            points = impact.single_points_of_failure(current_result())
            _spof_cache = (
                version,
                [
                    {
                        "node": p.node,
                        "objectives": list(p.objectives),
                        "value_at_risk": str(p.value_at_risk),
                    }
                    for p in points
                ],
            )
        return Response({"version": version, "results": _spof_cache[1]})
