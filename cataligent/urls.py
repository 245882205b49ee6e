from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from cataligent import account_views, views
from cataligent.signin import SignInView

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("health/", views.health, name="health"),
    # Probes are often configured without a trailing slash, and must not get a redirect.
    re_path(r"^health/live/?$", views.health_live, name="health-live"),
    re_path(r"^health/ready/?$", views.health_ready, name="health-ready"),
    path("account/tokens/", account_views.token_list, name="account-tokens"),
    path(
        "account/tokens/<int:pk>/revoke/", account_views.token_revoke, name="account-token-revoke"
    ),
    path("", include("integrations.urls")),
    path("api/", include("cataligent.api.urls")),
    path("admin/", admin.site.urls),
    path("", include("dependencies.map_urls")),
    path("", include("dependencies.urls")),
    path("", include("objectives.urls")),
]
