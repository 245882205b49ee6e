"""The report pages. Explicit routes go before `<slug:name>/`, which serves every
registered report; `digest/` and `orphans/` are kept for the digest and the orphan queue."""

from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.ReportIndex.as_view(), name="index"),
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
    # Reserved: "digest/" (the leadership digest), "orphans/" (the orphan queue).
    path("<slug:name>/", views.ReportDetail.as_view(), name="detail"),
]
