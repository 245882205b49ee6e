"""Server time of the leadership pages on the generated organisation (issue 5).

Two steps, against the database in DATABASE_URL (use a scratch one: `load` refuses a
database that already has nodes):

    DATABASE_URL=sqlite:////tmp/bench.sqlite3 python manage.py migrate
    DATABASE_URL=sqlite:////tmp/bench.sqlite3 python -m bench.web load --nodes 50000
    DATABASE_URL=sqlite:////tmp/bench.sqlite3 python -m bench.web tickets --count 100000
    DATABASE_URL=sqlite:////tmp/bench.sqlite3 python -m bench.web time --users 20

`tickets` (issue 11, the execution reports) adds tickets over the last 90 days linked to the
technical nodes, the teams' assignment groups, and 30 days of state history; `time` then
also times the report pages, their API and the dashboard's green-red card (500 ms target).

Then, for the reports `spend` and `trends` (issue 12):

    DATABASE_URL=... python -m bench.web costs      # a year of monthly costs and state history
    DATABASE_URL=... python -m bench.web reports    # their build time against 500 ms p95

`time` runs the pages in this process through Django's test client (no network, no
static files), `--users` threads at once, each waiting about `--think` seconds between its
requests, and prints per page the time of a cold request (just after the stored results
changed, nothing cached) and p50 / p95 / max of the rest against the targets: 300 ms for
/map/, 200 ms for the list pages. Each thread has its own database connection, as each
request of a threaded server would; all share one Python process, so one core at a time.

`time --serve N` (issue 17) times them over HTTP instead, against gunicorn with N processes
started as production runs it (bench/server.py), "cold" being the first request after a real
recompute stored a new version; `--only` also takes exact paths, comma-separated.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import django

PAGES = [
    ("/map/", 0.300),
    ("/map/?view=all", 0.300),
    ("/map/graph.json", 0.300),
    ("/map/graph.json?view=all", 0.300),
    ("/bottlenecks/", 0.200),
    ("/dashboard/", 0.200),
    ("/objectives/", 0.200),
    ("/nodes/", 0.200),
    ("/reports/green-red/", 0.500),
    ("/reports/outcomes/", 0.500),
    ("/api/v1/reports/green-red/", 0.500),
    ("/api/v1/reports/outcomes/", 0.500),
    ("/reports/green-red/disconnects/", 0.500),
]


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cataligent.settings")
    os.environ.setdefault("DEBUG", "1")
    django.setup()


def load(technical: int, teams: int, seed: int) -> None:
    """Write the generated organisation into the (empty) database and compute its states."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import transaction

    from bench.generate import organisation_of_size
    from cataligent.models import Team
    from dependencies.impact import State
    from dependencies.models import Edge, Node
    from dependencies.recompute.runner import impact_recompute
    from objectives.models import Objective, Requirement

    if Node.objects.exists():
        sys.exit("The database already has nodes: load into an empty one.")
    started = time.monotonic()
    org = organisation_of_size(technical, seed=seed)
    User = get_user_model()
    with transaction.atomic():
        leader, _ = User.objects.get_or_create(username="bench-leader")
        leader.set_password("bench")
        leader.save()
        leader.groups.add(Group.objects.get(name="leadership"))
        owners = User.objects.bulk_create(User(username=f"bench-owner-{i}") for i in range(teams))
        team_rows = Team.objects.bulk_create(
            Team(slug=f"team-{i:02d}", name=f"Team {i:02d}", lead=owners[i]) for i in range(teams)
        )
        per_team = max(1, len(org.nodes) // teams)
        nodes = Node.objects.bulk_create(
            (
                Node(
                    slug=n.slug,
                    name=n.slug.replace("-", " ").title(),
                    kind=n.kind,
                    # Every 7th node has no owner: ownership gaps, as in real organisations.
                    owner=None if i % 7 == 0 else owners[min(i // per_team, teams - 1)],
                    team=team_rows[min(i // per_team, teams - 1)],
                    manual_state=(
                        "" if n.intrinsic_state == State.OPERATIONAL else n.intrinsic_state.label
                    ),
                    manual_reason="" if n.intrinsic_state == State.OPERATIONAL else "benchmark",
                )
                for i, n in enumerate(org.nodes)
            ),
            batch_size=2000,
        )
        pk = {n.slug: n.pk for n in nodes}
        Edge.objects.bulk_create(
            (
                Edge(
                    source_id=pk[e.source],
                    target_id=pk[e.target],
                    criticality=str(e.criticality),
                    redundancy_group=e.redundancy_group or "",
                    min_operational=e.min_operational,
                )
                for e in org.edges
            ),
            batch_size=5000,
            ignore_conflicts=True,
        )
        objectives = Objective.objects.bulk_create(
            (
                Objective(
                    key=o.key,
                    title=f"Objective {o.key}",
                    value_at_stake=Decimal(o.value_at_stake),
                    team=team_rows[i % teams],
                    owner=owners[i % teams],
                )
                for i, o in enumerate(org.objectives)
            ),
            batch_size=2000,
        )
        Requirement.objects.bulk_create(
            (
                Requirement(objective_id=row.pk, node_id=pk[r.node], criticality=str(r.criticality))
                for row, o in zip(objectives, org.objectives, strict=True)
                for r in o.requires
            ),
            batch_size=5000,
            ignore_conflicts=True,
        )
    impact_recompute(force=True)
    print(
        f"Loaded {len(org.nodes)} nodes, {len(org.edges)} edges, {len(org.objectives)} "
        f"objectives in {time.monotonic() - started:.1f} s. Sign in as bench-leader / bench."
    )


def load_tickets(count: int, seed: int) -> None:
    """Tickets for the reports: opened over the last 90 days, 70 % resolved (SLA met 85 %,
    breached 10 %, unknown 5 %), mostly by the owning team's group, each linked to one
    technical node (one in ten to two); and 30 days of blocked episodes for one capability
    and one objective in ten."""
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from cataligent.models import Team
    from dependencies.choices import NodeKind
    from dependencies.models import Node, StateTransition
    from integrations.models import Connector, Ticket, TicketLink
    from objectives.models import Objective

    started = time.monotonic()
    rng = random.Random(seed)
    now = timezone.now()
    teams = list(Team.objects.order_by("slug"))
    for team in teams:
        team.assignment_groups = [f"{team.name} Ops"]
    Team.objects.bulk_update(teams, ["assignment_groups"])
    group_of = {t.pk: t.assignment_groups[0] for t in teams}
    groups = list(group_of.values())
    technical = list(Node.objects.exclude(kind=NodeKind.CAPABILITY).values_list("id", "team_id"))
    connector, _ = Connector.objects.get_or_create(
        slug="bench-snow",
        defaults={
            "name": "Bench ServiceNow",
            "kind": "servicenow",
            "base_url": "https://x.example/",
        },
    )
    with transaction.atomic():
        rows = []
        links: list[tuple[int, list[int]]] = []
        for i in range(count):
            opened = now - dt.timedelta(hours=rng.uniform(0, 90 * 24))
            resolved = opened + dt.timedelta(hours=rng.expovariate(1 / 30))
            done = rng.random() < 0.7 and resolved < now
            picked = [rng.choice(technical) for _ in range(2 if rng.random() < 0.1 else 1)]
            owner = picked[0][1]
            roll = rng.random()
            rows.append(
                Ticket(
                    connector=connector,
                    external_id=f"bench-{i}",
                    key=f"INC{i:07d}",
                    title="Benchmark incident",
                    status_category="resolved" if done else "open",
                    priority=rng.randint(1, 5),
                    is_blocking=False,
                    assignment_group=group_of.get(owner, "")
                    if rng.random() < 0.8
                    else rng.choice(groups),
                    reassignment_count=rng.choice((0, 0, 0, 1, 2, 3)),
                    sla_breached=None if roll < 0.05 else roll > 0.9,
                    opened_at=opened,
                    resolved_at=resolved if done else None,
                    updated_at=resolved if done else opened,
                )
            )
            links.append((i, [node for node, _team in picked]))
        tickets = Ticket.objects.bulk_create(rows, batch_size=5000)
        TicketLink.objects.bulk_create(
            (
                TicketLink(ticket_id=tickets[i].pk, node_id=node, via="rule")
                for i, nodes in links
                for node in set(nodes)
            ),
            batch_size=10_000,
        )
        history = []
        capabilities = list(
            Node.objects.filter(kind=NodeKind.CAPABILITY).values_list("id", flat=True)
        )
        objectives = list(Objective.objects.values_list("id", flat=True))
        for field, ids in (("node_id", capabilities), ("objective_id", objectives)):
            for pk in ids[::10]:
                begin = now - dt.timedelta(hours=rng.uniform(24, 30 * 24))
                end = begin + dt.timedelta(hours=rng.uniform(1, 200))
                history.append(
                    StateTransition(
                        **{field: pk},
                        from_state="operational",
                        to_state="blocked",
                        at=begin,
                        version=1,
                    )
                )
                if end < now:
                    history.append(
                        StateTransition(
                            **{field: pk},
                            from_state="blocked",
                            to_state="operational",
                            at=end,
                            version=1,
                        )
                    )
        StateTransition.objects.bulk_create(history, batch_size=5000)
    print(
        f"Loaded {count} tickets, {TicketLink.objects.count()} links, {len(history)} state "
        f"transitions in {time.monotonic() - started:.1f} s."
    )


def time_pages(users: int, rounds: int, think: float, only: str = "", serve: int = 0) -> None:
    """In this process through Django's test client, or (`serve` > 0) over HTTP against
    gunicorn with `serve` processes, started here as production runs it (bench/server.py)."""
    if serve:
        _time_pages_http(users, rounds, think, only, serve)
        return
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from dependencies.map.drawing import forget_map_cache

    leader = get_user_model().objects.get(username="bench-leader")
    rng = random.Random(1)

    def client() -> Client:
        c = Client(HTTP_HOST="localhost")
        c.force_login(leader)
        return c

    def cold(path: str) -> float:
        """The first request after the stored results changed (nothing cached)."""
        c = client()
        c.get(path)
        forget_map_cache()
        started = time.perf_counter()
        c.get(path)
        return time.perf_counter() - started

    def one(path: str) -> list[float]:
        c = client()
        c.get(path)  # warm up this thread's connection
        times = []
        for _ in range(rounds):
            time.sleep(think * rng.uniform(0.5, 1.5))  # a person reads before clicking again
            started = time.perf_counter()
            response = c.get(path)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, (path, response.status_code)
        connection.close()
        return times

    _print_header(users, rounds, think)
    with ThreadPoolExecutor(max_workers=users) as pool:
        for path, target in PAGES:
            if not _picked(path, only):
                continue
            first = cold(path)
            samples = sorted(t for ts in pool.map(one, [path] * users) for t in ts)
            _print_row(path, target, first, samples)


def _picked(path: str, only: str) -> bool:
    """`--only`: a part of the path, or exact paths separated by commas."""
    return path in only.split(",") if "," in only else only in path


def _print_header(users: int, rounds: int, think: float) -> None:
    print(
        f"{'page':28} {'cold':>7} {'p50':>7} {'p95':>7} {'max':>7}  target"
        f"  ({users} users x {rounds}, think {think:g} s)"
    )


def _print_row(path: str, target: float, first: float, samples: list[float]) -> None:
    p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
    verdict = "ok" if p95 <= target else "SLOW"
    print(
        f"{path:28} {first * 1000:5.0f}ms {statistics.median(samples) * 1000:5.0f}ms "
        f"{p95 * 1000:5.0f}ms {samples[-1] * 1000:5.0f}ms  {target * 1000:.0f} ms {verdict}",
        flush=True,
    )


def _time_pages_http(users: int, rounds: int, think: float, only: str, workers: int) -> None:
    """The pages over HTTP from gunicorn's `workers` processes; `users` threads here only
    wait on sockets. "cold" is the first request after a real recompute stored a new
    version (every process's cache keyed on the old one). Also prints the server's CPU time
    per page (its processes' user + system time, read from /proc, divided by requests)."""
    import requests
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from bench import server

    leader = get_user_model().objects.get(username="bench-leader")
    login = Client()
    login.force_login(leader)
    cookie = login.cookies[settings.SESSION_COOKIE_NAME].value
    connection.close()
    if not os.environ.get("FIELD_ENCRYPTION_KEY"):  # production refuses to start without one
        from cryptography.fernet import Fernet

        os.environ["FIELD_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    port = server.free_port()
    base = f"http://127.0.0.1:{port}"
    web = server.start_web(port, workers, Path("/tmp/bench-web") / "gunicorn.log")
    rng = random.Random(1)

    def session() -> requests.Session:
        s = requests.Session()
        s.cookies.set(settings.SESSION_COOKIE_NAME, cookie)
        return s

    def get(s: requests.Session, path: str) -> float:
        started = time.perf_counter()
        response = s.get(base + path, timeout=300)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, (path, response.status_code)
        return elapsed

    def one(path: str) -> list[float]:
        s = session()
        get(s, path)  # this user's first request (a new connection, maybe a cold process)
        times = []
        for _ in range(rounds):
            time.sleep(think * rng.uniform(0.5, 1.5))  # a person reads before clicking again
            times.append(get(s, path))
        return times

    try:
        server.wait_up(base, [web])
        print(f"gunicorn: {workers} processes at {base}; load average {_load()}")
        picked = [(path, target) for path, target in PAGES if _picked(path, only)]
        with ThreadPoolExecutor(max_workers=users) as pool:
            # Processes that have run a while: each has read what outlives a change of the
            # results (the graph read upwards, imports, its database connection).
            list(pool.map(lambda p: get(session(), p), [p for p, _ in picked] * users))
            _print_header(users, rounds, think)
            for path, target in picked:
                _change_the_results()
                connection.close()
                cpu_before = _cpu_seconds(web.pid)
                first = get(session(), path)
                samples = sorted(t for ts in pool.map(one, [path] * users) for t in ts)
                cpu = _cpu_seconds(web.pid) - cpu_before
                _print_row(path, target, first, samples)
                print(
                    f"{'':28} server CPU {cpu * 1000 / (1 + users * (rounds + 1)):5.0f}ms a "
                    f"request on average; load average {_load()}"
                )
    finally:
        server.stop([web])


def _change_the_results() -> None:
    """Block (or unblock, every other time) the node most depended on, as a ticket would,
    and recompute: a new version of the results is stored, and every cache keyed on the
    old one is cold. (A forced pass that changes nothing keeps the version, and the pages
    their caches.)"""
    from django.db.models import Count

    from dependencies.graph.changes import impact_changed
    from dependencies.models import Edge, ImpactState, Node
    from dependencies.recompute.runner import impact_recompute

    global _most_depended_on
    if _most_depended_on is None:
        _most_depended_on = (
            Edge.objects.order_by().values("target").annotate(n=Count("id")).order_by("-n")
        )[0]["target"]
    node = Node.objects.get(pk=_most_depended_on)
    version = ImpactState.objects.get().version
    Node.objects.filter(pk=node.pk).update(manual_state="" if node.manual_state else "blocked")
    impact_changed(nodes=[node.pk], reason="benchmark: the results change")
    impact_recompute()
    if ImpactState.objects.get().version == version:
        raise SystemExit("the recompute stored no new version: the cold requests would be warm")


_most_depended_on: int | None = None


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _cpu_seconds(master: int) -> float:
    """User + system CPU seconds of gunicorn's worker processes (the master's children)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for child in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        fields = Path(f"/proc/{child}/stat").read_text().rpartition(")")[2].split()
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


# --- Reports `spend` and `trends` (issue 12) -------------------------------------------------
# Kept apart from the pages above: `costs` adds a year of monthly costs and of state history to
# a loaded organisation, `reports` times the two reports' build (what their page, API and CSV
# run) against the 500 ms p95 target.

REPORTS_TARGET = 0.500


def load_costs(months: int, seed: int) -> None:
    """A year of monthly costs for every technical node, and a year of state history: 5 % of
    the nodes and objectives blocked now and then (about six episodes of 2 h to 5 days each)."""
    import datetime as dt

    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from dependencies.models import Node, StateTransition
    from objectives.models import Objective
    from reports.models import CostLine
    from reports.prorata import first_of_month

    if CostLine.objects.exists():
        sys.exit("The database already has costs: `costs` runs once after `load`.")
    started = time.monotonic()
    rng = random.Random(seed)
    now = timezone.now()
    month = first_of_month(timezone.localtime(now).date())
    calendar = []
    for _ in range(months):
        calendar.append(month)
        month = first_of_month(month - dt.timedelta(days=1))
    technical = list(Node.objects.exclude(kind="capability").values_list("pk", flat=True))
    with transaction.atomic():
        batch: list[CostLine] = []
        for node_id in technical:
            base = rng.lognormvariate(8.5, 1.0)  # a median of about 5,000 a month
            for first in calendar:
                amount = Decimal(base * rng.uniform(0.9, 1.1)).quantize(Decimal("0.01"))
                batch.append(
                    CostLine(
                        node_id=node_id,
                        month=first,
                        amount=amount,
                        currency=settings.CURRENCY,
                        category=rng.choice(("compute", "storage", "application", "network")),
                    )
                )
            if len(batch) >= 20_000:
                CostLine.objects.bulk_create(batch, batch_size=5000)
                batch = []
        CostLine.objects.bulk_create(batch, batch_size=5000)
        items = [("node", pk) for pk in Node.objects.values_list("pk", flat=True)]
        items += [("objective", pk) for pk in Objective.objects.values_list("pk", flat=True)]
        year = dt.timedelta(days=30 * months)
        history = []
        for kind, pk in rng.sample(items, len(items) // 20):
            moments = sorted(now - year * rng.random() for _ in range(6))
            for began in moments:
                ended = began + dt.timedelta(hours=rng.uniform(2, 120))
                for at, before, after in (
                    (began, "operational", "blocked"),
                    (ended, "blocked", "operational"),
                ):
                    if at < now:
                        history.append(
                            StateTransition(
                                **{kind + "_id": pk},
                                at=at,
                                from_state=before,
                                to_state=after,
                                version=0,
                            )
                        )
        StateTransition.objects.bulk_create(history, batch_size=5000)
    print(
        f"Added {len(technical) * months} cost lines ({len(technical)} nodes x {months} months) "
        f"and {len(history)} state transitions in {time.monotonic() - started:.1f} s."
    )


def time_reports(rounds: int) -> None:
    """Each report's build, `rounds` times, for the default window (the last 30 days) and a
    quarter; prints cold (spend: with its month allocations computed afresh, as after an
    import), then p50, p95 and max against the target."""
    from django.db import connection, reset_queries

    from reports import registry
    from reports.spend_allocation import costs_changed
    from reports.window import parse_window

    windows = {"30 days": {}, "quarter": {"from": "2026-09-01", "to": "2026-11-30"}}
    print(f"{'report':22} {'queries':>7} {'cold':>8} {'p50':>7} {'p95':>7} {'max':>7}  target")
    for name in ("spend", "trends"):
        report = registry.get(name)
        assert report is not None
        for label, params in windows.items():
            window = parse_window(params)
            costs_changed()
            reset_queries()
            started = time.perf_counter()
            report.build(window)
            first = time.perf_counter() - started
            queries = len(connection.queries)
            samples = []
            for _ in range(rounds):
                started = time.perf_counter()
                report.tables(report.build(window))
                samples.append(time.perf_counter() - started)
            samples.sort()
            p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
            verdict = "ok" if p95 <= REPORTS_TARGET else "SLOW"
            print(
                f"{name + ' (' + label + ')':22} {queries:7} {first * 1000:6.0f}ms "
                f"{statistics.median(samples) * 1000:5.0f}ms {p95 * 1000:5.0f}ms "
                f"{samples[-1] * 1000:5.0f}ms  {REPORTS_TARGET * 1000:.0f} ms {verdict}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    loader = sub.add_parser("load", help="write the generated organisation into the database")
    loader.add_argument("--nodes", type=int, default=50_000, help="technical nodes (50,000)")
    loader.add_argument("--teams", type=int, default=40)
    loader.add_argument("--seed", type=int, default=20_260_501)
    tickets = sub.add_parser("tickets", help="add tickets and state history for the reports")
    tickets.add_argument("--count", type=int, default=100_000, help="tickets (100,000)")
    tickets.add_argument("--seed", type=int, default=20_261_107)
    timer = sub.add_parser("time", help="time the pages")
    timer.add_argument(
        "--only",
        default="",
        help="time only the pages containing this, or these exact paths (comma-separated)",
    )
    timer.add_argument("--users", type=int, default=20, help="concurrent users (20)")
    timer.add_argument("--rounds", type=int, default=5, help="requests per user and page (5)")
    timer.add_argument(
        "--think", type=float, default=1.0, help="seconds between a user's requests (1.0)"
    )
    timer.add_argument(
        "--serve",
        type=int,
        default=0,
        metavar="N",
        help="time over HTTP against gunicorn with N processes, started here (0: in process)",
    )
    costs = sub.add_parser("costs", help="add a year of costs and state history (after load)")
    costs.add_argument("--months", type=int, default=12)
    costs.add_argument("--seed", type=int, default=20_261_207)
    reports = sub.add_parser("reports", help="time the spend and trends reports")
    reports.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    _setup()
    if args.command == "load":
        load(args.nodes, args.teams, args.seed)
    elif args.command == "tickets":
        load_tickets(args.count, args.seed)
    elif args.command == "costs":
        load_costs(args.months, args.seed)
    elif args.command == "reports":
        time_reports(args.rounds)
    else:
        time_pages(args.users, args.rounds, args.think, args.only, args.serve)


if __name__ == "__main__":
    main()
