"""The sync when its worker pauses, dies, or loses the database; garbled records repaired."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import OperationalError
from django.utils import timezone

from integrations import sync as sync_module
from integrations.models import Connector, QuarantinedRecord, SyncRun, Ticket
from integrations.simulator import (
    NOISE_ONLY,
    Faults,
    SimulatorServer,
    SimulatorStore,
    make_server,
)
from integrations.sync import connector_claim, sync_connector
from integrations.sync_schedule import RECONCILE, syncs_due
from tests.sync.conftest import make_connector

pytestmark = pytest.mark.django_db(transaction=True)

NO_SLEEP = {"sleep": lambda seconds: None}

GARBLING_CLOCK = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)


def _sync(connector: Connector, **kwargs: Any) -> SyncRun:
    run = sync_connector(connector=connector, connector_options=NO_SLEEP, **kwargs)
    assert run is not None
    return run


def _exactly_once(server: SimulatorServer) -> None:
    assert Ticket.objects.count() == len(server.store.incidents)
    assert Ticket.objects.values("external_id").distinct().count() == Ticket.objects.count()


def test_a_run_that_lost_its_lease_writes_no_more_and_the_new_holder_finishes(
    quiet_simulator: SimulatorServer,
) -> None:
    connector = make_connector(quiet_simulator, page_size=10)
    cursors: list[Any] = []

    def paused_and_overtaken(run: SyncRun) -> None:
        if run.pages == 2:
            cursors.append(Connector.objects.get(pk=connector.pk).cursor)
            # The worker paused past its lease and another run claimed the connector.
            Connector.objects.filter(pk=connector.pk).update(
                claimed_by="newer-run", claimed_until=timezone.now() + dt.timedelta(minutes=1)
            )

    run = _sync(connector, on_page=paused_and_overtaken)
    assert run.outcome == "interrupted" and "took over" in run.error
    assert run.pages == 2
    connector.refresh_from_db()
    assert connector.cursor == cursors[0]  # the third page was rolled back
    assert connector.claimed_by == "newer-run"  # and the lease left to its holder
    Connector.objects.filter(pk=connector.pk).update(claimed_by="", claimed_until=None)
    assert _sync(connector).outcome == "succeeded"
    _exactly_once(quiet_simulator)


def test_a_sync_asked_for_while_another_runs_is_owed_then_run(
    quiet_simulator: SimulatorServer,
) -> None:
    connector = make_connector(quiet_simulator)
    assert connector_claim(connector, "busy-worker")
    started = timezone.now()
    Connector.objects.filter(pk=connector.pk).update(last_attempt_at=started)
    assert sync_connector(connector=connector, full=True, connector_options=NO_SLEEP) is None
    assert syncs_due() == []  # still busy
    Connector.objects.filter(pk=connector.pk).update(
        claimed_until=timezone.now() - dt.timedelta(seconds=1)
    )
    (due,) = syncs_due()
    assert (due.connector.pk, due.full, due.trigger) == (connector.pk, True, "owed")
    run = _sync(connector, trigger=due.trigger)
    assert run.full  # the full sync asked for is the one run
    connector.refresh_from_db()
    assert connector.sync_requested_at is None and not connector.sync_requested_full


def test_the_next_claimant_marks_a_killed_run_interrupted_and_resumes(
    quiet_simulator: SimulatorServer, settings: Any
) -> None:
    settings.SYNC_LEASE_SECONDS = 5
    connector = make_connector(quiet_simulator, page_size=10)

    def killed(run: SyncRun) -> None:
        if run.pages == 2:
            raise KeyboardInterrupt("SIGKILL")

    with pytest.raises(KeyboardInterrupt):
        sync_connector(connector=connector, on_page=killed, connector_options=NO_SLEEP)
    dead = SyncRun.objects.get()
    assert sync_connector(connector=connector, connector_options=NO_SLEEP) is None
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=6), tick=True):
        run = _sync(connector)
    dead.refresh_from_db()
    assert dead.outcome == "interrupted" and "lease ran out" in dead.error
    assert run.outcome == "succeeded" and run.cursor_before == dead.cursor_after
    _exactly_once(quiet_simulator)


def test_a_database_outage_is_recorded_as_such_and_the_lease_let_go(
    quiet_simulator: SimulatorServer, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.SYNC_BOOKKEEPING_RETRY_SECONDS = 30
    connector = make_connector(quiet_simulator, page_size=10)
    real_ingest = sync_module.tickets_ingest
    calls = {"ingest": 0, "save": 0}

    def ingest_then_outage(**kwargs: Any) -> Any:
        calls["ingest"] += 1
        if calls["ingest"] == 3:
            raise OperationalError("server closed the connection unexpectedly")
        return real_ingest(**kwargs)

    real_save = SyncRun.save

    def save_while_still_down(self: SyncRun, *args: Any, **kwargs: Any) -> None:
        if self.finished_at is not None:
            calls["save"] += 1
            if calls["save"] <= 2:  # the first closing writes fail too: still down
                raise OperationalError("could not connect to server: Connection refused")
        real_save(self, *args, **kwargs)

    monkeypatch.setattr(sync_module, "tickets_ingest", ingest_then_outage)
    monkeypatch.setattr(SyncRun, "save", save_while_still_down)
    monkeypatch.setattr(sync_module.time, "sleep", lambda seconds: None)
    run = _sync(connector)
    assert calls["save"] == 3
    run.refresh_from_db()
    assert run.outcome == "failed" and "database could not be reached" in run.error
    assert run.pages == 2  # what was committed
    connector.refresh_from_db()
    assert connector.claimed_by == "" and connector.claimed_until is None
    assert connector.sync_requested_at is not None  # a new run is owed at once
    monkeypatch.undo()
    assert _sync(connector).outcome == "succeeded"
    _exactly_once(quiet_simulator)


def test_garbled_records_keep_their_place_and_are_repaired_later(settings: Any) -> None:
    # Which records are garbled follows their versions (id and last update), and updates are
    # spread up to the store's now: a fixed clock makes it the same set on every run (with the
    # wall clock, one run in thirty garbled no record so that its id was lost).
    store = SimulatorStore(seed=5, scenario=NOISE_ONLY, clock=lambda: GARBLING_CLOCK)
    store.preload(incidents=80, issues=0)
    with make_server("127.0.0.1", 0, store=store, faults=Faults(garbled=0.15)) as server:
        server.start()
        connector = make_connector(server, page_size=20)
        first = _sync(connector)
        assert first.rejected > 0
        records = list(QuarantinedRecord.objects.all())
        assert all(r.page_number and r.page_offset is not None for r in records)
        assert any(not r.external_id for r in records)  # no id: only its place tells
        with_id = {r.external_id for r in records if r.external_id}
        assert with_id

        server.injector.configure(Faults())  # the source recovers
        connector.refresh_from_db()
        again = _sync(connector)
        assert again.outcome == "succeeded"
        # Quarantined ids were read again although the cursor had passed them.
        assert (
            set(
                Ticket.objects.filter(external_id__in=with_id).values_list("external_id", flat=True)
            )
            == with_id
        )
        assert not QuarantinedRecord.objects.filter(
            external_id__in=with_id, resolved_at__isnull=True
        ).exists()
        assert Ticket.objects.count() < len(server.store.incidents)  # the id-less still missing

        settings.SYNC_RECONCILE_HOUR = 3
        connector.refresh_from_db()
        at_three = timezone.now().replace(hour=3, minute=5) + dt.timedelta(days=1)
        with time_machine.travel(at_three, tick=True):
            (due,) = syncs_due()
            assert (due.full, due.trigger) == (True, RECONCILE)
            repair = _sync(connector, trigger=due.trigger)
            assert syncs_due() == []  # once a day
        assert repair.outcome == "succeeded" and repair.created > 0
        assert any(
            "Reconciliation" in w and f"{repair.created} ticket" in w for w in repair.warnings
        )
        _exactly_once(server)
