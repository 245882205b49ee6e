"""The sync service against the simulated ServiceNow and Jira, on the real database."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from integrations.models import QuarantinedRecord, SyncRun, Ticket, TicketLink
from integrations.simulator import Faults, SimulatorServer
from integrations.sync import connector_claim, sync_connector
from tests.sync.conftest import make_connector

pytestmark = pytest.mark.django_db(transaction=True)

NO_SLEEP = {"sleep": lambda seconds: None}


def _sync(connector: Any, **kwargs: Any) -> SyncRun:
    run = sync_connector(connector=connector, connector_options=NO_SLEEP, **kwargs)
    assert run is not None
    return run


def _source_count(server: SimulatorServer) -> int:
    return len(server.store.incidents)


def test_first_sync_mirrors_every_incident_exactly_once(quiet_simulator: SimulatorServer) -> None:
    connector = make_connector(quiet_simulator)
    run = _sync(connector)
    assert run.outcome == "succeeded", run.error
    total = _source_count(quiet_simulator)
    assert Ticket.objects.count() == total
    assert (run.created, run.updated, run.rejected) == (total, 0, 0)
    assert run.pages >= total // 25
    connector.refresh_from_db()
    assert connector.cursor is not None and connector.last_success_at is not None
    assert connector.health == "fresh"
    ticket = Ticket.objects.first()
    assert ticket.key.startswith("INC")
    assert ticket.url.startswith(quiet_simulator.base_url)


def test_second_sync_writes_nothing(quiet_simulator: SimulatorServer) -> None:
    connector = make_connector(quiet_simulator)
    _sync(connector)
    connector.refresh_from_db()

    def updates() -> int:
        if connection.vendor != "postgresql":
            return 0
        with connection.cursor() as cursor:
            # PostgreSQL 15 publishes a session's counters when it goes idle: force it.
            cursor.execute("SELECT pg_stat_force_next_flush()")
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'integrations_ticket'"
            )
            return cursor.fetchone()[0]

    before = updates()
    run = _sync(connector)
    assert run.outcome == "succeeded"
    assert (run.created, run.updated) == (0, 0)
    assert updates() == before


def test_changes_in_the_source_arrive(quiet_simulator: SimulatorServer) -> None:
    connector = make_connector(quiet_simulator)
    _sync(connector)
    changes = quiet_simulator.store.tick(changes=5)
    changed_keys = {c.key for c in changes if c.source == "servicenow"}
    assert changed_keys
    connector.refresh_from_db()
    run = _sync(connector)
    assert run.created + run.updated == len(changed_keys)
    assert Ticket.objects.count() == _source_count(quiet_simulator)


def test_a_second_update_within_the_same_second_arrives(quiet_simulator: SimulatorServer) -> None:
    """ServiceNow stamps updates to the second; sys_mod_count tells two of them apart, so
    the overlap re-read picks up the later one instead of dropping it as already seen."""
    connector = make_connector(quiet_simulator)
    _sync(connector)
    newest = max(
        quiet_simulator.store.incidents.by_sys_id(), key=lambda i: (i.sys_updated_on, i.sys_id)
    )
    with quiet_simulator.store.lock:  # same sys_updated_on, a new version
        newest.short_description = "Edited again within the same second"
        newest.sys_mod_count += 1
    connector.refresh_from_db()
    run = _sync(connector)
    assert (run.created, run.updated) == (0, 1)
    mirrored = Ticket.objects.get(external_id=newest.sys_id)
    assert mirrored.title == "Edited again within the same second"

    connector.refresh_from_db()
    again = _sync(connector)  # re-read in the overlap again: the same version, dropped
    assert (again.created, again.updated, again.fetched) == (0, 0, 0)


def test_a_run_killed_half_way_is_resumed_with_nothing_lost(
    quiet_simulator: SimulatorServer,
) -> None:
    connector = make_connector(quiet_simulator, page_size=10)

    committed: list[int] = []

    def die_after_two_pages(run: SyncRun) -> None:
        committed.append(run.created)
        if run.pages == 2:
            raise KeyboardInterrupt("worker killed")

    with pytest.raises(KeyboardInterrupt):
        sync_connector(connector=connector, on_page=die_after_two_pages, connector_options=NO_SLEEP)
    assert Ticket.objects.count() == committed[-1] > 10  # the two committed pages
    connector.refresh_from_db()
    assert connector.cursor is not None
    # The dead worker never released its lease: the next run waits until it expires.
    assert sync_connector(connector=connector, connector_options=NO_SLEEP) is None
    type(connector).objects.filter(pk=connector.pk).update(claimed_until=None)
    connector.refresh_from_db()
    run = _sync(connector)
    assert run.outcome == "succeeded"
    assert Ticket.objects.count() == _source_count(quiet_simulator)
    assert Ticket.objects.values("external_id").distinct().count() == Ticket.objects.count()


def test_two_runs_of_one_connector_do_not_overlap(quiet_simulator: SimulatorServer) -> None:
    connector = make_connector(quiet_simulator)
    assert connector_claim(connector, "other-worker")
    assert sync_connector(connector=connector, connector_options=NO_SLEEP) is None
    assert not SyncRun.objects.exists()


def test_garbled_records_are_quarantined_and_the_rest_lands() -> None:
    from integrations.simulator import NOISE_ONLY, make_server

    with make_server(
        "127.0.0.1",
        0,
        seed=5,
        tickets=80,
        jira_issues=0,
        scenario=NOISE_ONLY,
        faults=Faults(garbled=0.1),
    ) as server:
        server.start()
        connector = make_connector(server)
        run = _sync(connector)
    assert run.outcome == "succeeded"
    assert run.rejected > 0
    assert QuarantinedRecord.objects.count() == run.rejected
    # Every record is either mirrored or quarantined. (A record garbled beyond reading its
    # id can be quarantined twice when it sits on a page edge that is read again.)
    assert Ticket.objects.count() < 80 <= Ticket.objects.count() + run.rejected
    record = QuarantinedRecord.objects.first()
    assert record.reason and record.sync_run == run


def test_rate_limits_and_server_errors_are_retried(quiet_simulator: SimulatorServer) -> None:
    connector = make_connector(quiet_simulator)
    quiet_simulator.injector.queue("rate_limited")
    quiet_simulator.injector.queue("server_error")
    run = _sync(connector)
    assert run.outcome == "succeeded", run.error
    assert Ticket.objects.count() == _source_count(quiet_simulator)


def test_bad_credentials_fail_clearly(quiet_simulator: SimulatorServer) -> None:
    connector = make_connector(quiet_simulator, secret="wrong")
    run = _sync(connector)
    assert run.outcome == "failed"
    assert "will not pass on its own" in run.error
    connector.refresh_from_db()
    assert connector.health == "failing"
    assert connector.last_error
    assert "wrong" not in run.error  # the secret is never echoed


def test_link_rules_and_objective_references(simulator: SimulatorServer, people: Any) -> None:
    from dependencies.recompute import impact_recompute
    from integrations.models import LinkRule
    from integrations.simulator import LENDING_API_CI
    from tests.factories import NodeFactory, ObjectiveFactory

    api = NodeFactory(slug="core-banking-lending-api", kind="integration")
    LinkRule.objects.create(field="ci", pattern=LENDING_API_CI, node=api)
    connector = make_connector(simulator)
    _sync(connector)
    linked = TicketLink.objects.filter(node=api)
    assert linked.exists()
    assert all(link.via == "rule" for link in linked)
    assert linked.filter(ticket__is_blocking=True).exists()  # the open P1 of the story
    impact_recompute(force=True)
    api.refresh_from_db()
    assert api.state == "blocked"

    objective = ObjectiveFactory(key="OBJ-77")
    Ticket.objects.filter(pk=Ticket.objects.first().pk).update(title="Blocks OBJ-77 launch")
    from integrations.linking import link_tickets, rules_for

    link_tickets(
        [Ticket.objects.get(title="Blocks OBJ-77 launch").pk],
        connector=connector,
        rules=rules_for(connector),
    )
    assert TicketLink.objects.filter(objective=objective, via="reference").count() == 1


def test_full_sync_marks_tickets_the_source_no_longer_returns(
    quiet_simulator: SimulatorServer,
) -> None:
    connector = make_connector(quiet_simulator)
    _sync(connector)
    gone = Ticket.objects.first()
    quiet_simulator.store.incidents.delete(gone.external_id)
    connector.refresh_from_db()
    run = _sync(connector, full=True)
    assert run.marked_missing == 1
    gone.refresh_from_db()
    assert gone.missing_from_source and not gone.is_blocking


def test_jira_sync(simulator: SimulatorServer) -> None:
    connector = make_connector(simulator, kind="jira")
    run = _sync(connector)
    assert run.outcome == "succeeded", run.error
    keys = set(Ticket.objects.values_list("key", flat=True))
    assert "LEND-1" in keys
    lend = Ticket.objects.get(key="LEND-1")
    assert lend.is_blocking


def test_a_nul_character_in_a_field_does_not_fail_its_page(
    quiet_simulator: SimulatorServer,
) -> None:
    """PostgreSQL cannot store U+0000 (text or jsonb): the ticket is mirrored without it,
    and the rest of its page lands."""
    incident = next(iter(quiet_simulator.store.incidents.by_sys_id()))
    with quiet_simulator.store.lock:
        incident.short_description = "Printer\x00 on fire"
        incident.category = "hard\x00ware"
    connector = make_connector(quiet_simulator)
    run = _sync(connector)
    assert run.outcome == "succeeded", run.error
    assert Ticket.objects.count() == _source_count(quiet_simulator)
    ticket = Ticket.objects.get(external_id=incident.sys_id)
    assert ticket.title == "Printer on fire"
    assert "hardware" in ticket.labels
    assert ticket.raw["short_description"] == "Printer on fire"

    connector.refresh_from_db()
    again = _sync(connector, full=True)  # the cleaned ticket is recognised as unchanged
    assert (again.created, again.updated) == (0, 0)


def test_servicenow_oauth_connector_syncs(quiet_simulator: SimulatorServer) -> None:
    """auth "oauth": the client id as the user, the client secret stored encrypted."""
    connector = make_connector(
        quiet_simulator, auth_type="oauth", username="cataligent", secret="cataligent-secret"
    )
    run = _sync(connector)
    assert run.outcome == "succeeded", run.error
    assert run.created == _source_count(quiet_simulator)
    assert quiet_simulator.servicenow.oauth_tokens  # the tokens it handed out were used
    connector.refresh_from_db()
    assert "cataligent-secret" not in connector.secret_encrypted
    assert connector.get_secret() == "cataligent-secret"


def test_seen_ids_of_a_full_sync() -> None:
    from integrations.sync import SeenIds

    seen = SeenIds()
    seen.update(["b", "a\x00"])  # stored as "a" (integrations/storable.py)
    seen.update(f"id-{n}" for n in range(1000))
    assert "a" in seen and "b" in seen and "id-999" in seen
    assert "c" not in seen and "id-1000" not in seen
    seen.update(["c"])  # adding after a lookup still works
    assert "c" in seen


def test_the_fingerprint_still_covers_what_ticket_values_derives() -> None:
    """Stored fingerprints let a sync skip unchanged tickets, so they must change whenever
    the values written for a ticket would. They are taken of the normalized ticket, and
    ticket_values() (with ticket_is_blocking) derives the columns from it: if this pinned
    digest changes, that derivation changed — bump the version in _FINGERPRINT_BASIS
    (integrations/ticket_store.py) so that every ticket is written once more, then update
    the digest here."""
    import hashlib
    from datetime import UTC, datetime

    import orjson

    from integrations.connectors import NormalizedTicket
    from integrations.ticket_store import _FINGERPRINT_BASIS, ticket_values

    moment = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    samples = [
        NormalizedTicket(
            external_id=f"id-{n}",
            key=f"INC{n}",
            url="https://x/" + "u" * 990 + str(n),
            title="t" * 300,
            status_raw="s" * 120,
            status_category=category,
            priority=priority,
            is_blocker=blocker,
            assignee=None if n % 2 else "a" * 250,
            assignment_group="g" * 250,
            reassignment_count=n,
            ci="c" * 350,
            components=("x",),
            labels=("l",),
            opened_at=moment,
            updated_at=moment,
            resolved_at=None if category in ("open", "in_progress") else moment,
            raw={"n": n},
        )
        for n, (category, priority, blocker) in enumerate(
            [
                ("open", 1, False),
                ("open", 4, False),
                ("in_progress", 5, True),
                ("resolved", 1, True),
                ("cancelled", 2, False),
            ]
        )
    ]
    derived = [ticket_values(t, blocking_priority=2) for t in samples]
    digest = hashlib.sha256(orjson.dumps(derived)).hexdigest()[:16]
    assert orjson.loads(_FINGERPRINT_BASIS)["version"] == 2
    assert digest == "6064af65ee684d9d", digest


def test_the_sync_connector_command(quiet_simulator: SimulatorServer) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    connector = make_connector(quiet_simulator)
    out = StringIO()
    call_command("sync_connector", connector.slug, stdout=out)
    text = out.getvalue()
    assert "page    1:" in text and "/s" in text
    assert f"{_source_count(quiet_simulator)} new" in text and "Done in" in text

    out = StringIO()
    call_command("sync_connector", connector.slug, "--verify", stdout=out)
    text = out.getvalue()
    assert "full, every ticket compared by value" in text
    assert "0 changed" in text and "no longer in the source" in text

    with pytest.raises(CommandError, match=f"No connector 'nope'. Connectors: {connector.slug}"):
        call_command("sync_connector", "nope")
    connector.set_secret("wrong")
    connector.save()
    with pytest.raises(CommandError, match="Sync failed after 0 page"):
        call_command("sync_connector", connector.slug, stdout=StringIO())


def test_changed_mapping_settings_make_the_next_sync_read_everything_again(
    quiet_simulator: SimulatorServer, people: Any
) -> None:
    """Mirrored values depend on the maps and blocking rules: a change to them is a change
    of the cursor's scope, so the next (incremental) sync re-reads and rewrites."""
    from integrations.services import connector_save

    connector = make_connector(quiet_simulator, blocking_priority=1)
    first = _sync(connector)
    blocking_before = Ticket.objects.filter(is_blocking=True).count()
    connector.refresh_from_db()
    connector_save(connector=connector, changes={"blocking_priority": 4}, actor=people["admin"])
    connector.refresh_from_db()
    again = _sync(connector)
    assert again.fetched == first.fetched  # everything read again, not the overlap only
    assert again.updated > 0
    assert Ticket.objects.filter(is_blocking=True).count() > blocking_before


