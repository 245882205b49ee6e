"""Private PostgreSQL and Redis for the whole fault suite, and its results table."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import pytest

from tests.faults.processes import PrivateRedis
from tests.faults.stack import PG_BIN, RESULTS, AppStack, PrivatePostgres


@pytest.fixture(scope="session")
def private_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivatePostgres]:
    if not (PG_BIN / "initdb").exists():
        pytest.skip("needs PostgreSQL 15's initdb and pg_ctl")
    workdir = tmp_path_factory.mktemp("postgres")
    postgres = PrivatePostgres()
    postgres.start()
    with postgres.admin() as admin:
        admin.execute("CREATE DATABASE faults")
    AppStack(postgres, workdir).manage("migrate", "--noinput")
    yield postgres
    postgres.remove()


@pytest.fixture(scope="session")
def private_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server")
    server = PrivateRedis(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


def pytest_sessionstart(session: pytest.Session) -> None:
    RESULTS.unlink(missing_ok=True)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The table docs/benchmarks.md keeps ("Faults")."""
    # Only for `make faults` (-m faults): the whole suite deselects these tests.
    if terminalreporter.config.option.markexpr.strip() != "faults" or not RESULTS.exists():
        return
    rows = [json.loads(line) for line in RESULTS.read_text().splitlines() if line.strip()]
    write = terminalreporter.write_line
    write("")
    write(
        "| fault | tickets lost | duplicated | left running | left claimed | recovery (s) | note |"
    )
    write("| --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        write(
            f"| {row['fault']} | {row['lost']} | {row['duplicated']} | {row['left_running']} "
            f"| {row['left_claimed']} | {row['recovery_seconds']} | {row['note']} |"
        )
