"""From ticket to screen (issue 17, part 3): how long after a signed webhook for a P1 ticket
linked to a dependency does `GET /api/map/` show the capability above it blocked?

Runs the product as production does, each part a process of its own: gunicorn
(`deploy/gunicorn.conf.py`, `--web` processes, DEBUG off) and a Celery worker on Redis
consuming the `recompute` queue (prefork, one process, as `worker-recompute`). This process
only posts webhooks and polls the API over HTTP, as an ITSM tool and a dashboard would.

Needs a database loaded by `python -m bench.web load` (the bench-leader user) in
DATABASE_URL and a Redis in REDIS_URL (the broker); no beat runs, so every recompute is
the one the webhook queued:

    DATABASE_URL=postgres://.../bench REDIS_URL=redis://127.0.0.1:6379/7 \\
        python -m bench.ticket_to_screen --tickets 20

For each ticket: pick an operational technical node that an operational capability needs
(a hard edge, no redundancy; the engine's what-if confirms the capability would be
blocked), post a P1 ticket for it in the generic push shape with
`X-Cataligent-Signature: sha256=<hex>`, and poll `GET /api/map/` (sending the last ETag,
as a client does) every `--poll` seconds until the capability reads blocked; then post the
ticket resolved and wait, the same way, until it reads operational again. Printed per
ticket: the webhook's answer, when the stored results moved (the ETag's version), and when
the capability read blocked; then median and p95 over the tickets.

`--follow-changes` polls as a client of a large map does: the whole map once, then
`?since=<ETag>` with the same ETag in If-None-Match, merging what changed into the map it
holds (at 250,000 nodes the whole affected map is about 100 MB of JSON).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import django
import requests

from bench import server

CONNECTOR = "bench-hook"
WEBHOOK_SECRET = "bench-webhook-secret"
TARGET = 1.0  # seconds, median
RUN = f"{int(time.time()):x}"  # tickets of this run only


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cataligent.settings")
    if not os.environ.get("FIELD_ENCRYPTION_KEY"):
        from cryptography.fernet import Fernet

        os.environ["FIELD_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    django.setup()


@dataclass
class Target:
    node: str  # the dependency the ticket is about
    capability: str  # the capability above it, blocked once the ticket is in


def prepare(count: int, seed: int) -> tuple[str, list[Target]]:
    """The connector with its webhook secret, a link rule per picked node and an API token
    for bench-leader; returns the token's key and the targets."""
    from django.contrib.auth import get_user_model

    from cataligent.api_tokens import api_token_create
    from dependencies import impact
    from dependencies.choices import NodeKind, State
    from dependencies.models import Edge, Node
    from dependencies.recompute.runner import current_result
    from integrations.models import Connector, LinkRule

    connector = Connector.objects.filter(slug=CONNECTOR).first() or Connector(
        slug=CONNECTOR, name="Bench webhooks", kind="rt", base_url="https://rt.example/"
    )
    connector.auth_type = "token"
    connector.enabled = True
    connector.set_secret("unused: the bench only pushes")
    connector.set_webhook_secret(WEBHOOK_SECRET)
    connector.save()

    # Operational dependencies an operational capability needs directly (a hard edge, no
    # redundancy), where the engine's what-if on the stored result confirms the capability
    # would be blocked. A generated organisation has few: they are used in turn.
    candidates = list(
        Edge.objects.filter(
            source__kind=NodeKind.CAPABILITY,
            source__state=State.OPERATIONAL,
            target__state=State.OPERATIONAL,
            criticality="hard",
            redundancy_group="",
        )
        .exclude(target__kind=NodeKind.CAPABILITY)
        .values_list("target__slug", "source__slug")
    )
    random.Random(seed).shuffle(candidates)
    result = current_result()
    targets: list[Target] = []
    used: set[str] = set()
    for node, capability in candidates:
        if node in used or capability in used:
            continue
        scenario = impact.what_if(result, block=[node])
        if capability in {c.item for c in scenario.capabilities}:
            targets.append(Target(node, capability))
            used.update((node, capability))
    if len(targets) < 2:
        sys.exit(f"Found only {len(targets)} usable dependencies; load a larger organisation.")
    node_ids = dict(
        Node.objects.filter(slug__in=[t.node for t in targets]).values_list("slug", "id")
    )
    for t in targets:
        LinkRule.objects.get_or_create(
            connector=connector, field="ci", pattern=t.node, node_id=node_ids[t.node]
        )
    leader = get_user_model().objects.get(username="bench-leader")
    key = api_token_create(user=leader, name="ticket-to-screen bench", days=1).key
    return key, targets


