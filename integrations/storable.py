"""Values as PostgreSQL can store them.

A source may send what PostgreSQL or our JSON encoder refuses: a NUL character (text and
jsonb cannot hold U+0000), a lone UTF-16 surrogate (``"\\ud800"`` in JSON: not a character
at all), an integer beyond 64 bits (orjson, which encodes the pages we write, refuses it),
JSON nested deeper than orjson goes, a NaN or an infinity (Python's json reads ``NaN``,
``Infinity`` and ``1e999``; PostgreSQL's json refuses them). One such value would fail the
statement that writes its whole page. The mirror keeps the record instead, cleaned: NULs
dropped, lone surrogates replaced by U+FFFD, huge integers kept as their digits, NaN and
infinities as their names, anything nested deeper than ``MAX_DEPTH`` replaced by a note
saying so.
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any, TypeVar

_SURROGATE = re.compile("[\ud800-\udfff]")
_INT64 = range(-(2**63), 2**63)
# orjson stops at 255 levels; no ITSM record comes near.
MAX_DEPTH = 64
TOO_DEEP = f"(nested more than {MAX_DEPTH} levels deep: not kept)"

T = TypeVar("T")


def storable_text(text: str) -> str:
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text if text.isascii() else _SURROGATE.sub("\ufffd", text)


def storable(value: Any, depth: int = 0) -> Any:
    """``value`` (a JSON-like structure) with every string and key made storable."""
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, dict | list | tuple) and depth >= MAX_DEPTH:
        return TOO_DEEP
    if isinstance(value, dict):
        return {storable(str(key)): storable(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(storable(item, depth + 1) for item in value)
    if isinstance(value, int) and not isinstance(value, bool) and value not in _INT64:
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # 'nan', 'inf', '-inf'
    return value


def storable_record(record: T) -> T:
    """A dataclass instance (a normalized ticket) with its fields made storable."""
    changes = {
        f.name: storable(getattr(record, f.name))
        for f in dataclasses.fields(record)  # type: ignore[arg-type]
    }
    return dataclasses.replace(record, **changes)  # type: ignore[type-var]
