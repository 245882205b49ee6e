from typing import Any

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every page needs a signed-in user, except those marked `login_not_required`.

    The API is left to DRF, which answers an anonymous request with 401 in JSON
    instead of a redirect to the login page.
    """

    def process_view(self, request: Any, view_func: Any, view_args: Any, view_kwargs: Any) -> Any:
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
