"""PagerDuty sync benchmark: incidents from the fake PagerDuty into PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cataligent_dev \\
        .venv/bin/python -m bench.pagerduty [--incidents 5000]

Not a test: it prints tickets/s. A fresh ``cataligent_bench_<pid>`` database (bench.source_sync's
helpers); the fake (tests/connectors/pagerduty_fake.py) runs in this process, so its JSON
encoding competes for the same interpreter: the figures are a floor. The sync is the
product's (``integrations.sync.sync_connector``), pages of 100 (PagerDuty's maximum).

1. First sync: N incidents created over the last 90 days, one in five open.
2. Between the syncs half the open ones are resolved and as many new ones triggered; the
   second sync reads the open list, the new ones and, by id, the resolved ones.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bench import source_sync


def main(argv: list[str] | None = None) -> None:
    parser = source_sync.bench_parser(__doc__)
    parser.add_argument("--incidents", type=int, default=5_000)
    args = parser.parse_args(argv)
    source_sync.in_fresh_database(lambda: _run(args.incidents))


def _run(count: int) -> None:
    from tests.connectors.pagerduty_fake import TOKEN, PagerDutyFake, incident

    now = datetime.now(UTC).replace(microsecond=0)
    records = [
        incident(
            n,
            when,
            status="triggered" if n % 5 == 0 else "resolved",
            priority=f"P{n % 5 + 1}",
        )
        for n, when in source_sync.over_the_last_90_days(count, now=now)
    ]
    fake = PagerDutyFake(records)
    connector = source_sync.save_connector(
        secret=TOKEN,
        slug="bench-pagerduty",
        name="Benchmark PagerDuty",
        kind="pagerduty",
        base_url=fake.base_url,
        auth_type="token",
        page_size=100,
    )

    def resolve_half_and_trigger_as_many() -> None:
        source_sync.close_half_and_open_as_many(
            [r["id"] for r in records if r["status"] == "triggered"],
            count=count,
            close=fake.resolve,
            open_new=lambda n: fake.trigger(incident(n, datetime.now(UTC), priority="P3")),
        )

    source_sync.two_syncs(
        connector=connector,
        fake=fake,
        noun="incidents",
        between=resolve_half_and_trigger_as_many,
    )


if __name__ == "__main__":
    main()
