from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from cataligent import account_views, views
from cataligent.signin import SignInView

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("health/", views.health, name="health"),
    # /health/live, /health/ready and /metrics: cataligent.middleware.OperationsMiddleware.
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
