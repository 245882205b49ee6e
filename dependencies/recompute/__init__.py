"""The recompute: loader and writer (`store`), the lease and the passes (`runner`).

The names below are kept importable from here for the writers that still ask for a recompute
through `dependencies.recompute`; new code asks through `dependencies.graph.changes`.
"""

from dependencies.graph.changes import impact_changed
from dependencies.recompute.runner import (
    RecomputeOutcome,
    current_result,
    forget_cache,
    impact_recompute,
)

__all__ = [
    "RecomputeOutcome",
    "current_result",
    "forget_cache",
    "impact_changed",
    "impact_recompute",
]
