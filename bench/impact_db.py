"""The impact engine on PostgreSQL: load + compute + store (issue 3's database figures).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python -m bench.impact_db
    ... -m bench.impact_db --nodes 5000      # a tenth, for a quick run
    ... -m bench.impact_db --nodes 250000 --json     # the figures as JSON, last line
    ... -m bench.impact_db --curve 25000 50000 100000 250000   # cost against size

Makes a fresh database next to the one DATABASE_URL names, migrates it, fills it with the
generated organisation of bench/generate.py (technical nodes blocked by a linked P1 ticket,
degraded ones by a manual override), times the real code paths of the product — the
loader, the engine, the writer, the recompute service — and drops the database.
Not a timed test: it prints the numbers next to the targets, with this process's CPU time
beside the wall time (PostgreSQL's own work runs in the server, not counted there) and the
load average, since the machine these ran on was shared. `--curve` runs one process per size
and prints time and memory against size.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import psycopg

T = TypeVar("T")


def _timed(function: Callable[[], T]) -> tuple[T, float]:
    """(value, wall seconds); the CPU seconds of this process go to `_cpu[-1]`."""
    started, cpu = time.perf_counter(), time.process_time()
    value = function()
    _cpu.append(time.process_time() - cpu)
    return value, time.perf_counter() - started


# CPU seconds of this process per `_timed` call, printed beside the wall times: on a shared
# machine they vary less. PostgreSQL's own work runs in its server process, not counted here.
_cpu: list[float] = []


def _fmt(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms" if seconds < 1 else f"{seconds:8.2f} s "


def _database_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _node_updates() -> tuple[int, int]:
    """(rows updated, of which HOT) in dependencies_node so far, from PostgreSQL's statistics:
    a HOT update stays on its page and touches no index. A backend reports its counts at most
    once a second, and only when asked or idle: asked (PostgreSQL 15), then the pause."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.pg_version >= 150000:
            cursor.execute("SELECT pg_stat_force_next_flush()")
    time.sleep(1.5)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables "
            "WHERE relname = 'dependencies_node'"
        )
        updated, hot = cursor.fetchone()
    return updated, hot