def test_every_ticket_link_opens_its_page_in_the_simulated_tool(simulator: SimulatorServer) -> None:
    """The demo's "open in ServiceNow/Jira" links land on the ticket, not a 404."""
    import httpx

    for kind in ("servicenow", "jira"):
        _sync(make_connector(simulator, kind=kind))
    tickets = list(Ticket.objects.all())
    assert {t.connector.kind for t in tickets} == {"servicenow", "jira"}
    with httpx.Client(timeout=10) as client:
        for ticket in tickets[:: max(1, len(tickets) // 15)]:
            page = client.get(ticket.url)
            assert page.status_code == 200, ticket.url
            assert page.headers["content-type"].startswith("text/html")
            assert ticket.key in page.text and "<h1>" in page.text
        assert client.get(f"{simulator.base_url}/browse/NOPE-1").status_code == 404


def test_a_record_stamped_in_the_future_does_not_hide_the_next_changes(
    quiet_simulator: SimulatorServer,
) -> None:
    """One record stamped an hour ahead used to move the cursor an hour ahead: every change
    made in that hour was skipped until a full sync. It is kept and reported instead."""
    from datetime import timedelta

    from integrations.connectors.timestamps import parse_cursor_time

    store = quiet_simulator.store
    connector = make_connector(quiet_simulator)
    _sync(connector)
    ahead = store.tick(at=store.now() + timedelta(hours=1), changes=3)
    ahead_keys = {c.key for c in ahead if c.source == "servicenow"}
    assert ahead_keys
    connector.refresh_from_db()
    run = _sync(connector)
    assert run.created + run.updated == len(ahead_keys)  # the record is kept
    assert len(run.warnings) == 1 and "stamped after the source's clock" in run.warnings[0]
    assert any(Ticket.objects.get(key=key).external_id in run.warnings[0] for key in ahead_keys)
    connector.refresh_from_db()
    assert parse_cursor_time(connector.cursor["since"]) <= store.now() + timedelta(seconds=1)

    later = store.tick(changes=8)
    later_keys = {c.key for c in later if c.source == "servicenow"} - ahead_keys
    connector.refresh_from_db()
    run = _sync(connector)
    assert later_keys and run.created + run.updated == len(later_keys)
    assert run.warnings == []  # the future record, re-read in the window, is no news
    assert Ticket.objects.count() == _source_count(quiet_simulator)
