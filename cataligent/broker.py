"""kombu's Redis transport, made to survive a Redis restart under a busy worker.

When Redis goes away while tasks run, Celery's consumer first collects the broken connection
(which detaches it from its transport) and then closes it. Closing a channel that still
holds unacknowledged messages tries to put them back, which asks the detached connection
for Redis's address: ``AttributeError: 'NoneType' object has no attribute 'hostname'``.
That is not one of the transport's connection errors, so the close is not ignored and the
worker stops for good ("Unrecoverable error"), with celery 5.7 / kombu 5.7, the newest
releases. Raising a connection error there instead lets Celery carry on with its reconnect
loop; the messages stay in Redis's unacked set and are redelivered after the visibility
timeout, as for any worker that lost its connection. tests/faults/test_redis_blip.py
restarts a real Redis under a real worker to keep this honest.
"""

from __future__ import annotations

from typing import Any

import redis
from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> dict[str, Any]:
        if self.connection is None or self.connection.client is None:
            raise redis.exceptions.ConnectionError("the broker connection was closed")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel
