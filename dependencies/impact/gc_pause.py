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
    For allocations that outlive the block (a graph, a result that is kept), use
    `collected_as_long_lived`.
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

    For blocks that make what is kept: a graph, a result the worker keeps until the next
    change (or a web process while the stored version holds). Left young, the first
    collection after the block traversed all of it: 144 ms after building the graph of
    250,000 nodes, about 15 ms after each ticket change's copies of the engine's lists
    (a million slots). It goes straight to the oldest generation instead, which only the
    rare full collections read: `gc.freeze()` moves every tracked object to the permanent
    generation and `gc.unfreeze()` moves them all into the oldest one, neither traversing
    anything. Garbage cycles made meanwhile are collected by the next full collection
    instead of a young one (the engine makes none: a dropped result is freed by reference
    counting), which is why blocks whose allocations die with a request (what-if, a page's
    table) only pause. If something else froze objects on purpose (`gc.freeze()` before
    forking workers), unfreezing would undo that: nothing is moved then.
    """
    with garbage_collector_paused():
        try:
            yield
        finally:
            if not gc.get_freeze_count():
                gc.freeze()
                gc.unfreeze()
