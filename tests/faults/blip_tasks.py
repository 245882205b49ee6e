"""Tasks only the fault tests' worker loads (`celery worker --include`)."""

from __future__ import annotations

import time

from celery import shared_task


@shared_task(acks_late=True, name="faults.nap")
def nap(seconds: float, marker: str) -> str:
    time.sleep(seconds)
    with open(marker, "a") as out:
        out.write("done\n")
    return marker


@shared_task(acks_late=True, name="faults.nap_then_queue")
def nap_then_queue(seconds: float, marker: str) -> str:
    """Like a sync: work, then queue a follow-up task (the recompute) on the broker."""
    time.sleep(seconds)
    nap.delay(0, marker + ".followup")
    with open(marker, "a") as out:
        out.write("done\n")
    return marker
