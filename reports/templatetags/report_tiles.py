"""Report figures shown on other apps' pages.

The dashboard lives below the reports in the layers contract (dependencies.map may not
import reports), so it asks for the figure from its template: `{% load report_tiles %}`
and `{% alignment_tile %}`. Template tags are found by name at render time, not imported.
"""

from __future__ import annotations

from typing import Any

from django import template

from reports.alignment import alignment_share
from reports.window import parse_window

register = template.Library()


@register.inclusion_tag("reports/_alignment_tile.html")
def alignment_tile() -> dict[str, Any]:
    """The share of the default window's ticket activity that supports an objective."""
    window = parse_window({})
    return {"share": alignment_share(window), "days": round(window.hours / 24)}
