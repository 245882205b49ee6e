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
