from django.urls import path

from integrations import views, webhooks

urlpatterns = [
    path("hooks/<slug:slug>/", webhooks.receive, name="webhook"),
]
urlpatterns += [
    path("connectors/", views.connector_list, name="connector-list"),
    path("connectors/new/", views.connector_edit, name="connector-new"),
    path("connectors/<slug:slug>/", views.connector_detail, name="connector-detail"),
    path("connectors/<slug:slug>/edit/", views.connector_edit, name="connector-edit"),
    path("connectors/<slug:slug>/test/", views.connector_test, name="connector-test"),
    path("connectors/<slug:slug>/sync/", views.connector_sync, name="connector-sync"),
    path("connectors/<slug:slug>/runs/", views.connector_runs, name="connector-runs"),
    path(
        "connectors/<slug:slug>/sync/status/",
        views.connector_sync_status,
        name="connector-sync-status",
    ),
    path("connectors/<slug:slug>/rules/", views.link_rule_create, name="link-rule-create"),
    path(
        "connectors/<slug:slug>/rules/<int:pk>/delete/",
        views.link_rule_delete,
        name="link-rule-delete",
    ),
    path(
        "connectors/<slug:slug>/rules/preview/", views.link_rule_preview, name="link-rule-preview"
    ),
]
