"""JSM Operations sync benchmark: alerts from the fake JSM Ops API into PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cataligent_dev \\
        .venv/bin/python -m bench.jsm_ops [--alerts 5000]

Not a test: it prints tickets/s. A fresh ``cataligent_bench_<pid>`` database (bench.source_sync's
helpers); the fake (tests/connectors/jsm_ops_fake.py) runs in this process, so its JSON
encoding and query filtering compete for the same interpreter: the figures are a floor. The
sync is the product's (``integrations.sync.sync_connector``), pages of 100.

1. First sync: N alerts created over the last 90 days, one in five open (of those, half
   acknowledged).
2. Between the syncs half the open ones are closed and as many new ones created; the second
   sync re-reads the open list and the new ones, and reads the closed ones by id.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bench import source_sync


def main(argv: list[str] | None = None) -> None:
    parser = source_sync.bench_parser(__doc__)
    parser.add_argument("--alerts", type=int, default=5_000)
    args = parser.parse_args(argv)
    source_sync.in_fresh_database(lambda: _run(args.alerts))


def _run(count: int) -> None:
    from tests.connectors.jsm_ops_fake import EMAIL, TOKEN, JsmOpsFake, alert

    now = datetime.now(UTC).replace(microsecond=0)
    records = [
        alert(
            n,
            when,
            status="open" if n % 5 == 0 else "closed",
            acknowledged=n % 10 == 0,
            priority=f"P{n % 5 + 1}",
        )
        for n, when in source_sync.over_the_last_90_days(count, now=now)
    ]
    fake = JsmOpsFake(records)
    connector = source_sync.save_connector(
        secret=TOKEN,
        slug="bench-jsm-ops",
        name="Benchmark JSM Operations",
        kind="jsm_ops",
        base_url=fake.api_url,
        username=EMAIL,
        page_size=100,
    )

    def close_half_and_create_as_many() -> None:
        source_sync.close_half_and_open_as_many(
            [r["id"] for r in records if r["status"] == "open"],
            count=count,
            close=fake.close_alert,
            open_new=lambda n: fake.create(alert(n, datetime.now(UTC), priority="P3")),
        )

    source_sync.two_syncs(
        connector=connector,
        fake=fake,
        noun="alerts",
        between=close_half_and_create_as_many,
    )


if __name__ == "__main__":
    main()
