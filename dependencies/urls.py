from django.urls import path

from dependencies import views

urlpatterns = [
    path("nodes/", views.NodeListPage.as_view(), name="node-list"),
    path("nodes/<slug:slug>/", views.NodeDetailPage.as_view(), name="node-detail"),
]
