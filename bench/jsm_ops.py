"""JSM Operations sync benchmark: alerts from the fake JSM Ops API into PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cataligent_dev \\
        .venv/bin/python -m bench.jsm_ops [--alerts 5000]

Not a test: it prints tickets/s. A fresh ``cataligent_bench_<pid>`` database (bench.ingest's
helpers); the fake (tests/connectors/jsm_ops_fake.py) runs in this process, so its JSON
encoding and query filtering compete for the same interpreter: the figures are a floor. The
sync is the product's (``integrations.sync.sync_connector``), pages of 100.

1. First sync: N alerts created over the last 90 days, one in five open (of those, half
   acknowledged).
2. Between the syncs half the open ones are closed and as many new ones created; the second
   sync re-reads the open list and the new ones, and reads the closed ones by id.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime, timedelta

from bench.ingest import _fresh_database, _setup_django


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=5_000)
    args = parser.parse_args(argv)
    with _fresh_database(os.environ["DATABASE_URL"]) as url:
        _setup_django(url)
        _run(args.alerts)


def _run(count: int) -> None:
    from integrations.models import Connector, Ticket
    from integrations.sync import sync_connector
    from tests.connectors.jsm_ops_fake import EMAIL, TOKEN, JsmOpsFake, alert

    now = datetime.now(UTC).replace(microsecond=0)
    step = timedelta(days=90) / count
    records = [
        alert(
            n,
            now - timedelta(days=90) + n * step,
            status="open" if n % 5 == 0 else "closed",
            acknowledged=n % 10 == 0,
            priority=f"P{n % 5 + 1}",
        )
        for n in range(1, count + 1)
    ]
    fake = JsmOpsFake(records)
    connector = Connector(
        slug="bench-jsm-ops",
        name="Benchmark JSM Operations",
        kind="jsm_ops",
        base_url=fake.api_url,
        username=EMAIL,
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
            f"first sync: {first.created:,} alerts in {first_seconds:.2f} s = "
            f"{first.created / first_seconds:,.0f} tickets/s ({len(fake.requests)} requests)"
        )

        open_ids = [r["id"] for r in records if r["status"] == "open"]
        for ident in open_ids[: len(open_ids) // 2]:
            fake.close_alert(ident)
        for n in range(count + 1, count + 1 + len(open_ids) // 2):
            fake.create(alert(n, datetime.now(UTC), priority="P3"))
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
