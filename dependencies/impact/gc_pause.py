"""Pausing Python's cyclic garbage collector around the engine's bulk allocations."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collected_as_long_lived", "garbage_collector_paused"]


@contextmanager
def garbage_collector_paused() -> Iterator[None]:
    """Hold off cyclic garbage collection for the duration of the block.

    A recompute allocates hundreds of thousands of small tuples and results, none of them
    part of a reference cycle; the collector would otherwise traverse them again and again
    as they pile up (a third of the recompute time at 50,000 nodes). Reference counting still
    frees memory as usual; the collector runs again afterwards, and stays off if it was off.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def collected_as_long_lived() -> Iterator[None]:
    """Pause the collector for the block, then count what it allocated as long-lived.

    An incremental recompute at 250,000 nodes copies the engine's lists by vertex (states,
    root causes, intrinsic states, blocked-since: a million slots) into the result it keeps
    until the next change. Young, they were traversed by the next collections of the
    youngest generations, twice per slot, about 15 ms per ticket change, though they live
    as long as the result. Here they go straight to the oldest generation, which only the
    rare full collections read: `gc.freeze()` moves every tracked object to the permanent
    generation and `gc.unfreeze()` moves them all into the oldest one, neither traversing
    anything. Garbage cycles made meanwhile are collected by the next full collection
    instead of a young one. If something else froze objects on purpose (`gc.freeze()`
    before forking workers), unfreezing would undo that: nothing is moved then.
    """
    with garbage_collector_paused():
        yield
        if not gc.get_freeze_count():
            gc.freeze()
            gc.unfreeze()
