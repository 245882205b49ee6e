from django.urls import path

from dependencies.escalations import gap_views, policy_views
from dependencies.escalations import inbox_views as escalation_views
from dependencies.graph import views
from dependencies.map import node_page

urlpatterns = [
    path("nodes/", views.NodeListPage.as_view(), name="node-list"),
    path("nodes/<slug:slug>/", node_page.node_detail, name="node-detail"),
    path("nodes/<slug:slug>/owner/", node_page.node_governance, name="node-governance"),
    path(
        "nodes/<slug:slug>/dependencies/",
        node_page.node_dependency_add,
        name="node-dependency-add",
    ),
    path(
        "nodes/<slug:slug>/dependencies/<int:pk>/remove/",
        node_page.node_dependency_remove,
        name="node-dependency-remove",
    ),
    path("ownership-gaps/", gap_views.gaps_page, name="ownership-gaps"),
    path("ownership-gaps/assign/", gap_views.gaps_assign, name="ownership-gaps-assign"),
    path("escalation-policies/", policy_views.policy_list, name="escalation-policies"),
    path("escalation-policies/new/", policy_views.policy_edit, name="escalation-policy-new"),
    path("escalation-policies/<int:pk>/", policy_views.policy_edit, name="escalation-policy-edit"),
    path("escalation-policies/level-row/", policy_views.level_row, name="escalation-level-row"),
    path("escalations/", escalation_views.EscalationInboxPage.as_view(), name="escalation-inbox"),
    path(
        "escalations/<int:pk>/acknowledge/",
        escalation_views.acknowledge,
        name="escalation-acknowledge",
    ),
]
