"""A default Request Tracker install syncs on the first try (issue 16, item 5), against a real
RT 5 whose server zone is Australia/Sydney and whose API user (root) has no zone of its own.

RT reads TicketSQL dates in that zone, and REST2 does not show it; the connector finds the
offset by asking RT about a ticket (integrations/connectors/rt_zone.py), records it on the
connector through the service layer, and checks every literal made from it, so that a change
of daylight saving between the cursor and now never skips a ticket.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from cataligent.audit import history_for
from integrations.connectors import connector_for
from integrations.models import Connector, SyncRun, Ticket
from integrations.sync import connector_config, sync_connector
from tests.rt.rt_server import RequestTrackerInstance

pytestmark = pytest.mark.django_db(transaction=True)

SYDNEY = ZoneInfo("Australia/Sydney")


def _client(rt: RequestTrackerInstance) -> httpx.Client:
    return httpx.Client(
        base_url=rt.base_url, headers={"Authorization": f"token {rt.token}"}, timeout=30
    )


def _queue(client: httpx.Client) -> str:
    name = f"TZ {uuid.uuid4().hex[:8]}"
    response = client.post("/REST/2.0/queue", json={"Name": name})
    assert response.status_code == 201, response.text
    return name


def _ticket(client: httpx.Client, queue: str, subject: str) -> str:
    response = client.post(
        "/REST/2.0/ticket",
        json={"Queue": queue, "Subject": subject, "Content": subject, "ContentType": "text/plain"},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _connector(rt: RequestTrackerInstance, queue: str, **fields: object) -> Connector:
    connector = Connector(
        slug=f"rt-{uuid.uuid4().hex[:6]}",
        name="Request Tracker (server zone only)",
        kind="rt",
        base_url=rt.base_url,
        auth_type="token",
        username="root",  # root has no Timezone of its own: RT uses the server's
        query=f"Queue = '{queue}'",
        **fields,
    )
    connector.set_secret(rt.token)
    connector.save()
    return connector


def _sync(connector: Connector) -> SyncRun:
    connector.refresh_from_db()
    run = sync_connector(connector=connector)
    assert run is not None
    assert run.outcome == SyncRun.Outcome.SUCCEEDED, run.error
    return run


def _newest_offset(client: httpx.Client) -> str:
    """Sydney's offset at the newest LastUpdated in RT, as the connector must find it."""
    body = client.get(
        "/REST/2.0/tickets",
        params={"query": "id > 0", "fields": "LastUpdated", "orderby": "LastUpdated",
                "order": "DESC", "per_page": 1},
    ).json()  # fmt: skip
    updated = datetime.fromisoformat(body["items"][0]["LastUpdated"])
    offset = updated.astimezone(SYDNEY).utcoffset()
    assert offset is not None
    hours, minutes = divmod(int(offset.total_seconds()) // 60, 60)
    return f"+{hours:02d}:{minutes:02d}"


def test_a_default_install_syncs_on_the_first_try_and_keeps_what_it_found(
    request_tracker_in_sydney: RequestTrackerInstance,
) -> None:
    rt = request_tracker_in_sydney
    with _client(rt) as client:
        queue = _queue(client)
        created = [_ticket(client, queue, f"Ticket {n}") for n in range(5)]
        expected = _newest_offset(client)
        connector = _connector(rt, queue, page_size=2)

        # Test connection says what RT does not show, and what was found instead.
        with connector_for(connector_config(connector)) as source:
            message = source.test_connection()
            before_scope = source.scope()
        assert "'root' has no time zone of its own" in message and "$Timezone" in message
        assert f"at UTC{expected} now" in message

        # Pages of two: the query restarts at the newest second read, which needs a date.
        first = _sync(connector)
        assert (first.created, first.rejected) == (5, 0) and first.pages >= 3
        connector.refresh_from_db()
        assert connector.options == {"time_zone_found": expected}
        (entry,) = [e for e in history_for(connector) if e.field == "options"]
        assert (entry.actor_label, entry.new_value) == ("sync", {"time_zone_found": expected})
        # A recorded finding is not a new question: the cursor stays valid.
        with connector_for(connector_config(connector)) as source:
            assert source.scope() == before_scope == connector.cursor["scope"]

        # Changed in RT after the first sync: read with a date literal in Sydney's time.
        for ticket_id in created[:2]:
            response = client.put(f"/REST/2.0/ticket/{ticket_id}", json={"Status": "open"})
            assert response.status_code == 200, response.text
    second = _sync(connector)
    assert (second.created, second.updated) == (0, 2)
    statuses = dict(
        Ticket.objects.filter(connector=connector).values_list("external_id", "status_raw")
    )
    assert statuses == {t: "open" if t in created[:2] else "new" for t in created}
    assert len([e for e in history_for(connector) if e.field == "options"]) == 1  # nothing new


def test_a_change_of_daylight_saving_between_cursor_and_now_skips_nothing(
    request_tracker_in_sydney: RequestTrackerInstance,
) -> None:
    """The found offset is summer's (+11:00); the cursor stands in July, when Sydney is at
    +10:00. Made with +11:00, the literal would be read an hour after the cursor and skip
    the ticket updated in that hour; the connector notices and moves it back."""
    rt = request_tracker_in_sydney
    with _client(rt) as client:
        queue = _queue(client)
        before, within = (
            _ticket(client, queue, "Updated before the cursor"),
            _ticket(client, queue, "Updated in the hour after the cursor"),
        )
    year = datetime.now(UTC).year - 1
    rt.run_perl(
        "use RT -init; my $dbh = $RT::Handle->dbh;"
        f"$dbh->do(q{{UPDATE Tickets SET LastUpdated = ? WHERE id = ?}}, undef, "
        f"'{year}-07-01 00:00:00', {before});"
        f"$dbh->do(q{{UPDATE Tickets SET LastUpdated = ? WHERE id = ?}}, undef, "
        f"'{year}-07-01 00:30:00', {within});"
    )
    connector = _connector(rt, queue, options={"time_zone_found": "+11:00", "overlap_seconds": 0})
    with connector_for(connector_config(connector)) as source:
        cursor = {
            "version": 1,
            "scope": source.scope(),
            "since": f"{year}-07-01T00:10:00Z",
            "window_start": f"{year}-07-01T00:10:00Z",
            "seen": {},
        }
        pages = list(source.fetch_pages(cursor))  # type: ignore[arg-type]
    received = {t.external_id for page in pages for t in page.tickets}
    assert within in received and before not in received
