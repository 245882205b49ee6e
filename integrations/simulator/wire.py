"""The request and response the API modules work with, independent of ``http.server``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import orjson


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    params: dict[str, list[str]]  # parse_qs of the query string, order kept
    headers: dict[str, str]  # lower-cased names
    body: bytes
    base_url: str  # "http://127.0.0.1:8765", from the Host header

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.params.get(name)
        return values[0] if values else default

    def json_body(self) -> Any:
        return json.loads(self.body or b"{}")


@dataclass(slots=True)
class Response:
    status: int
    payload: Any  # JSON-serialisable
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self) -> bytes:
        if isinstance(self.payload, bytes):  # a page for people, already rendered
            return self.payload
        return orjson.dumps(self.payload)  # compact, like the real services


def int_param(request: Request, name: str, default: int) -> int:
    value = request.param(name)
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
