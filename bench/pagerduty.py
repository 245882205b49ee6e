"""PagerDuty sync benchmark: incidents from the fake PagerDuty into PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cataligent_dev \\
        .venv/bin/python -m bench.pagerduty [--incidents 5000]

Not a test: it prints tickets/s. A fresh ``cataligent_bench_<pid>`` database (bench.ingest's
helpers); the fake (tests/connectors/pagerduty_fake.py) runs in this process, so its JSON
encoding competes for the same interpreter: the figures are a floor. The sync is the
product's (``integrations.sync.sync_connector``), pages of 100 (PagerDuty's maximum).

1. First sync: N incidents created over the last 90 days, one in five open.
2. Between the syncs half the open ones are resolved and as many new ones triggered; the
   second sync reads the open list, the new ones and, by id, the resolved ones.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime, timedelta

from bench.ingest_harness import fresh_database, setup_django


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=5_000)
    args = parser.parse_args(argv)
    with fresh_database(os.environ["DATABASE_URL"]) as url:
        setup_django(url)
        _run(args.incidents)


def _run(count: int) -> None:
    from integrations.models import Connector, Ticket
    from integrations.sync import sync_connector
    from tests.connectors.pagerduty_fake import TOKEN, PagerDutyFake, incident

    now = datetime.now(UTC).replace(microsecond=0)
    step = timedelta(days=90) / count
    records = [
        incident(
            n,
            now - timedelta(days=90) + n * step,
            status="triggered" if n % 5 == 0 else "resolved",
            priority=f"P{n % 5 + 1}",
        )
        for n in range(1, count + 1)
    ]
    fake = PagerDutyFake(records)
    connector = Connector(
        slug="bench-pagerduty",
        name="Benchmark PagerDuty",
        kind="pagerduty",
        base_url=fake.base_url,
        auth_type="token",
        page_size=100,
    )
    connector.set_secret(TOKEN)
    connector.save()
    try:
        started = time.perf_counter()
        first = sync_connector(connector=connector)
        first_seconds = time.perf_counter() - started
        assert first is not None and first.outcome == "succeeded", first and first.error
        print(
            f"first sync: {first.created:,} incidents in {first_seconds:.2f} s = "
            f"{first.created / first_seconds:,.0f} tickets/s ({len(fake.requests)} requests)"
        )

        open_ids = [r["id"] for r in records if r["status"] == "triggered"]
        for ident in open_ids[: len(open_ids) // 2]:
            fake.resolve(ident)
        for n in range(count + 1, count + 1 + len(open_ids) // 2):
            fake.trigger(incident(n, datetime.now(UTC), priority="P3"))
        requests_before = len(fake.requests)
        started = time.perf_counter()
        second = sync_connector(connector=connector)
        second_seconds = time.perf_counter() - started
        assert second is not None and second.outcome == "succeeded", second and second.error
        changed = second.created + second.updated
        print(
            f"second sync: {second.created:,} new + {second.updated:,} changed of "
            f"{Ticket.objects.count():,} in {second_seconds:.2f} s = "
            f"{changed / second_seconds:,.0f} changed tickets/s "
            f"({len(fake.requests) - requests_before} requests)"
        )
    finally:
        fake.close()


if __name__ == "__main__":
    main()
