from collections.abc import Callable
from typing import Any

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

from cataligent.hostile import NUL_MESSAGE


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every page needs a signed-in user, except those marked `login_not_required`.

    The API is left to DRF, which answers an anonymous request with 401 in JSON
    instead of a redirect to the login page.
    """

    def process_view(self, request: Any, view_func: Any, view_args: Any, view_kwargs: Any) -> Any:
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class RefuseHostileQueryMiddleware:
    """A NUL character in the path or a query parameter is a 400 naming it, for every page
    and API endpoint, before a lookup sends it to PostgreSQL (which cannot hold U+0000).

    Bodies are checked where they are parsed: the API's parsers (cataligent.api.parsers)
    and the pages' forms (cataligent.forms).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path_info:
            return _bad_request(request, "path", NUL_MESSAGE)
        for name, values in request.GET.lists():
            for value in (name, *values):
                if "\x00" in value:
                    return _bad_request(request, name.replace("\x00", "\\x00"), NUL_MESSAGE)
        return self.get_response(request)


def _bad_request(request: HttpRequest, field: str, message: str) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return JsonResponse({field: [message]}, status=400)
    return HttpResponseBadRequest(f"{field}: {message}", content_type="text/plain")
