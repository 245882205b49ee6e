"""Report figures shown on other apps' pages.

The dashboard lives below the reports in the layers contract (dependencies.map may not
import reports), so it asks for the figure from its template: `{% load report_tiles %}`
and `{% alignment_tile %}`. Template tags are found by name at render time, not imported.
"""

from __future__ import annotations

from typing import Any

from django import template

from reports.alignment import alignment_share
from reports.results import kept_like_a_report
from reports.window import parse_window

register = template.Library()


@register.inclusion_tag("reports/_alignment_tile.html")
def alignment_tile() -> dict[str, Any]:
    """The share of the default window's ticket activity that supports an objective."""
    window = parse_window({})
    # Kept like a report: it reads every ticket of the window and the graph upwards. Shared
    # by the web processes: after a change one builds it and the others read its result,
    # rather than each reading the graph upwards while its visitors wait.
    share = kept_like_a_report("alignment-tile", lambda: alignment_share(window), shared=True)
    return {"share": share, "days": round(window.hours / 24)}
