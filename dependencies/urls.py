from django.urls import path

from dependencies import escalation_views, views

urlpatterns = [
    path("nodes/", views.NodeListPage.as_view(), name="node-list"),
    path("nodes/<slug:slug>/", views.NodeDetailPage.as_view(), name="node-detail"),
    path("escalations/", escalation_views.EscalationInboxPage.as_view(), name="escalation-inbox"),
    path(
        "escalations/<int:pk>/acknowledge/",
        escalation_views.acknowledge,
        name="escalation-acknowledge",
    ),
]
