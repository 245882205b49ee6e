from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from cataligent import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("health/", views.health, name="health"),
    path("favicon.ico", views.favicon),
    path("", include("integrations.urls")),
    path("api/", include("cataligent.api.urls")),
    path("admin/", admin.site.urls),
    path("", include("dependencies.map_urls")),
    path("", include("dependencies.urls")),
    path("", include("objectives.urls")),
]
