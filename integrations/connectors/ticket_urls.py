"""A ticket's URL as a source sends it: kept only when it is an http(s) address.

The URL becomes an ``href`` on our pages and a field of the API, and a webhook body (or a
tool's custom URL field) can say ``javascript:alert(document.cookie)``, a ``data:`` page or
a relative path that would resolve against Cataligent itself. Only the scheme decides what a
browser does with a link, so an absolute URL starting ``http://`` or ``https://`` is kept and
anything else is dropped (the ticket is still mirrored; its raw record keeps what was sent).
"""

from __future__ import annotations

_SCHEMES = ("https://", "http://")


def http_url(url: str) -> str | None:
    """``url`` without surrounding blanks if it is an absolute http(s) URL, else None."""
    candidate = url.strip()
    scheme = next((s for s in _SCHEMES if candidate[: len(s)].lower() == s), None)
    if scheme is None or not candidate[len(scheme) :].strip("/"):
        return None
    return candidate


def url_problem(url: str) -> str | None:
    """Why a ticket cannot link to ``url`` (None: it can, or there is no URL)."""
    if not url or http_url(url) is not None:
        return None
    return f"its URL {url[:80]!r} is not an http(s) address"
