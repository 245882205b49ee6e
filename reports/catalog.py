"""Every report definition, imported once at start-up so that it registers itself.

A plain list of imports, one a line: add yours.
"""

from reports import (
    spend,  # noqa: F401
    trends,  # noqa: F401
)
