"""The weekly leadership digest: its content, once a week per leader, absolute links."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dependencies.models import Escalation, Node, Notification, StateTransition
from dependencies.recompute.runner import impact_recompute
from objectives.models import Objective, Requirement
from reports.digest import build_digest, digest_send
from reports.models import CostLine
from tests.factories import EdgeFactory, NodeFactory, ObjectiveFactory, UserFactory

SITE = "https://cataligent.bank.example"
# Monday 7 December 2026, 09:00 UTC: after the default digest moment (Monday 08:00).
MONDAY = timezone.make_aware(dt.datetime(2026, 12, 7, 9))


@pytest.fixture
def story(people: dict[str, Any], settings: Any) -> dict[str, Any]:
    settings.SITE_URL = SITE
    UserFactory(username="cfo", roles=["leadership"])
    UserFactory(username="coo-no-mail", email="", roles=["leadership"])
    with time_machine.travel(MONDAY - dt.timedelta(days=30), tick=False):
        api = NodeFactory(
            slug="core-lending-api", name="Core banking ↔ lending API", kind="integration"
        )
        cap = NodeFactory(
            slug="loan-origination",
            name="Mobile loan origination",
            kind="capability",
            team=people["team_a"],
            owner=people["lead_a"],
        )
        EdgeFactory(source=cap, target=api)
        objective = ObjectiveFactory(
            key="OBJ-7",
            title="Launch digital lending",
            value_at_stake=Decimal(168000),
            team=people["team_a"],
            owner=people["lead_a"],
        )
        Requirement.objects.create(objective=objective, node=cap)
    Node.objects.filter(pk=api.pk).update(manual_state="blocked")
    # Blocked since 20 days before MONDAY: the recompute then records the history.
    with time_machine.travel(MONDAY - dt.timedelta(days=20), tick=False):
        impact_recompute(force=True)
    assert StateTransition.objects.filter(objective=objective, to_state="blocked").exists()
    Escalation.objects.create(
        node=api,
        episode_started_at=MONDAY - dt.timedelta(days=20),
        level=2,
        target_display="leadership",
        fired_at=MONDAY - dt.timedelta(days=19),
    )
    CostLine.objects.create(
        node=api, month=dt.date(2026, 12, 1), amount=Decimal(31000), currency="USD"
    )
    CostLine.objects.create(
        node=api, month=dt.date(2026, 11, 1), amount=Decimal(30000), currency="USD"
    )
    # A gap made this week: a new node nobody owns.
    with time_machine.travel(MONDAY - dt.timedelta(days=2), tick=False):
        NodeFactory(slug="fraud-scoring", name="Fraud scoring", kind="service")
    return {"api": api, "cap": cap, "objective": objective}


@pytest.mark.django_db
def test_the_digest_lists_what_leadership_must_act_on(story: dict[str, Any]) -> None:
    digest = build_digest(MONDAY)
    assert digest.week == "2026-W50"
    [bottleneck] = digest.bottlenecks
    assert (bottleneck["slug"], bottleneck["owner"], bottleneck["escalation_level"]) == (
        "core-lending-api",
        None,
        2,
    )
    assert bottleneck["value_at_risk"] == Decimal(168000)
    assert [g["label"] for g in digest.new_gaps] == ["Fraud scoring"]
    assert [e["level"] for e in digest.escalations] == [2]
    # 7 days: 1 of November's 30 days + 6 of December's 31, all spent while blocked.
    expected = (Decimal(30000) / 30 + Decimal(31000) * 6 / 31).quantize(Decimal("0.01"))
    assert Decimal(digest.spend_totals["spend_on_blocked"]) == expected
    assert Decimal(digest.spend_totals["value_lost"]) == Decimal(168000)
    assert digest.spend_top[0]["key"] == "OBJ-7"


@pytest.mark.django_db
def test_overdue_updates_are_in_the_digest(story: dict[str, Any]) -> None:
    Objective.objects.filter(pk=story["objective"].pk).update(
        created_at=MONDAY - dt.timedelta(days=30)
    )
    assert [o["key"] for o in build_digest(MONDAY).overdue] == ["OBJ-7"]


@pytest.mark.django_db
def test_sent_once_a_week_to_each_leader_with_absolute_links(
    story: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert digest_send(now=MONDAY) == 2
        assert digest_send(now=MONDAY + dt.timedelta(hours=1)) == 0
        assert digest_send(now=MONDAY + dt.timedelta(days=6)) == 0
    assert sorted(m.to[0] for m in mail.outbox) == ["cfo@example.com", "leader@example.com"]
    message = mail.outbox[0]
    assert message.subject == "[Cataligent] Leadership digest, week 2026-W50"
    html = message.alternatives[0][0]
    for text in (message.body, html):
        assert "Core banking ↔ lending API" in text
        assert f"{SITE}/nodes/core-lending-api/" in text
        assert f"{SITE}/reports/digest/" in text
        assert "localhost" not in text
        assert "Fraud scoring" in text
    assert "<table" in html
    # The leader without an e-mail address finds it in the inbox.
    inbox = Notification.objects.filter(channel="inbox", event="leadership_digest")
    assert inbox.count() == 3
    # Next week, a new digest.
    with django_capture_on_commit_callbacks(execute=True):
        assert digest_send(now=MONDAY + dt.timedelta(days=7)) == 2
    assert len(mail.outbox) == 4


@pytest.mark.django_db
def test_nothing_is_sent_before_the_weeks_digest_hour(story: dict[str, Any]) -> None:
    assert digest_send(now=MONDAY - dt.timedelta(hours=2)) == 0
    assert not Notification.objects.exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL, as CI runs"
)
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_one_digest_per_leader(story: dict[str, Any]) -> None:
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            digest_send(now=MONDAY)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    emails = Notification.objects.filter(event="leadership_digest", channel="email")
    assert sorted(emails.values_list("recipient__username", flat=True)) == ["cfo", "leader"]
    assert sorted(m.to[0] for m in mail.outbox) == ["cfo@example.com", "leader@example.com"]


@pytest.mark.django_db
def test_the_digest_page(story: dict[str, Any], client: Any, people: dict[str, Any]) -> None:
    client.force_login(people["member"])
    with time_machine.travel(MONDAY, tick=False):
        response = client.get("/reports/digest/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Leadership digest, week 2026-W50" in page
    assert f"{SITE}/nodes/core-lending-api/" in page


def test_beat_runs_the_digest_task_hourly_on_the_notifications_queue(settings: Any) -> None:
    from cataligent.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["leadership-digest"]
    assert entry["task"] in app.tasks
    assert entry["schedule"] == 3600.0
    assert settings.CELERY_TASK_ROUTES[entry["task"]] == {"queue": "notifications"}


@pytest.mark.django_db
def test_the_task_sends_through_the_outbox(
    story: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    from reports.tasks import send_leadership_digest

    with time_machine.travel(MONDAY, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert send_leadership_digest.delay().get() == 2
        assert send_leadership_digest.delay().get() == 0
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_a_gap_is_new_when_its_owner_was_taken_away_this_week(
    story: dict[str, Any], people: dict[str, Any]
) -> None:
    from dependencies.graph.services import node_update

    with time_machine.travel(MONDAY - dt.timedelta(days=1), tick=False):
        node_update(node=story["cap"], changes={"owner": None}, actor=people["admin"])
        # Renaming an old gap does not make it new.
        node_update(node=story["api"], changes={"name": "Lending API"}, actor=people["admin"])
    labels = [g["label"] for g in build_digest(MONDAY).new_gaps]
    assert labels == ["Fraud scoring", "Mobile loan origination"]


@pytest.mark.parametrize("breached", [False, True])
def test_new_disconnects_are_the_green_red_reports_own(
    story: dict[str, Any], breached: bool
) -> None:
    """Tickets on the blocked integration met their SLA this week (none were resolved the week
    before): the capability and the objective above it are new disconnects, as the green-red
    report says; with the SLA breached they are not."""
    from reports import green_red
    from reports.window import Window
    from tests.factories import link_ticket

    api = Node.objects.get(slug="core-lending-api")
    for day in (2, 3):
        link_ticket(
            api,
            status_category="resolved",
            opened_at=MONDAY - dt.timedelta(days=day, hours=5),
            resolved_at=MONDAY - dt.timedelta(days=day),
            updated_at=MONDAY - dt.timedelta(days=day),
            sla_breached=breached and day == 2,
            is_blocking=False,
        )
    with time_machine.travel(MONDAY, tick=False):
        digest = build_digest()
        week = Window(start=MONDAY - dt.timedelta(days=7), end=MONDAY)
        reported = {
            item.get("slug") or item.get("key")
            for item in green_red.build(week)["items"]
            if item["disconnect"]
        }
    listed = {item.get("slug") or item.get("key") for item in digest.disconnects}
    assert listed == reported
    if breached:
        assert listed == set()
    else:
        assert listed == {"loan-origination", "OBJ-7"}
        assert all(item["url"].startswith(SITE) for item in digest.disconnects)


@pytest.mark.django_db
def test_the_digest_page_is_built_once_until_what_it_reads_changes(
    story: dict[str, Any], client: Any, people: dict[str, Any]
) -> None:
    client.force_login(people["member"])
    with time_machine.travel(MONDAY, tick=False):
        with CaptureQueriesContext(connection) as first:
            client.get("/reports/digest/")
        with CaptureQueriesContext(connection) as again:
            page = client.get("/reports/digest/").content.decode()
        assert "ledger-db" not in page
        # The second visit reads only what tells whether anything changed (and the session).
        assert len(again) < len(first) / 3

        ledger = NodeFactory(slug="ledger-db", name="Ledger DB", kind="service")
        EdgeFactory(source=story["cap"], target=ledger)
        Node.objects.filter(pk=ledger.pk).update(manual_state="blocked")
        impact_recompute(force=True)
        page = client.get("/reports/digest/").content.decode()
    assert f"{SITE}/nodes/ledger-db/" in page
