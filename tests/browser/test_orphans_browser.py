"""The orphan queue in a browser: Accept links the ticket, htmx swaps the row, and the page
has no serious accessibility violation with its Accept buttons showing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import sign_in
from tests.browser.test_accessibility import AXE, axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _orphan() -> int:
    from django.utils import timezone

    from integrations.models import Connector, Ticket

    connector = Connector.objects.get(slug="servicenow")
    ticket = Ticket.objects.create(
        connector=connector,
        external_id="browser-orphan",
        key="INC0099001",
        url="https://bank.service-now.example/incident.do?sys_id=orphan",
        title="Timeouts calling the lending API",
        status_category="open",
        priority=3,
        ci="core-banking-lending-api",
        updated_at=timezone.now(),
    )
    return ticket.pk


def test_accept_links_the_ticket_and_swaps_its_row(demo: Any, page: Any) -> None:
    from integrations.models import TicketLink

    assert AXE.exists(), "run `make assets`"
    pk = _orphan()
    sign_in(page, demo.url, "admin")
    page.goto(f"{demo.url}/reports/orphans/")
    row = page.locator(f"#orphan-{pk}")
    row.locator("button:has-text('Accept')").first.wait_for()
    assert not axe_violations(page)
    row.locator("button:has-text('Accept')").first.click()
    page.locator(f"#orphan-{pk}:has-text('no longer an orphan')").wait_for()
    assert page.url.endswith("/reports/orphans/")  # swapped in place, no reload
    assert TicketLink.objects.filter(ticket_id=pk, via="manual").count() == 1
    assert not axe_violations(page)