class Screen:
    """A client of `GET /api/map/` that keeps the last ETag, as a polling dashboard does."""

    def __init__(self, base: str, token: str, query: str, *, follow: bool = False) -> None:
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Token {token}"
        self.url = f"{base}/api/map/{query}"
        # `follow`: after the first read, ask for the changes since the map held
        # (`?since=<ETag>`) and merge them in, as a client of a large map does.
        self.follow = follow
        self.etag = ""
        self.states: dict[str, str] = {}
        self.version = 0
        self.slowest_read = 0.0  # the longest request that brought a new body
        self.slowest_parse = 0.0  # the longest parse of such a body, here in the client
        self.largest_body = 0  # bytes

    def read(self) -> None:
        headers = {"If-None-Match": self.etag} if self.etag else {}
        params = {"since": self.etag} if self.follow and self.etag else {}
        started = time.perf_counter()
        response = self.http.get(self.url, headers=headers, params=params, timeout=120)
        if response.status_code == 304:
            return
        response.raise_for_status()
        self.slowest_read = max(self.slowest_read, time.perf_counter() - started)
        self.largest_body = max(self.largest_body, len(response.content))
        parsing = time.perf_counter()
        body = response.json()
        self.slowest_parse = max(self.slowest_parse, time.perf_counter() - parsing)
        self.etag = response.headers.get("ETag", "")
        self.version = body["version"]
        if body.get("changes_since") is None:  # the whole map
            self.states = {n["slug"]: n["state"] for n in body["nodes"]}
            return
        for slug in body["left"]["nodes"]:
            self.states.pop(slug, None)
        self.states.update((n["slug"], n["state"]) for n in body["nodes"])

    def state(self, slug: str) -> str:
        # The affected view leaves operational items out.
        return self.states.get(slug, "operational")


def post_ticket(base: str, target: Target, number: int, status: str) -> float:
    """Push the ticket; returns how long the webhook took to answer."""
    body = json.dumps(
        {
            "external_id": f"tts-{RUN}-{number}",
            "key": f"TTS-{RUN}-{number}",
            "title": f"{target.node} is down",
            "status_category": status,
            "priority": 1,
            "ci": target.node,
            "updated_at": _now_iso(),
        }
    ).encode()
    signature = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    started = time.perf_counter()
    response = requests.post(
        f"{base}/hooks/{CONNECTOR}/",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Cataligent-Signature": signature,
            "X-Delivery-Id": f"tts-{number}-{status}-{time.time_ns()}",
        },
        timeout=60,
    )
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        sys.exit(f"The webhook answered {response.status_code}: {response.text}")
    return elapsed


def _now_iso() -> str:
    import datetime as dt

    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


@dataclass
class Sample:
    total: float  # webhook sent → capability read in the wanted state
    webhook: float  # the webhook's own answer
    version_seen: float  # webhook sent → first body with a newer version
    polls: int


def until(screen: Screen, slug: str, wanted: str, poll: float, timeout: float) -> Sample:
    started = time.perf_counter()
    version, seen, polls = screen.version, 0.0, 0
    while True:
        screen.read()
        polls += 1
        now = time.perf_counter() - started
        if screen.version != version and not seen:
            seen = now
        if screen.state(slug) == wanted:
            return Sample(now, 0.0, seen or now, polls)
        if now > timeout:
            sys.exit(f"{slug} still reads {screen.state(slug)!r} after {timeout:.0f} s")
        time.sleep(poll)