def _fill(org: Any, *, teams: int = 0, scattered: bool = False) -> dict[str, int]:
    """Write the organisation with COPY (setup, not measured).

    Each node is owned by one of `teams` teams: a slice of the nodes each, as teams own
    neighbouring parts of a catalog (the generator's edges mostly stay near their source),
    or, `scattered`, a team at random, so that nearly every pair of teams is linked: the
    largest counts by team the map can have."""
    import random

    from django.db import connection

    from cataligent.models import Team
    from dependencies.impact import State
    from integrations.models import Connector

    team_ids = [
        team.pk
        for team in Team.objects.bulk_create(
            Team(slug=f"team-{i:03d}", name=f"Team {i:03d}") for i in range(teams)
        )
    ]
    per_team = max(1, -(-len(org.nodes) // max(1, teams)))
    pick = random.Random(17)

    connector = Connector(
        slug="bench", name="bench", kind="servicenow", base_url="https://x.example"
    )
    connector.set_secret("x")
    connector.save()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(
            "COPY dependencies_node (slug, name, kind, description, manual_state, manual_reason, "
            "external_ref, intrinsic_state, state, root_causes, created_at, updated_at, team_id) "
            "FROM STDIN"
        ) as copy:
            for i, node in enumerate(org.nodes):
                team = None
                if team_ids:
                    team = pick.choice(team_ids) if scattered else team_ids[i // per_team]
                manual = "degraded" if node.intrinsic_state == State.DEGRADED else ""
                copy.write_row(
                    (
                        node.slug,
                        node.slug,
                        node.kind,
                        "",
                        manual,
                        "",
                        "",
                        "operational",
                        "operational",
                        "[]",
                        "now",
                        "now",
                        team,
                    )
                )
        cursor.execute("SELECT slug, id FROM dependencies_node")
        ids = dict(cursor.fetchall())
        written: set[tuple[int, int]] = set()
        with raw.copy(
            "COPY dependencies_edge (source_id, target_id, criticality, redundancy_group, "
            "min_operational) FROM STDIN"
        ) as copy:
            for edge in org.edges:
                pair = (ids[edge.source], ids[edge.target])
                if pair in written:
                    continue  # the generator may link a pair twice; the table holds it once
                written.add(pair)
                copy.write_row(
                    (
                        ids[edge.source],
                        ids[edge.target],
                        str(edge.criticality),
                        edge.redundancy_group or "",
                        edge.min_operational,
                    )
                )
        with raw.copy(
            "COPY objectives_objective (key, title, description, value_at_stake, declared_status, "
            "update_cadence_days, state, root_causes, created_at, updated_at) FROM STDIN"
        ) as copy:
            for objective in org.objectives:
                copy.write_row(
                    (
                        objective.key,
                        objective.key,
                        "",
                        objective.value_at_stake,
                        "on_track",
                        7,
                        "operational",
                        "[]",
                        "now",
                        "now",
                    )
                )
        cursor.execute("SELECT key, id FROM objectives_objective")
        objective_ids = dict(cursor.fetchall())
        with raw.copy(
            "COPY objectives_requirement (objective_id, node_id, criticality) FROM STDIN"
        ) as copy:
            for objective in org.objectives:
                for requirement in objective.requires:
                    copy.write_row(
                        (
                            objective_ids[objective.key],
                            ids[requirement.node],
                            str(requirement.criticality),
                        )
                    )
        blocked = [ids[n.slug] for n in org.nodes if n.intrinsic_state == State.BLOCKED]
        with raw.copy(
            "COPY integrations_ticket (connector_id, external_id, key, url, title, status_raw, "
            "status_category, priority, is_blocker, is_blocking, assignee, assignment_group, ci, "
            "components, labels, updated_at, raw, missing_from_source, first_seen_at, synced_at) "
            "FROM STDIN"
        ) as copy:
            for number, _node_id in enumerate(blocked):
                copy.write_row(
                    (
                        connector.pk,
                        f"sys-{number}",
                        f"INC{number:07d}",
                        "",
                        "down",
                        "2",
                        "in_progress",
                        1,
                        False,
                        True,
                        "",
                        "",
                        "",
                        "[]",
                        "[]",
                        "now",
                        "{}",
                        False,
                        "now",
                        "now",
                    )
                )
        cursor.execute("SELECT external_id, id FROM integrations_ticket")
        ticket_ids = dict(cursor.fetchall())
        with raw.copy(
            "COPY integrations_ticketlink (ticket_id, node_id, via, created_at) FROM STDIN"
        ) as copy:
            for number, node_id in enumerate(blocked):
                copy.write_row((ticket_ids[f"sys-{number}"], node_id, "manual", "now"))
        cursor.execute("ANALYZE")
    return {
        "nodes": len(org.nodes),
        "edges": len(written),
        "blocking tickets": len(blocked),
        "teams": teams,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=50_000, help="technical nodes")
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--repeat", type=int, default=2, help="runs of the full service pass")
    parser.add_argument(
        "--json", action="store_true", help="print every figure as one JSON object, last line"
    )
    parser.add_argument(
        "--curve",
        type=int,
        nargs="+",
        metavar="NODES",
        help="run once per size, each in its own process, and print time and memory by size",
    )
    parser.add_argument(
        "--profile", action="store_true", help="print where the incremental recompute spends"
    )
    parser.add_argument("--teams", type=int, default=40, help="owning teams (0: none)")
    parser.add_argument(
        "--scatter-teams",
        action="store_true",
        help="give each node a team at random (every pair of teams linked: the worst case "
        "for the map's counts by team) instead of a slice of the catalog each",
    )
    parser.add_argument(
        "--python-loops",
        action="store_true",
        help="run the engine's Python loops, not its compiled ones (dependencies.impact.kernel)",
    )
    args = parser.parse_args()
    if args.curve:
        curve(args)
        return

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not base.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL server (this measures PostgreSQL).")
    name = f"cataligent_bench_impact_{os.getpid()}"
    admin = psycopg.connect(_database_url(base, "postgres"), autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = _database_url(base, name)
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("FIELD_ENCRYPTION_KEY", "dGVzdC1vbmx5LWZpZWxkLWVuY3J5cHRpb24ta2V5LTA=")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cataligent.settings")
    try:
        figures = _run(args)
        if args.json:
            print(json.dumps(figures))
    finally:
        from django.db import connections

        connections.close_all()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _run(args: argparse.Namespace) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import F
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from bench.generate import organisation_of_size
    from dependencies import impact
    from dependencies.graph.changes import impact_change_recorded, impact_changed
    from dependencies.impact import kernel
    from dependencies.impact.gc_pause import collected_as_long_lived
    from dependencies.models import Edge, ImpactState, Node
    from dependencies.recompute.loader import load_graph
    from dependencies.recompute.runner import current_result, forget_cache, impact_recompute
    from dependencies.recompute.stored import differing_nodes
    from dependencies.recompute.writer import store_results
    from integrations.models import Ticket, TicketLink

    if args.python_loops:
        kernel.compiled = None
    call_command("migrate", verbosity=0)
    org, generated = _timed(lambda: organisation_of_size(args.nodes))
    counts, filled = _timed(lambda: _fill(org, teams=args.teams, scattered=args.scatter_teams))
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, PostgreSQL {pg_version}; "
        f"the engine's {kernel.description()}"
    )
    print(
        f"organisation: {counts['nodes']:,} nodes, {counts['edges']:,} edges, "
        f"{len(org.objectives):,} objectives, {counts['blocking tickets']:,} blocking tickets, "
        f"{counts['teams']:,} teams{' (scattered)' if args.scatter_teams else ''} "
        f"(generated in {generated:.1f} s, written with COPY in {filled:.1f} s)"
    )
    print()

    def row(
        label: str,
        seconds: float,
        target: str = "",
        limit: float | None = None,
        cpu: float | None = None,
    ) -> None:
        verdict = "" if limit is None else ("ok" if seconds <= limit else "MISSED")
        cpu_text = "" if cpu is None else _fmt(cpu)
        print(f"{label:<58}{_fmt(seconds)} {cpu_text:>11}   {target} {verdict}".rstrip())

    print(f"load average {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} at the start")
    print(f"{'measurement':<58}{'time':>11} {'CPU':>11}   target")
    # The three stages of a full recompute, as the recompute service runs them.
    # With the collector held off and what is kept counted as long-lived, as the
    # recompute service's full pass runs (dependencies/recompute/runner.py).
    with collected_as_long_lived():
        with CaptureQueriesContext(connection) as queries:
            loaded, load_time = _timed(load_graph)
        result, compute_time = _timed(
            lambda: impact.compute_impact(
                loaded.graph,
                now=timezone.now(),
                kept_node_since=loaded.nodes.kept_blocked_since(),
                previous_objectives=loaded.objectives,
            )
        )

    def store() -> Any:  # as the recompute service's full pass stores
        differing = differing_nodes(result, loaded.nodes)
        with transaction.atomic():
            # As the service's pass (runner._locked_state_row): derived data, no wait for
            # the commit to reach the disk.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
            return store_results(
                result,
                stored_nodes=loaded.nodes,
                stored_objectives=loaded.objectives,
                only_nodes=differing,
                version=1,
                reason="benchmark",
            )

    with collected_as_long_lived():
        written, store_time = _timed(store)
    load_cpu, compute_cpu, store_cpu = _cpu[-3:]
    rows = written.nodes_written + written.objectives_written
    row(
        f"load ({len(queries.captured_queries)} queries, includes building the graph)",
        load_time,
        cpu=load_cpu,
    )
    row("compute (pure engine)", compute_time, cpu=compute_cpu)
    row(f"store ({rows:,} rows changed, first run)", store_time, cpu=store_cpu)
    total = load_time + compute_time + store_time
    total_cpu = load_cpu + compute_cpu + store_cpu
    row("load + compute + store, first run", total, "≤ 10 s", 10, cpu=total_cpu)
    figures: dict[str, Any] = {
        "nodes_technical": args.nodes,
        "teams": args.teams,
        "teams_scattered": args.scatter_teams,
        "nodes": counts["nodes"],
        "edges": counts["edges"],
        "load_average_start": os.getloadavg(),
        "load_s": load_time,
        "compute_s": compute_time,
        "store_s": store_time,
        "first_run_s": total,
        "first_run_cpu_s": total_cpu,
        "rows_written_first_run": rows,
    }

    # The recompute service end to end: a full run with nothing to write, then incremental.
    # A new worker process: nothing cached, so it loads, computes and compares everything.
    service = []
    for _ in range(args.repeat):
        forget_cache()
        ImpactState.objects.update(requested=F("requested") + 1)
        service.append((_timed(lambda: impact_recompute(force=True))[1], _cpu[-1]))
    service_full = statistics.median(wall for wall, _ in service)
    service_cpu = statistics.median(cpu for _, cpu in service)
    row(
        f"recompute service, full, nothing changed (median of {len(service)})",
        service_full,
        "≤ 5 s",
        5,
        cpu=service_cpu,
    )
    figures.update(nothing_to_write_s=service_full, nothing_to_write_cpu_s=service_cpu)
    # The same forced pass in a worker that keeps its last result (the periodic safety net):
    # it re-reads every intrinsic state and recomputes only what differs (nothing here).
    warm = []
    for _ in range(args.repeat):
        ImpactState.objects.update(requested=F("requested") + 1)
        outcome = _timed(lambda: impact_recompute(force=True))
        assert outcome[0].incremental, "expected the cached graph to be used"
        warm.append((outcome[1], _cpu[-1]))
    row(
        f"  the same, in a worker with its cached graph (median of {len(warm)})",
        statistics.median(wall for wall, _ in warm),
        "≤ 5 s",
        5,
        cpu=statistics.median(cpu for _, cpu in warm),
    )
    figures.update(
        nothing_to_write_cached_s=statistics.median(wall for wall, _ in warm),
        nothing_to_write_cached_cpu_s=statistics.median(cpu for _, cpu in warm),
    )

    # As the ingest step does it: the ticket changes, the change names the nodes linked to
    # it (impact_changed(nodes=...)), and the recompute re-reads just those.
    impact_change_recorded.disconnect(dispatch_uid="dependencies.recompute.enqueue")
    links = list(
        TicketLink.objects.filter(node__isnull=False).values_list("ticket_id", "node_id")[
            : args.samples
        ]
    )
    incremental, incremental_cpu, written_rows = [], [], []
    updates_before = _node_updates()
    for ticket_id, node_id in links:
        Ticket.objects.filter(pk=ticket_id).update(is_blocking=False)

        def one_change(node_id: int = node_id) -> Any:
            impact_changed(nodes=[node_id], reason="bench: one ticket unblocked")
            return impact_recompute()

        if args.profile and ticket_id == links[-1][0]:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            outcome, seconds = profiler.runcall(lambda: _timed(one_change))
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        else:
            outcome, seconds = _timed(one_change)
        assert outcome.incremental, "expected the incremental path"
        incremental.append(seconds)
        incremental_cpu.append(_cpu[-1])
        written_rows.append(outcome.nodes_written + outcome.objectives_written)
    row(
        f"incremental, one ticket unblocked (median of {len(incremental)}, with I/O)",
        statistics.median(incremental),
        f"≤ 50 ms (max {_fmt(max(incremental)).strip()})",
        0.05,
        cpu=statistics.median(incremental_cpu),
    )
    print(
        f"{'  rows rewritten per change (median, max)':<58}"
        f"{statistics.median(written_rows):>8.0f} {max(written_rows):>11}"
    )
    updated, hot = (a - b for a, b in zip(_node_updates(), updates_before, strict=True))
    label = "  node rows updated: HOT (no index touched), all"
    print(f"{label:<58}{hot:>8,} {updated:>11,}")
    figures.update(incremental_node_updates=updated, incremental_node_hot_updates=hot)
    figures.update(
        incremental_median_s=statistics.median(incremental),
        incremental_max_s=max(incremental),
        incremental_cpu_s=statistics.median(incremental_cpu),
        incremental_rows_median=statistics.median(written_rows),
    )
    unscoped = []
    for ticket_id, _node_id in links[:5]:
        Ticket.objects.filter(pk=ticket_id).update(is_blocking=True)
        impact_changed(reason="bench: a change that names no node")
        unscoped.append(_timed(impact_recompute)[1])
    row(
        "incremental, a change naming no node (re-reads every node)",
        statistics.median(unscoped),
    )

    # As the graph's services do it: an edge added (then removed) names its source
    # (impact_changed(edges_of=...)), and the recompute rewires its cached graph.
    sources = list(
        Node.objects.filter(kind="capability").values_list("id", flat=True)[: args.samples]
    )
    targets = list(
        Node.objects.exclude(kind="capability")
        .order_by("-id")
        .values_list("id", flat=True)[: args.samples]
    )
    rewired, rewired_cpu = [], []
    for source_id, target_id in zip(sources, targets, strict=False):
        edge = Edge.objects.create(source_id=source_id, target_id=target_id)

        def edge_change(source_id: int = source_id) -> Any:
            impact_changed(edges_of=[source_id], reason="bench: an edge added or removed")
            return impact_recompute()

        for then in (edge.delete, None):  # added, then removed
            outcome, seconds = _timed(edge_change)
            assert outcome.incremental, "expected the incremental path"
            rewired.append(seconds)
            rewired_cpu.append(_cpu[-1])
            if then:
                then()
    row(
        f"incremental, one edge added or removed (median of {len(rewired)})",
        statistics.median(rewired),
        f"(max {_fmt(max(rewired)).strip()})",
        cpu=statistics.median(rewired_cpu),
    )
    figures.update(
        edge_change_median_s=statistics.median(rewired),
        edge_change_max_s=max(rewired),
        edge_change_cpu_s=statistics.median(rewired_cpu),
    )

    base_result = current_result()
    slugs = [n.slug for n in org.nodes[:: max(1, len(org.nodes) // args.samples)]][: args.samples]
    times = [_timed(lambda s=s: impact.what_if(base_result, block=[s]))[1] for s in slugs]
    row("what-if, one node, cached result (median)", statistics.median(times), "≤ 200 ms", 0.2)
    _, spof = _timed(lambda: impact.single_points_of_failure(base_result))
    row("single points of failure, whole graph", spof, "≤ 10 s", 10)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'peak memory of the process (maxrss)':<58}{peak:8.0f} MB   ≤ 1,536 MB")
    figures.update(peak_rss_mb=peak, load_average_end=os.getloadavg())
    return figures


def curve(args: argparse.Namespace) -> None:
    """One child process per size (each its own database and peak memory), then the table."""
    rows = []
    for nodes in args.curve:
        command = [sys.executable, "-m", "bench.impact_db", "--nodes", str(nodes), "--json"]
        command += ["--samples", str(args.samples), "--repeat", str(args.repeat)]
        command += ["--teams", str(args.teams)] + (["--scatter-teams"] * args.scatter_teams)
        command += ["--python-loops"] * args.python_loops
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        print(output, end="", file=sys.stderr)  # the full report of each size
        rows.append(json.loads(output.strip().splitlines()[-1]))
    print(
        f"{'technical':>10} {'edges':>10} {'first run':>10} {'CPU':>8} {'nothing':>8} "
        f"{'CPU':>8} {'increm.':>8} {'peak MB':>8} {'MB/1k':>6} {'load':>5}"
    )
    for one in rows:
        print(
            f"{one['nodes_technical']:>10,} {one['edges']:>10,} "
            f"{_fmt(one['first_run_s']).strip():>10} {_fmt(one['first_run_cpu_s']).strip():>8} "
            f"{_fmt(one['nothing_to_write_s']).strip():>8} "
            f"{_fmt(one['nothing_to_write_cpu_s']).strip():>8} "
            f"{_fmt(one['incremental_median_s']).strip():>8} {one['peak_rss_mb']:>8,.0f} "
            f"{1000 * one['peak_rss_mb'] / one['nodes']:>6.1f} "
            f"{one['load_average_start'][0]:>5.1f}"
        )
    print("(nothing: the recompute service with nothing to write; increm.: one ticket, median)")


if __name__ == "__main__":
    main()
