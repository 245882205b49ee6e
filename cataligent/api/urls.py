"""The REST API's routes, one router for every app (DESIGN §3)."""

from django.urls import include, path, re_path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.routers import DefaultRouter

from cataligent.api.teams import TeamViewSet
from cataligent.api.tokens import ApiTokenViewSet, obtain_token
from cataligent.api.versions import API_V1_PREFIX
from dependencies.escalations.api import EscalationViewSet
from dependencies.graph.api.views import EdgeViewSet, EscalationPolicyViewSet, NodeViewSet
from dependencies.map.api import MapView, SinglePointsOfFailureView, WhatIfView
from integrations.api.views import (
    ConnectorViewSet,
    LinkRuleViewSet,
    SyncRunViewSet,
    TicketLinkViewSet,
    TicketViewSet,
)
from objectives.api.status_updates import StatusUpdateViewSet
from objectives.api.views import ObjectiveViewSet, PeriodViewSet
from reports.api import ReportView
from reports.cost_api import CostLineViewSet

# Basenames start with "api-" so that API route names (api-node-detail) never shadow
# the pages' (node-detail).
router = DefaultRouter()
router.register("teams", TeamViewSet, basename="api-team")
router.register("objectives", ObjectiveViewSet, basename="api-objective")
router.register("nodes", NodeViewSet, basename="api-node")
router.register("edges", EdgeViewSet, basename="api-edge")
router.register("escalation-policies", EscalationPolicyViewSet, basename="api-escalation-policy")
router.register("connectors", ConnectorViewSet, basename="api-connector")
router.register("tickets", TicketViewSet, basename="api-ticket")
router.register("links", TicketLinkViewSet, basename="api-link")
router.register("link-rules", LinkRuleViewSet, basename="api-link-rule")
router.register("sync-runs", SyncRunViewSet, basename="api-sync-run")
router.register("escalations", EscalationViewSet, basename="api-escalation")
router.register("status-updates", StatusUpdateViewSet, basename="api-status-update")
router.register("periods", PeriodViewSet, basename="api-period")
router.register("costs", CostLineViewSet, basename="api-cost")


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@authentication_classes([])
@permission_classes([])
def not_found(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    prefix = API_V1_PREFIX if request.path.startswith(API_V1_PREFIX) else "/api/"
    raise NotFound(f"No API endpoint at {request.path}. See {prefix}docs/ for what there is.")


urlpatterns = [
    path("", include(router.urls)),
    path("map/", MapView.as_view(), name="api-map"),
    path("whatif/", WhatIfView.as_view(), name="api-whatif"),
    path(
        "single-points-of-failure/",
        SinglePointsOfFailureView.as_view(),
        name="api-single-points-of-failure",
    ),
    path("reports/<slug:name>/", ReportView.as_view(), name="api-report"),
    path("auth/token/", obtain_token, name="api-token"),
    # Not on the router: a user's own tokens are outside the team permission matrix.
    path(
        "auth/tokens/",
        ApiTokenViewSet.as_view({"get": "list", "post": "create"}),
        name="api-own-token-list",
    ),
    path(
        "auth/tokens/<int:pk>/",
        ApiTokenViewSet.as_view({"get": "retrieve", "delete": "destroy"}),
        name="api-own-token-detail",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^.*$", not_found),
]
