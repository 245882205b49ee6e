from django.urls import path

from integrations import webhooks

urlpatterns = [
    path("hooks/<slug:slug>/", webhooks.receive, name="webhook"),
]
