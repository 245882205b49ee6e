"""Every report definition, imported once when the app loads so that each registers itself.

One plain import per report: adding one is adding a line.
"""

from reports import (
    alignment,  # noqa: F401
    green_red,  # noqa: F401
    outcomes,  # noqa: F401
    shadow_ops,  # noqa: F401
    spend,  # noqa: F401
    trends,  # noqa: F401
)
