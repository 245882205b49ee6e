"""Green-red disconnects for the digest (DESIGN §2, report `green-red`): the green-red
report's own items, so the digest and the report always say the same."""

from __future__ import annotations

from typing import Any

from reports import green_red
from reports.window import Window


def disconnects(window: Window) -> list[dict[str, Any]]:
    return [item for item in green_red.build(window)["items"] if item.get("disconnect")]
