"""Reads that take several queries and must agree with each other."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

__all__ = ["one_snapshot"]


@contextmanager
def one_snapshot() -> Iterator[None]:
    """Every query of the block sees the database as it was at the block's first query.

    The map is read in several queries (the nodes, the edges between them, the objectives,
    the ranking). Under PostgreSQL's default isolation each query sees what was committed
    when it started, so a recompute storing new results between two of them mixed two
    versions in one answer: an edge whose source was not among the nodes read (a 500), a
    capability blocked above an objective read as operational, all under the older
    version's ETag. A read-only REPEATABLE READ transaction reads one snapshot instead,
    without locks and without ever failing on a concurrent write.

    Inside a transaction already (a test's, a caller's), the block runs in it as it is:
    the isolation of a transaction can be set only before its first query.
    """
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        # SQLite: a transaction's reads already see one snapshot.
        yield
