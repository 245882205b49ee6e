"""The simulated ServiceNow source of the ingest benchmark, in a process of its own.

Its CPU time and memory must not count against the sync being measured, so
``bench.ingest`` starts it as a child:

    python -m bench.simulator_process --tickets 100000     # N generated incidents
    python -m bench.simulator_process --tickets 0          # empty; fill it with `replay`

It serves on a free loopback port and prints one JSON line, ``{"port": ..., "incidents":
...}``, once it answers. Then it reads commands from stdin, one a line, and answers each with
one JSON line on stdout:

- ``replay N`` applies the next N rows of the real incident log
  (integrations.simulator.IncidentLogReplay), every row stamped with the current time
  (``at=``, so they arrive as live updates; each batch one second later than the last);
- ``status`` gives the number of incidents.

End of stdin (or SIGTERM) stops it. No Django here: the simulator package is pure.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from integrations.simulator import NOISE_ONLY, IncidentLogReplay, SimulatorStore, make_server


def _answer(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000, help="incidents to generate")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--log", default=None, help="incident log (default: the shared data)")
    args = parser.parse_args(argv)

    # NOISE_ONLY: no demo-story tickets, so the source holds exactly --tickets incidents.
    store = SimulatorStore(seed=args.seed, scenario=NOISE_ONLY)
    store.preload(incidents=args.tickets, issues=0, span=timedelta(days=30))
    server = make_server("127.0.0.1", 0, store=store).start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    _answer({"port": server.server_address[1], "incidents": len(store.incidents)})

    replay = IncidentLogReplay(args.log)
    last_stamp: datetime | None = None
    try:
        for line in sys.stdin:
            command, *rest = line.split()
            if command == "replay":
                stamp = datetime.now(UTC).replace(microsecond=0)
                if last_stamp is not None and stamp <= last_stamp:
                    stamp = last_stamp + timedelta(seconds=1)
                last_stamp = stamp
                started = time.perf_counter()
                stats = replay.apply(store, int(rest[0]), at=stamp)
                _answer(
                    {
                        "rows": stats.rows,
                        "applied": stats.applied,
                        "stale": stats.stale,
                        "new_incidents": stats.incidents,
                        "incidents": len(store.incidents),
                        "exhausted": replay.exhausted,
                        "at": stamp.isoformat(),
                        "seconds": round(time.perf_counter() - started, 3),
                    }
                )
            elif command == "status":
                _answer({"incidents": len(store.incidents)})
            else:
                _answer({"error": f"unknown command {command!r}"})
    finally:
        replay.close()
        server.close()


if __name__ == "__main__":
    main()
