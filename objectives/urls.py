from django.urls import path

from objectives import views

urlpatterns = [
    path("objectives/", views.ObjectiveListPage.as_view(), name="objective-list"),
    path("objectives/<str:key>/", views.ObjectiveDetailPage.as_view(), name="objective-detail"),
    path("objectives/<str:key>/updates/", views.post_status_update, name="objective-post-update"),
]
