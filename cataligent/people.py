"""People as people know them (issue 18, item 9): full name, else username.

`display_name` reads a user; `name_of_row` reads the same from a `.values()` row that
selected `person_fields(prefix)`, so list pages name people without a query per row.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cataligent.audit import display_name

__all__ = ["display_name", "name_of_row", "person_fields"]


def person_fields(prefix: str = "owner") -> tuple[str, str, str]:
    return (f"{prefix}__username", f"{prefix}__first_name", f"{prefix}__last_name")


def name_of_row(row: Mapping[str, Any], prefix: str = "owner") -> str:
    username, first, last = (row.get(f) or "" for f in person_fields(prefix))
    return f"{first} {last}".strip() or username
