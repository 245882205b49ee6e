"""Users in the `admin` role hold every Django permission, so the admin site
works for them without per-model permission rows."""

from typing import Any

from django.contrib.auth.backends import BaseBackend

from cataligent.roles import Role, user_roles


class AdminRoleBackend(BaseBackend):
    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return bool(user_obj.is_active and Role.ADMIN in user_roles(user_obj))

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return self.has_perm(user_obj, app_label)
