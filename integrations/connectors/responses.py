"""Reading what a source answered: the JSON body of a success (:func:`json_body`), and the
error an unsuccessful answer describes (:func:`error_for_response`), with the message the
source put in its body."""

from __future__ import annotations

import json
from typing import Any

import httpx
import orjson

from .errors import (
    ApiRemovedError,
    AuthenticationError,
    HttpStatusError,
    RateLimitedError,
    RequestRejectedError,
    ResponseFormatError,
    ServerError,
)

__all__ = ["error_for_response", "is_rate_limited", "json_body"]


def json_body(response: httpx.Response) -> Any:
    """The JSON body of a 2xx response; a clear error when it is something else."""
    try:
        # orjson: about four times faster than the standard library on a page of records
        # (the ingest's hot path). It reads UTF-8 only and refuses NaN and lone surrogates,
        # which the standard library reads: try that before calling it not JSON. (It reads
        # an integer beyond 64 bits as a float; ITSM payloads carry none outside custom
        # fields, and there only in the raw payload.)
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        pass
    try:
        return response.json()
    except ValueError as exc:
        content_type = response.headers.get("Content-Type", "?")
        raise ResponseFormatError(
            f"{response.request.method} {response.request.url.copy_with(query=None)} answered "
            f"{response.status_code} with {content_type}, not JSON (a login or proxy page?)"
        ) from exc


def _server_message(response: httpx.Response) -> str:
    """The error text a source put in its body, in the shapes the reference documents.

    ServiceNow ``{"error": {"message", "detail"}}``, Jira ``{"errorMessages": [...],
    "errors": {...}}``, RT ``{"message": "..."}``; otherwise the start of the text.
    """
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        text = " ".join(response.text.split())
        return text[:200]
    parts: list[str] = []
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            parts += [str(error[k]) for k in ("message", "detail") if error.get(k)]
        elif isinstance(error, str):
            parts.append(error)
        messages = body.get("errorMessages")
        if isinstance(messages, list):
            parts += [str(m) for m in messages]
        errors = body.get("errors")
        if isinstance(errors, dict):
            parts += [f"{k}: {v}" for k, v in errors.items()]
        if isinstance(body.get("message"), str):
            parts.append(body["message"].strip())
    return "; ".join(parts)[:500] if parts else json.dumps(body)[:200]


def _where(request: httpx.Request) -> str:
    # Host and path only: query strings can be long, and nothing secret belongs in a message.
    return f"{request.method} {request.url.copy_with(query=None)}"


def is_rate_limited(response: httpx.Response) -> bool:
    """429, or a 403 that is GitHub's rate limit rather than a refusal: its primary limit
    (``x-ratelimit-remaining: 0``) or a secondary one (with ``Retry-After``)."""
    if response.status_code == 429:
        return True
    headers = response.headers
    return response.status_code == 403 and (
        headers.get("x-ratelimit-remaining") == "0" or "Retry-After" in headers
    )


def error_for_response(response: httpx.Response) -> HttpStatusError:
    """The exception that describes an error response (status >= 300)."""
    status = response.status_code
    where = _where(response.request)
    detail = _server_message(response)
    suffix = f": {detail}" if detail else ""
    if 300 <= status < 400:
        location = response.headers.get("Location", "?")
        return RequestRejectedError(
            f"{where} was redirected to {location} (HTTP {status}); check the base URL "
            "(a login page or a moved instance?)",
            status_code=status,
        )
    if is_rate_limited(response):
        return RateLimitedError(
            f"{where}: rate limited by the source (HTTP {status}){suffix}", status_code=status
        )
    if status in (401, 403):
        return AuthenticationError(
            f"{where} was refused (HTTP {status}); check the credentials and the account's "
            f"roles{suffix}",
            status_code=status,
        )
    if status == 410:
        return ApiRemovedError(
            f"{where}: the source removed this API (HTTP 410){suffix}", status_code=status
        )
    if status == 408 or status >= 500:
        return ServerError(
            f"{where}: the source failed (HTTP {status}){suffix}", status_code=status
        )
    return RequestRejectedError(f"{where} was rejected (HTTP {status}){suffix}", status_code=status)
