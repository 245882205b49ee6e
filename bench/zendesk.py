"""Zendesk sync benchmark: tickets from the fake Zendesk into PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cataligent_dev \\
        .venv/bin/python -m bench.zendesk [--tickets 20000]

Not a test: it prints tickets/s. A fresh ``cataligent_bench_<pid>`` database (bench.source_sync's
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

from datetime import UTC, datetime, timedelta

from bench import source_sync


def main(argv: list[str] | None = None) -> None:
    parser = source_sync.bench_parser(__doc__)
    parser.add_argument("--tickets", type=int, default=20_000)
    args = parser.parse_args(argv)
    source_sync.in_fresh_database(lambda: _run(args.tickets))


def _run(count: int) -> None:
    from tests.connectors.zendesk_fake import EMAIL, TOKEN, ZendeskFake, ticket

    # The newest a few minutes back: the export leaves out the last minute.
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    priorities = ["urgent", "high", "normal", "low", None]
    records = [
        ticket(
            n,
            when,
            status="open" if n % 5 == 0 else "solved",
            priority=priorities[n % 5],
            tags=["payments", f"team-{n % 7}"],
        )
        for n, when in source_sync.over_the_last_90_days(count, now=now)
    ]
    fake = ZendeskFake(records)
    connector = source_sync.save_connector(
        secret=TOKEN,
        slug="bench-zendesk",
        name="Benchmark Zendesk",
        kind="zendesk",
        base_url=fake.base_url,
        auth_type="basic",
        username=f"{EMAIL}/token",
        page_size=1000,
    )

    def solve_half_create_as_many_delete_some() -> None:
        # A minute on each side: past the minute the export leaves out.
        fake.advance(61)
        source_sync.close_half_and_open_as_many(
            [r["id"] for r in records if r["status"] == "open"],
            count=count,
            close=lambda ident: fake.update(ident, status="solved"),
            open_new=lambda n: fake.create(ticket(n, fake.clock(), priority="normal")),
        )
        for ident in range(3, count, 100):
            fake.delete(ident)
        fake.advance(61)

    source_sync.two_syncs(
        connector=connector,
        fake=fake,
        noun="tickets",
        between=solve_half_create_as_many_delete_some,
        # The connector's waits pass on the fake's clock, not ours.
        options={"sleep": fake.advance},
        deletions=True,
    )


if __name__ == "__main__":
    main()
