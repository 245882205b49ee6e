"""The API's side of the one permission policy (cataligent.permissions).

Reads are checked here; writes are checked by `GovernedViewSet` once the new
values are known. A view that changes data but is not a GovernedViewSet is
refused outright, so a new endpoint cannot forget its checks.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission

from cataligent.permissions import Action, check, check_may_attempt

_WRITE_ACTIONS = {
    "POST": Action.CREATE,
    "PUT": Action.CHANGE,
    "PATCH": Action.CHANGE,
    "DELETE": Action.DELETE,
}


class PolicyPermission(BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        model = getattr(view, "policy_model", None) or _queryset_model(view)
        if model is not None:
            check(request.user, Action.VIEW, model=model)
        if request.method in SAFE_METHODS or getattr(view, "read_only_post", False):
            return True
        if getattr(view, "action", None) in getattr(view, "self_checking_actions", ()):
            return True  # the action's service asks the policy itself (e.g. acknowledge)
        if not getattr(view, "governed", False):
            return False
        if model is not None and request.method in _WRITE_ACTIONS:
            check_may_attempt(request.user, _WRITE_ACTIONS[request.method], model=model)
        return True


def _queryset_model(view: Any) -> Any:
    queryset = getattr(view, "queryset", None)
    return queryset.model if queryset is not None else None
