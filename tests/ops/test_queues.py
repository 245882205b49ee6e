"""The Celery queues: one per kind of work, each with its own routing key (issue 15)."""

from __future__ import annotations

import pytest

from cataligent.celery import app

ROUTED = {
    "integrations.tasks.sync_connector_task": "sync",
    "integrations.tasks.schedule_syncs": "cataligent",
    "dependencies.tasks.recompute_impact": "recompute",
    "dependencies.tasks.escalate_task": "notifications",
    "dependencies.tasks.send_notifications": "notifications",
    "dependencies.tasks.send_pending_notifications": "notifications",
    "objectives.tasks.remind_overdue_updates_task": "notifications",
    "reports.tasks.send_leadership_digest": "notifications",
}


@pytest.mark.parametrize(("task", "queue"), ROUTED.items())
def test_each_task_goes_to_its_queue(task: str, queue: str) -> None:
    route = app.amqp.router.route({}, task)
    assert route["queue"].name == queue
    assert route["queue"].routing_key == queue


def test_every_periodic_task_has_a_queue_a_worker_consumes() -> None:
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in ROUTED


def test_a_worker_without_q_consumes_every_queue() -> None:
    # The demo's single worker (scripts/demo.sh) starts with no -Q.
    queues = app.amqp.queues
    assert set(queues) == {"cataligent", "sync", "recompute", "notifications"}
    # Shared routing keys would deliver one message to several queues.
    assert len({(q.exchange.name, q.routing_key) for q in queues.values()}) == len(queues)
