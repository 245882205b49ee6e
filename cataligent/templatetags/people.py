"""`{{ user|person }}` and `{{ row|owner_name }}`: people by their names (full name, else
username), from a user or from a `.values()` row read with `person_fields`.

Registered as a template builtin (settings.TEMPLATES), so no `{% load %}` is needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

from cataligent.people import display_name, name_of_row

register = template.Library()


@register.filter
def person(user: Any) -> str:
    if user is None or user == "":
        return ""
    if isinstance(user, str):
        return user  # already a name
    return display_name(user)


@register.filter
def owner_name(row: Mapping[str, Any], prefix: str = "owner") -> str:
    return name_of_row(row, prefix) if isinstance(row, Mapping) else ""
