"""`{{ ticket.url|http_url }}`: a source's URL as an href only when it is http(s).

The sync already drops other URLs (integrations/connectors/ticket_urls.py); rows mirrored
before it did, or written by other means, must still never become a `javascript:` link.
"""

from __future__ import annotations

from django import template

from integrations.connectors.ticket_urls import http_url as _http_url

register = template.Library()


@register.filter
def http_url(value: object) -> str:
    return (_http_url(value) or "") if isinstance(value, str) else ""
