"""The report pages. Explicit routes go before `<slug:name>/`, which serves every
registered report (`digest/` is kept for the leadership digest)."""

from django.urls import path

from reports import digest_views, orphan_views, views

app_name = "reports"

urlpatterns = [
    path("", views.ReportIndex.as_view(), name="index"),
    path("orphans/", orphan_views.orphan_queue, name="orphans"),
    path("orphans/accept/", orphan_views.accept_suggestion, name="orphans-accept"),
    path("digest/", digest_views.digest_page, name="digest"),
    path(
        "green-red/disconnects/",
        views.GreenRedDisconnects.as_view(),
        name="green-red-disconnects",
    ),
    path(
        "green-red/items/<str:kind>/<str:ref>/",
        views.GreenRedItem.as_view(),
        name="green-red-item",
    ),
    path("<slug:name>/", views.ReportDetail.as_view(), name="detail"),
]
