from typing import Any

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired

from cataligent.api.versions import (
    UNVERSIONED_DEPRECATED_SINCE,
    is_unversioned_api_path,
    v1_path,
)


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every page needs a signed-in user, except those marked `login_not_required`.

    The API is left to DRF, which answers an anonymous request with 401 in JSON
    instead of a redirect to the login page.
    """

    def process_view(self, request: Any, view_func: Any, view_args: Any, view_kwargs: Any) -> Any:
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class ApiVersionMiddleware:
    """Marks answers on the deprecated unversioned /api/ paths with where to move."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        response = self.get_response(request)
        path = request.path_info
        if is_unversioned_api_path(path):
            response["Deprecation"] = UNVERSIONED_DEPRECATED_SINCE
            successor = request.build_absolute_uri(
                request.META.get("SCRIPT_NAME", "") + v1_path(path)
            )
            response["Link"] = f'<{successor}>; rel="successor-version"'
        return response