def run(
    tickets: int, web: int, poll: float, query: str, seed: int, log_dir: Path, *, follow: bool
) -> None:
    from django.db import connection

    token, targets = prepare(tickets, seed)
    connection.close()
    port = server.free_port()
    base = f"http://127.0.0.1:{port}"
    processes = [
        server.start_web(port, web, log_dir / "gunicorn.log"),
        server.start_worker("recompute", log_dir / "worker.log"),
    ]
    try:
        server.wait_up(base, processes)
        screen = Screen(base, token, query, follow=follow)
        screen.read()
        # The worker's first recompute is a full one (no result in memory yet): not timed.
        warm = targets[0]
        post_ticket(base, warm, 0, "open")
        until(screen, warm.capability, "blocked", poll, timeout=600)
        post_ticket(base, warm, 0, "resolved")
        until(screen, warm.capability, "operational", poll, timeout=600)
        print(
            f"{'ticket':>6} {'dependency':28} {'capability':28} {'webhook':>8} "
            f"{'new ver':>8} {'blocked':>8} {'cleared':>8} {'polls':>5}"
        )
        blocked: list[Sample] = []
        cleared: list[Sample] = []
        for number in range(1, tickets + 1):
            target = targets[1 + (number - 1) % (len(targets) - 1)]
            sent = time.perf_counter()
            webhook = post_ticket(base, target, number, "open")
            sample = until(screen, target.capability, "blocked", poll, timeout=120)
            sample.total += webhook
            sample.version_seen += webhook
            sample.webhook = webhook
            blocked.append(sample)
            time.sleep(0.5)
            sent = time.perf_counter()
            webhook_back = post_ticket(base, target, number, "resolved")
            back = until(screen, target.capability, "operational", poll, timeout=120)
            back.total = time.perf_counter() - sent
            back.webhook = webhook_back
            cleared.append(back)
            print(
                f"{number:6} {target.node[:28]:28} {target.capability[:28]:28} "
                f"{webhook * 1000:6.0f}ms {sample.version_seen * 1000:6.0f}ms "
                f"{sample.total * 1000:6.0f}ms {back.total * 1000:6.0f}ms {sample.polls:5}",
                flush=True,
            )
            time.sleep(0.5)
        _summary("ticket → capability blocked", blocked)
        _summary("resolved → capability operational", cleared)
        print(
            f"slowest read of a changed map: {screen.slowest_read * 1000:.0f} ms, then "
            f"{screen.slowest_parse * 1000:.0f} ms to parse it here "
            f"(largest body {screen.largest_body / 1e6:.1f} MB)"
        )
        print(_recompute_log(log_dir / "worker.log"))
    finally:
        server.stop(processes)


def _summary(what: str, samples: list[Sample]) -> None:
    totals = sorted(s.total for s in samples)
    p95 = totals[max(0, int(len(totals) * 0.95 + 0.5) - 1)]
    median = statistics.median(totals)
    verdict = "ok" if median <= TARGET else "SLOW"
    print(
        f"{what}: median {median * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max "
        f"{totals[-1] * 1000:.0f} ms over {len(totals)} (target median <= "
        f"{TARGET * 1000:.0f} ms: {verdict}); webhook median "
        f"{statistics.median(s.webhook for s in samples) * 1000:.0f} ms; new version seen, median "
        f"{statistics.median(s.version_seen for s in samples) * 1000:.0f} ms"
    )


def _recompute_log(path: Path) -> str:
    """The worker's own account of its recomputes (Celery logs each task's run time)."""
    runtimes = []
    for line in path.read_text(errors="replace").splitlines():
        if "recompute_impact" in line and "succeeded in" in line:
            runtimes.append(float(line.split("succeeded in ")[1].split("s:")[0]))
    if not runtimes:
        return "the worker logged no recompute"
    return (
        f"recompute tasks in the worker: {len(runtimes)}, median "
        f"{statistics.median(runtimes) * 1000:.0f} ms, max {max(runtimes) * 1000:.0f} ms "
        f"(the first is the full one)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=20)
    parser.add_argument("--web", type=int, default=3, help="gunicorn processes (3)")
    parser.add_argument(
        "--poll", type=float, default=0.05, help="seconds between reads of the map (0.05)"
    )
    parser.add_argument("--query", default="", help="query string for /api/map/, e.g. ?view=all")
    parser.add_argument(
        "--follow-changes",
        action="store_true",
        help="read the whole map once, then only what changed since (?since=<ETag>)",
    )
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--logs", type=Path, default=Path("/tmp/ticket-to-screen"))
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        sys.exit("Set REDIS_URL: the worker's broker is Redis here.")
    _setup()
    run(
        args.tickets,
        args.web,
        args.poll,
        args.query,
        args.seed,
        args.logs,
        follow=args.follow_changes,
    )


if __name__ == "__main__":
    main()
