"""`{{ user|person }}`: a person as people know them, their full name, else their username.

Registered as a template builtin (settings.TEMPLATES), so no `{% load %}` is needed.
"""

from __future__ import annotations

from typing import Any

from django import template

from cataligent.audit import display_name

register = template.Library()


@register.filter
def person(user: Any) -> str:
    if user is None or user == "":
        return ""
    if isinstance(user, str):
        return user  # already a name (rows read with .values())
    return display_name(user)
