"""Zendesk sync benchmark: tickets from the fake Zendesk into PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cataligent_dev \\
        .venv/bin/python -m bench.zendesk [--tickets 20000]

Not a test: it prints tickets/s. A fresh ``cataligent_bench_<pid>`` database (bench.ingest's
helpers); the fake (tests/connectors/zendesk_fake.py) runs in this process, so its JSON
encoding competes for the same interpreter: the figures are a floor. The sync is the
product's (``integrations.sync.sync_connector``), pages of 1,000 (the export's maximum) with
every sideload the connector asks for. The connector's waits (the pace of 10 requests a
minute, the minute a first read waits once caught up) pass on the fake's clock, not ours:
this measures our side. Against Zendesk the pace bounds an export at 10 pages a minute,
about 167 tickets/s, and a first or full read takes a minute more.

1. First sync: N tickets changed over the last 90 days, one in five open.
2. Between the syncs (a minute on, past the minute the export leaves out) half the open
   ones are solved, as many new ones created and one in a hundred deleted; the second sync
   resumes from Zendesk's cursor and reads only those.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime, timedelta

from bench.ingest import _fresh_database, _setup_django


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=20_000)
    args = parser.parse_args(argv)
    with _fresh_database(os.environ["DATABASE_URL"]) as url:
        _setup_django(url)
        _run(args.tickets)


def _run(count: int) -> None:
    from integrations.models import Connector, Ticket
    from integrations.sync import sync_connector
    from tests.connectors.zendesk_fake import EMAIL, TOKEN, ZendeskFake, ticket

    # The newest a few minutes back: the export leaves out the last minute.
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    step = timedelta(days=90) / count
    priorities = ["urgent", "high", "normal", "low", None]
    records = [
        ticket(
            n,
            now - timedelta(days=90) + n * step,
            status="open" if n % 5 == 0 else "solved",
            priority=priorities[n % 5],
            tags=["payments", f"team-{n % 7}"],
        )
        for n in range(1, count + 1)
    ]
    fake = ZendeskFake(records)
    connector = Connector(
        slug="bench-zendesk",
        name="Benchmark Zendesk",
        kind="zendesk",
        base_url=fake.base_url,
        auth_type="basic",
        username=f"{EMAIL}/token",
        page_size=1000,
    )
    connector.set_secret(TOKEN)
    connector.save()
    try:
        started = time.perf_counter()
        first = sync_connector(connector=connector, connector_options={"sleep": fake.advance})
        first_seconds = time.perf_counter() - started
        assert first is not None and first.outcome == "succeeded", first and first.error
        print(
            f"first sync: {first.created:,} tickets in {first_seconds:.2f} s = "
            f"{first.created / first_seconds:,.0f} tickets/s ({len(fake.requests)} requests)"
        )

        fake.advance(61)
        open_ids = [r["id"] for r in records if r["status"] == "open"]
        for ident in open_ids[: len(open_ids) // 2]:
            fake.update(ident, status="solved")
        for n in range(count + 1, count + 1 + len(open_ids) // 2):
            fake.create(ticket(n, fake.clock(), priority="normal"))
        for ident in range(3, count, 100):
            fake.delete(ident)
        fake.advance(61)
        requests_before = len(fake.requests)
        started = time.perf_counter()
        second = sync_connector(connector=connector, connector_options={"sleep": fake.advance})
        second_seconds = time.perf_counter() - started
        assert second is not None and second.outcome == "succeeded", second and second.error
        changed = second.created + second.updated + second.marked_missing
        print(
            f"second sync: {second.created:,} new + {second.updated:,} changed + "
            f"{second.marked_missing:,} deleted of {Ticket.objects.count():,} in "
            f"{second_seconds:.2f} s = {changed / second_seconds:,.0f} changed tickets/s "
            f"({len(fake.requests) - requests_before} requests)"
        )
    finally:
        fake.close()


if __name__ == "__main__":
    main()
