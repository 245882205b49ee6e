from typing import Any

from django.conf import settings

from cataligent.roles import Role, user_roles


def roles(request: Any) -> dict[str, Any]:
    """`roles` (a set of role names) and `is_admin` etc. for templates."""
    user_role_set = user_roles(getattr(request, "user", None))
    return {
        "roles": {role.value for role in user_role_set},
        "is_admin": Role.ADMIN in user_role_set,
        "is_leadership": Role.LEADERSHIP in user_role_set,
        "is_team_lead": Role.TEAM_LEAD in user_role_set,
    }


def sign_in(request: Any) -> dict[str, Any]:
    """How people sign in here: `sso_name` when single sign-on is configured (the
    button "Sign in with <name>"), `local_login` when passwords are accepted."""
    return {
        "sso_name": settings.OIDC_PROVIDER_NAME if settings.OIDC_ISSUER else "",
        "local_login": settings.LOCAL_LOGIN,
    }
