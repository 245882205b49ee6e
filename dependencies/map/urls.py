"""Routes of the leadership pages: the blocked-capability map and what explains it."""

from django.urls import path

from dependencies.map import node_actions, node_page, scenario_views, team_views
from dependencies.map import views as map_views

urlpatterns = [
    path("map/", map_views.MapPage.as_view(), name="map"),
    path("map/graph.json", map_views.MapGraphJson.as_view(), name="map-graph"),
    path("map/table/", map_views.BlockedTable.as_view(), name="map-table"),
    path("map/nodes/<slug:slug>/", map_views.NodePanel.as_view(), name="map-node-panel"),
    path(
        "map/nodes/<slug:slug>/state/",
        node_actions.NodeStateChange.as_view(),
        name="map-node-state",
    ),
    path("map/nodes/<slug:slug>/tickets/", node_page.node_tickets, name="map-node-tickets"),
    path(
        "map/nodes/<slug:slug>/team/", node_actions.NodeTeamAssign.as_view(), name="map-node-team"
    ),
    path(
        "map/objectives/<str:key>/",
        map_views.ObjectivePanel.as_view(),
        name="map-objective-panel",
    ),
    path("bottlenecks/", map_views.BottlenecksPage.as_view(), name="bottlenecks"),
    path("dashboard/", map_views.DashboardPage.as_view(), name="dashboard"),
    path("whatif/", scenario_views.WhatIfPage.as_view(), name="whatif"),
    path(
        "single-points-of-failure/",
        scenario_views.SinglePointsOfFailurePage.as_view(),
        name="single-points-of-failure",
    ),
]

urlpatterns += [
    path("teams/", team_views.team_list, name="team-list"),
    path("teams/<slug:slug>/", team_views.team_page, name="team-detail"),
    path(
        "teams/<slug:slug>/assignment-groups/",
        team_views.team_assignment_groups,
        name="team-assignment-groups",
    ),
]
