"""Input that no field of ours can hold, found before it reaches a lookup or a write.

PostgreSQL text and jsonb cannot hold U+0000, so a NUL in a slug lookup or a saved value
fails the statement (a DataError, which would be a 500). A lone UTF-16 surrogate
(``"\\ud800"`` in JSON) is not a character at all and cannot be encoded to UTF-8. JSON's
``Infinity`` and ``1e400`` are not numbers jsonb can store. And nothing we accept is nested
deeper than a few levels, so deeper input is refused before anything walks it recursively.
Each problem is reported with where it is (``requires[0].node``) so the 400 names the field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from typing import Any

# No request body of ours goes beyond a handful of levels (a policy's levels, a connector's
# options); 64 leaves room for any connector option and matches what a webhook keeps.
MAX_DEPTH = 64
# No text field of ours needs more; a description longer than this is a pasted file.
MAX_STRING = 20_000

_SURROGATE = re.compile("[\ud800-\udfff]")

NUL_MESSAGE = "Contains a NUL character (U+0000), which cannot be stored."
SURROGATE_MESSAGE = "Contains a lone UTF-16 surrogate, which is not a character."


def text_problem(text: str) -> str | None:
    """Why this text cannot be accepted, or None."""
    if "\x00" in text:
        return NUL_MESSAGE
    if not text.isascii() and _SURROGATE.search(text):
        return SURROGATE_MESSAGE
    if len(text) > MAX_STRING:
        return f"At most {MAX_STRING:,} characters (this has {len(text):,})."
    return None


def find_problem(value: Any) -> tuple[str, str] | None:
    """The first unacceptable value in a JSON-like structure: (where, why), or None.

    `where` is a path such as ``requires[0].node`` ("" for the value itself). Walked with a
    stack, not recursion, so a deep structure cannot exhaust Python's stack here.
    """
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                return path, problem
        elif isinstance(item, float) and not math.isfinite(item):
            return path, "Not a finite number."
        elif isinstance(item, Mapping | list | tuple):
            if depth >= MAX_DEPTH:
                return path, f"Nested more than {MAX_DEPTH} levels deep."
            stack.extend(reversed(list(_children(item, path, depth + 1))))
    return None


def _children(item: Any, path: str, depth: int) -> Iterator[tuple[Any, str, int]]:
    if isinstance(item, Mapping):
        # A form's QueryDict holds several values a key; `items()` would show only the last.
        pairs = item.lists() if hasattr(item, "lists") else item.items()
        for key, child in pairs:
            key = str(key)
            where = f"{path}.{key}" if path else key
            if text_problem(key):
                yield key, where, depth  # checked as a value at its own place
            if hasattr(item, "lists"):
                yield from ((value, where, depth) for value in child)
            else:
                yield child, where, depth
    else:
        for index, child in enumerate(item):
            yield child, f"{path}[{index}]", depth


def top_field(path: str) -> str:
    """The top-level field a path lies in: ``requires[0].node`` → ``requires``."""
    return re.split(r"[.\[]", path, maxsplit=1)[0] if path else ""
