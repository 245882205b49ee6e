from django.urls import path

from reports import orphan_views, views

app_name = "reports"

urlpatterns = [
    path("orphans/", orphan_views.orphan_queue, name="orphans"),
    path("orphans/accept/", orphan_views.accept_suggestion, name="orphans-accept"),
    path("digest/", views.digest_page, name="digest"),
]
