"""Reading a source's next page while the sync writes the current one (integrations.sync).

No Django here: only the connector's pages, a thread and two queues.
"""

from __future__ import annotations

import contextvars
import logging
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from integrations.connectors import Page

__all__ = ["PagesAhead", "read_ahead"]

log = logging.getLogger(__name__)


class PagesAhead:
    """The source's pages, each read while the caller writes the one before.

    Reading a page is mostly waiting for the source and normalizing; writing one is mostly
    waiting for PostgreSQL: overlapping them took about a third off the ingest benchmark's
    syncs (bench/ingest.py). Safe because a page is only a proposal until the caller commits
    it with its cursor: a page read ahead and never written (the run stopped) is read again
    by the next run. One page at most is in flight, so memory stays flat.

    One reading thread serves the whole run, asked for each page in turn; ``close`` (which
    ``read_ahead`` calls) stops it, so always use it through ``read_ahead``.
    """

    def __init__(self, pages: Iterator[Page]) -> None:
        self._pages = pages
        self._asks: queue.SimpleQueue[bool] = queue.SimpleQueue()
        self._answers: queue.SimpleQueue[tuple[Page | None, BaseException | None]] = (
            queue.SimpleQueue()
        )
        self._asked = False
        # The reader logs as the sync does: same request id, connector and run.
        context = contextvars.copy_context()
        self._thread = threading.Thread(
            target=context.run, args=(self._serve,), name="sync-read-ahead", daemon=True
        )
        self._thread.start()
        self._ask()

    def _serve(self) -> None:
        while self._asks.get():
            try:
                self._answers.put((next(self._pages, None), None))
            except BaseException as exc:  # raised in the caller's thread by __next__
                self._answers.put((None, exc))

    def _ask(self) -> None:
        self._asked = True
        self._asks.put(True)

    def __iter__(self) -> PagesAhead:
        return self

    def __next__(self) -> Page:
        if not self._asked:
            raise StopIteration
        page, error = self._answers.get()
        self._asked = False
        if error is not None:
            raise error
        if page is None:
            raise StopIteration
        if not page.is_last:
            self._ask()
        return page

    def close(self, timeout: float = 60.0) -> None:
        """Let a read in flight finish (the source's client closes next), then stop."""
        self._asks.put(False)
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("a read from the source is still running; leaving it behind")
            return
        close = getattr(self._pages, "close", None)
        if close is not None:
            close()


@contextmanager
def read_ahead(pages: Iterator[Page]) -> Iterator[PagesAhead]:
    ahead = PagesAhead(pages)
    try:
        yield ahead
    finally:
        ahead.close()
