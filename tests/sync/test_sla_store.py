"""The SLA result, due date and reopen count go through the one store path: a change of any
of them alone is written (the fingerprint covers them), the same values again are not."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from integrations.connectors import NormalizedTicket
from integrations.ingest import tickets_ingest
from integrations.models import Ticket
from tests.factories import ConnectorFactory

pytestmark = pytest.mark.django_db

MOMENT = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def _ticket(**changes: object) -> NormalizedTicket:
    base = NormalizedTicket(
        external_id="sys-1",
        key="INC0010001",
        url="https://example.service-now.com/incident.do?sys_id=sys-1",
        title="Loan bookings fail",
        status_raw="6",
        status_category="resolved",
        priority=2,
        is_blocker=False,
        assignee=None,
        assignment_group="Mobile Apps",
        reassignment_count=4,
        ci="core-banking-lending-api",
        components=(),
        labels=(),
        opened_at=MOMENT,
        updated_at=MOMENT,
        resolved_at=MOMENT,
        raw={"sys_id": "sys-1"},
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def _ingest(connector: object, ticket: NormalizedTicket) -> tuple[int, int, int]:
    done = tickets_ingest(connector=connector, tickets=[ticket], rules=[], reason="test")  # type: ignore[arg-type]
    return done.created, done.updated, done.unchanged


def test_a_changed_sla_result_alone_is_written() -> None:
    connector = ConnectorFactory()
    assert _ingest(connector, _ticket()) == (1, 0, 0)
    stored = Ticket.objects.get()
    assert (stored.sla_breached, stored.due_at, stored.reopen_count) == (None, None, None)

    due = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)
    met = _ticket(sla_breached=False, due_at=due, reopen_count=0)
    assert _ingest(connector, met) == (0, 1, 0)
    stored.refresh_from_db()
    assert (stored.sla_breached, stored.due_at, stored.reopen_count) == (False, due, 0)
    assert _ingest(connector, met) == (0, 0, 1)  # the same values: nothing written

    assert _ingest(connector, dataclasses.replace(met, sla_breached=True)) == (0, 1, 0)
    assert _ingest(connector, dataclasses.replace(met, sla_breached=True, reopen_count=1)) == (
        0,
        1,
        0,
    )
    stored.refresh_from_db()
    assert (stored.sla_breached, stored.reopen_count) == (True, 1)
