from django.urls import path

from dependencies.escalations import gap_views, policy_views
from dependencies.escalations import inbox_views as escalation_views
from dependencies.graph import views

urlpatterns = [
    path("nodes/", views.NodeListPage.as_view(), name="node-list"),
    path("nodes/<slug:slug>/", views.NodeDetailPage.as_view(), name="node-detail"),
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
