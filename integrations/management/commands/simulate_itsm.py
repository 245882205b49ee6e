"""`manage.py simulate_itsm --port N`: a local ServiceNow + Jira that changes over time, and
the story's PagerDuty incidents."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from integrations.simulator import Faults, make_server


class Command(BaseCommand):
    help = (
        "Serve a simulated ServiceNow Table API and Jira Cloud search on 127.0.0.1, with "
        "tickets that change over time, and PagerDuty's incidents (the demo's ITSM sources)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--tickets", type=int, default=2000, help="background incidents")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--mutate-every", type=float, default=10.0, help="seconds between changes (0: never)"
        )
        parser.add_argument("--changes", type=int, default=3, help="changes per tick")
        parser.add_argument("--rate-limited", type=float, default=0.0, help="share of 429s")
        parser.add_argument("--server-errors", type=float, default=0.0, help="share of 500s")
        parser.add_argument("--slow", type=float, default=0.0, help="share of slow answers")
        parser.add_argument("--garbled", type=float, default=0.0, help="share of broken records")

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            faults = Faults(
                rate_limited=o["rate_limited"],
                server_errors=o["server_errors"],
                slow=o["slow"],
                garbled=o["garbled"],
            )
            server = make_server(
                o["host"],
                o["port"],
                seed=o["seed"],
                tickets=o["tickets"],
                faults=faults,
                mutate_every=o["mutate_every"] or None,
                changes_per_tick=o["changes"],
            )
        except (ValueError, OSError) as exc:
            raise CommandError(f"Cannot start the simulator: {exc}") from exc
        self.stdout.write(
            f"Simulated ITSM at {server.base_url}\n"
            f"  ServiceNow: {server.base_url}/api/now/table/incident  (basic admin / admin)\n"
            f"  Jira:       {server.base_url}/rest/api/3/search/jql  "
            "(basic integration@example.com / jira-api-token)\n"
            f"  PagerDuty:  {server.base_url}/incidents  (Token token=pagerduty-api-key)\n"
            "Ctrl-C stops it."
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.close()
