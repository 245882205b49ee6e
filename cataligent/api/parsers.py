"""Request bodies checked once, for every API endpoint, before any serializer sees them.

Whatever the field — a plain text, a slug looked up in the database, a JSON option — a NUL
character, a lone surrogate, a non-finite number, an over-long string or too-deep nesting is
refused here with a 400 naming the field (cataligent.hostile says why each is refused).
"""

from __future__ import annotations

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError

from cataligent.hostile import MAX_DEPTH, find_problem, top_field


def refuse_hostile(data: Any) -> Any:
    found = find_problem(data)
    if found is None:
        return data
    path, problem = found
    field = top_field(path)
    if not field:
        raise ValidationError({"detail": problem})
    message = problem if path == field else f"{path}: {problem}"
    raise ValidationError({field: [message]})


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            # json gives up near Python's recursion limit (~1,000 levels), as RecursionError.
            raise ParseError(
                f"JSON parse error - nested too deeply (at most {MAX_DEPTH} levels)."
            ) from exc
        return refuse_hostile(data)


class FormParser(parsers.FormParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        return refuse_hostile(super().parse(stream, media_type, parser_context))


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        parsed = super().parse(stream, media_type, parser_context)
        refuse_hostile(parsed.data)
        return parsed
