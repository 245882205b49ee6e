from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("digest/", views.digest_page, name="digest"),
]
