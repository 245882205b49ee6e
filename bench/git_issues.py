"""GitHub and GitLab sync benchmark: issues from the fake GraphQL API into PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cataligent_dev \\
        .venv/bin/python -m bench.git_issues --source github [--issues 5000]

Not a test: it prints tickets/s. A fresh ``cataligent_bench_<pid>`` database (bench.source_sync's
helpers); the fake (tests/connectors/github_fake.py or gitlab_fake.py) runs in this process,
so its JSON encoding and keyset paging compete for the same interpreter: the figures are a
floor. The sync is the product's (``integrations.sync.sync_connector``), pages of 100 (both
APIs' maximum).

1. First sync: N issues updated over the last 90 days, one in five open, two labels each.
2. Between the syncs one in ten is changed (closed, relabelled) and one in twenty added;
   the second sync reads only those, from the cursor less its minute of overlap.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bench import source_sync


def main(argv: list[str] | None = None) -> None:
    parser = source_sync.bench_parser(__doc__)
    parser.add_argument("--source", choices=("github", "gitlab"), required=True)
    parser.add_argument("--issues", type=int, default=5_000)
    args = parser.parse_args(argv)
    source_sync.in_fresh_database(lambda: _run(args.source, args.issues))


def _source(kind: str) -> tuple[Any, Any, str, str, str]:
    """(fake class, issue factory, token, query, the open state) of one tool's fake."""
    if kind == "github":
        from tests.connectors import github_fake as fake

        return fake.GitHubFake, fake.issue, fake.TOKEN, "acme/widgets", "OPEN"
    from tests.connectors import gitlab_fake as fake

    return fake.GitLabFake, fake.issue, fake.TOKEN, fake.PROJECT, "opened"


def _run(kind: str, count: int) -> None:
    fake_class, issue, token, query, opened = _source(kind)
    closed = "CLOSED" if kind == "github" else "closed"
    now = datetime.now(UTC).replace(microsecond=0)
    records = [
        issue(
            n,
            when,
            state=opened if n % 5 == 0 else closed,
            labels=(f"P{n % 4 + 1}", "bug" if n % 2 else "feature"),
            assignees=("ada",) if n % 3 else (),
        )
        for n, when in source_sync.over_the_last_90_days(count, now=now)
    ]
    fake = fake_class(records)
    connector = source_sync.save_connector(
        secret=token,
        slug=f"bench-{kind}",
        name=f"Benchmark {kind}",
        kind=kind,
        base_url=fake.base_url,
        auth_type="bearer",
        query=query,
        page_size=100,
    )

    def close_a_tenth_and_add_a_twentieth() -> None:
        for n in range(1, count + 1, 10):
            fake.update(n, state=closed)
        for n in range(count + 1, count + 1 + count // 20):
            fake.add(issue(n, datetime.now(UTC), labels=("P2",)))

    source_sync.two_syncs(
        connector=connector,
        fake=fake,
        noun="issues",
        between=close_a_tenth_and_add_a_twentieth,
        label=f"{kind} ",
    )


if __name__ == "__main__":
    main()
