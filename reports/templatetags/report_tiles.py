"""Report figures shown on other apps' pages.

The dashboard lives below the reports in the layers contract (dependencies.map may not
import reports), so it asks for the figure from its template: `{% load report_tiles %}`
and `{% alignment_tile %}`. Template tags are found by name at render time, not imported.
"""

from __future__ import annotations

import time
from typing import Any

from django import template

from dependencies.map.drawing import change_marker, result_cache
from reports.alignment import alignment_share
from reports.loaders import structure_key
from reports.results import newest_ticket_change
from reports.window import parse_window

register = template.Library()
TILE_SECONDS = 300


@register.inclusion_tag("reports/_alignment_tile.html")
def alignment_tile() -> dict[str, Any]:
    """The share of the default window's ticket activity that supports an objective."""
    window = parse_window({})
    # It reads every ticket of the window and the graph upwards (seconds at 250,000 nodes),
    # so it is kept while what it reads holds: the tickets, their links and the graph's
    # shape, for at most TILE_SECONDS. Not the stored states: a recompute leaves it as it
    # was. Shared by the web processes: one builds it, the others read its result.
    key = (
        "alignment-tile",
        int(time.time() // TILE_SECONDS),
        *structure_key(),
        *newest_ticket_change(),
        change_marker(),
    )
    share = result_cache.get_or_make(key, lambda: alignment_share(window), shared=True)
    return {"share": share, "days": round(window.hours / 24)}
