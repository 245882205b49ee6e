"""Conditional GETs (If-None-Match → 304) through Django's own machinery (RFC 9110).

Django compares weakly, so `W/"…"`, a list of ETags and `*` all get their 304; a
hand-written string comparison matched none of them.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.http import HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import quote_etag


def etag_for(*parts: Any) -> str:
    """A strong ETag for these parts (versions, the request's parameters). A hash: nothing
    a client sent (a newline in a filter, a very long value) reaches the header itself."""
    text = json.dumps([str(part) for part in parts])
    return quote_etag(hashlib.sha256(text.encode()).hexdigest()[:32])


def not_modified(request: Any, etag: str) -> HttpResponse | None:
    """The 304 to answer when the client's If-None-Match names `etag`, else None."""
    response = get_conditional_response(request, etag=etag)
    if response is not None:
        response["ETag"] = etag
    return response
