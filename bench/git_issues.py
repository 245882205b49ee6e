"""GitHub and GitLab sync benchmark: issues from the fake GraphQL API into PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cataligent_dev \\
        .venv/bin/python -m bench.git_issues --source github [--issues 5000]

Not a test: it prints tickets/s. A fresh ``cataligent_bench_<pid>`` database (bench.ingest's
helpers); the fake (tests/connectors/github_fake.py or gitlab_fake.py) runs in this process,
so its JSON encoding and keyset paging compete for the same interpreter: the figures are a
floor. The sync is the product's (``integrations.sync.sync_connector``), pages of 100 (both
APIs' maximum).

1. First sync: N issues updated over the last 90 days, one in five open, two labels each.
2. Between the syncs one in ten is changed (closed, relabelled) and one in twenty added;
   the second sync reads only those, from the cursor less its minute of overlap.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.ingest import _fresh_database, _setup_django


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", choices=("github", "gitlab"), required=True)
    parser.add_argument("--issues", type=int, default=5_000)
    args = parser.parse_args(argv)
    with _fresh_database(os.environ["DATABASE_URL"]) as url:
        _setup_django(url)
        _run(args.source, args.issues)


def _source(kind: str) -> tuple[Any, Any, str, str, str]:
    """(fake class, issue factory, token, query, the open state) of one tool's fake."""
    if kind == "github":
        from tests.connectors import github_fake as fake

        return fake.GitHubFake, fake.issue, fake.TOKEN, "acme/widgets", "OPEN"
    from tests.connectors import gitlab_fake as fake

    return fake.GitLabFake, fake.issue, fake.TOKEN, fake.PROJECT, "opened"


def _run(kind: str, count: int) -> None:
    from integrations.models import Connector, Ticket
    from integrations.sync import sync_connector

    fake_class, issue, token, query, opened = _source(kind)
    closed = "CLOSED" if kind == "github" else "closed"
    now = datetime.now(UTC).replace(microsecond=0)
    step = timedelta(days=90) / count
    records = [
        issue(
            n,
            now - timedelta(days=90) + n * step,
            state=opened if n % 5 == 0 else closed,
            labels=(f"P{n % 4 + 1}", "bug" if n % 2 else "feature"),
            assignees=("ada",) if n % 3 else (),
        )
        for n in range(1, count + 1)
    ]
    fake = fake_class(records)
    connector = Connector(
        slug=f"bench-{kind}",
        name=f"Benchmark {kind}",
        kind=kind,
        base_url=fake.base_url,
        auth_type="bearer",
        query=query,
        page_size=100,
    )
    connector.set_secret(token)
    connector.save()
    try:
        started = time.perf_counter()
        first = sync_connector(connector=connector)
        first_seconds = time.perf_counter() - started
        assert first is not None and first.outcome == "succeeded", first and first.error
        print(
            f"{kind} first sync: {first.created:,} issues in {first_seconds:.2f} s = "
            f"{first.created / first_seconds:,.0f} tickets/s ({len(fake.requests)} requests)"
        )

        for n in range(1, count + 1, 10):
            fake.update(n, state=closed)
        for n in range(count + 1, count + 1 + count // 20):
            fake.add(issue(n, datetime.now(UTC), labels=("P2",)))
        requests_before = len(fake.requests)
        started = time.perf_counter()
        second = sync_connector(connector=connector)
        second_seconds = time.perf_counter() - started
        assert second is not None and second.outcome == "succeeded", second and second.error
        changed = second.created + second.updated
        print(
            f"{kind} second sync: {second.created:,} new + {second.updated:,} changed of "
            f"{Ticket.objects.count():,} in {second_seconds:.2f} s = "
            f"{changed / second_seconds:,.0f} changed tickets/s "
            f"({len(fake.requests) - requests_before} requests)"
        )
    finally:
        fake.close()


if __name__ == "__main__":
    main()
