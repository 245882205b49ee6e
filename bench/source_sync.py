"""What the per-source sync benchmarks share: a fresh database, two timed syncs, their lines.

bench/pagerduty.py, jsm_ops.py, git_issues.py and zendesk.py each keep only their own part:
the fake, the records, the connector's fields and what changes between the syncs. Here: the
argument parser, the ``cataligent_bench_<pid>`` database (bench.ingest_harness), saving the
connector, timing ``integrations.sync.sync_connector`` and printing the two lines
docs/benchmarks.md quotes. Django is imported inside the functions: it is set up only once
the fresh database exists.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from bench.ingest_harness import fresh_database, setup_django

if TYPE_CHECKING:
    from integrations.models import Connector, SyncRun


class SourceFake(Protocol):
    """A fake source from tests/connectors/: the requests it has answered, and its server."""

    requests: list[Any]

    def close(self) -> None: ...


def bench_parser(doc: str) -> argparse.ArgumentParser:
    """The parser of a bench whose module docstring is `doc`: its first line is the help."""
    return argparse.ArgumentParser(description=doc.splitlines()[0])


def in_fresh_database(run: Callable[[], None]) -> None:
    """Run `run` with Django set up on a fresh benchmark database, dropped afterwards."""
    with fresh_database(os.environ["DATABASE_URL"]) as url:
        setup_django(url)
        run()


def over_the_last_90_days(count: int, *, now: datetime) -> Iterator[tuple[int, datetime]]:
    """(n, when) for the records 1 to `count`, spread evenly over the 90 days before `now`."""
    step = timedelta(days=90) / count
    for n in range(1, count + 1):
        yield n, now - timedelta(days=90) + n * step


def close_half_and_open_as_many(
    open_ids: list[Any],
    *,
    count: int,
    close: Callable[[Any], None],
    open_new: Callable[[int], None],
) -> None:
    """Close the first half of `open_ids` and open as many new records, numbered on from
    `count`: the change between the syncs of the benches whose sources keep an open list."""
    half = len(open_ids) // 2
    for ident in open_ids[:half]:
        close(ident)
    for n in range(count + 1, count + 1 + half):
        open_new(n)


def save_connector(*, secret: str, **fields: Any) -> Connector:
    """A saved Connector with `fields` and its secret."""
    from integrations.models import Connector

    connector = Connector(**fields)
    connector.set_secret(secret)
    connector.save()
    return connector


@dataclass(frozen=True)
class TimedSync:
    run: SyncRun
    seconds: float
    requests: int  # the requests the fake answered during this sync


def timed_sync(
    *, connector: Connector, fake: SourceFake, options: dict[str, Any] | None = None
) -> TimedSync:
    """One sync of `connector`, timed; it must succeed."""
    from integrations.sync import sync_connector

    requests_before = len(fake.requests)
    started = time.perf_counter()
    run = sync_connector(connector=connector, connector_options=options)
    seconds = time.perf_counter() - started
    assert run is not None and run.outcome == "succeeded", run and run.error
    return TimedSync(run, seconds, len(fake.requests) - requests_before)


def print_first_sync(first: TimedSync, *, noun: str, label: str = "") -> None:
    run, seconds = first.run, first.seconds
    print(
        f"{label}first sync: {run.created:,} {noun} in {seconds:.2f} s = "
        f"{run.created / seconds:,.0f} tickets/s ({first.requests} requests)"
    )


def print_second_sync(second: TimedSync, *, label: str = "", deletions: bool = False) -> None:
    """The second sync's line; with `deletions`, the tickets it marked missing count too."""
    from integrations.models import Ticket

    run, seconds = second.run, second.seconds
    changed = run.created + run.updated
    counts = f"{run.created:,} new + {run.updated:,} changed"
    if deletions:
        changed += run.marked_missing
        counts += f" + {run.marked_missing:,} deleted"
    print(
        f"{label}second sync: {counts} of {Ticket.objects.count():,} in {seconds:.2f} s = "
        f"{changed / seconds:,.0f} changed tickets/s ({second.requests} requests)"
    )


def two_syncs(
    *,
    connector: Connector,
    fake: SourceFake,
    noun: str,
    between: Callable[[], None],
    label: str = "",
    options: dict[str, Any] | None = None,
    deletions: bool = False,
) -> None:
    """A timed first sync, `between` (the source's changes), a timed second sync; then the
    fake is closed. `noun` names the source's records in the first line, `label` starts both."""
    try:
        first = timed_sync(connector=connector, fake=fake, options=options)
        print_first_sync(first, noun=noun, label=label)
        between()
        second = timed_sync(connector=connector, fake=fake, options=options)
        print_second_sync(second, label=label, deletions=deletions)
    finally:
        fake.close()
