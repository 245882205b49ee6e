from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

from cataligent import account_views, views
from cataligent.signin import SignInView
from cataligent.sso import SsoCallbackView, SsoStartView

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("sso/login/", login_not_required(SsoStartView.as_view()), name="sso-login"),
    path("sso/callback/", login_not_required(SsoCallbackView.as_view()), name="sso-callback"),
    path("health/", views.health, name="health"),
    # /health/live, /health/ready and /metrics: cataligent.middleware.OperationsMiddleware.
    path("account/tokens/", account_views.token_list, name="account-tokens"),
    path(
        "account/tokens/<int:pk>/revoke/", account_views.token_revoke, name="account-token-revoke"
    ),
    path("favicon.ico", views.favicon, name="favicon"),
    path("", include("integrations.urls")),
    # The API's one version; route names (api-node-list, api-docs) resolve here.
    path("api/v1/", include("cataligent.api.urls")),
    # Deprecated aliases from before versioning: same views, left out of the schema, and
    # marked with Deprecation and Link headers (cataligent.middleware.ApiVersionMiddleware).
    path("api/", include(("cataligent.api.urls", "api"), namespace="unversioned-api")),
    path("admin/", admin.site.urls),
    path("", include("dependencies.map.urls")),
    path("", include("dependencies.urls")),
    path("", include("objectives.urls")),
    path("reports/", include("reports.urls")),
]
