"""Benchmark of the pure impact engine on a generated organisation (issue 3).

    .venv/bin/python -m bench.impact               # 50,000 technical nodes, ~250,000 edges
    .venv/bin/python -m bench.impact --nodes 5000  # a tenth of it, for a quick run
    .venv/bin/python -m bench.impact --nodes 250000 --json   # the figures as JSON, last line
    .venv/bin/python -m bench.impact --curve 25000 50000 100000 250000   # cost against size

Not a timed test: it prints the numbers next to the targets. Times are medians over
`--repeat` runs (or over `--samples` random nodes) unless the line says otherwise; CPU
times (`time.process_time`) are printed next to wall times, because on a shared machine
they vary less. `--curve` runs one process per size (peak memory is per process) and
prints time and memory against size. The database part (load and store on PostgreSQL) is
bench/impact_db.py.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TypeVar

import networkx as nx

from bench.generate import Organisation, organisation_of_size
from dependencies.impact import (
    GraphColumns,
    ImpactResult,
    State,
    build_graph,
    build_graph_from_columns,
    compute_impact,
    kernel,
    single_points_of_failure,
    update_impact,
    what_if,
)

T = TypeVar("T")
NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=1)

# Targets of issues 3 (50,000 nodes) and 17 (250,000), on a 2-core machine.
FULL_TARGET = 1.5  # seconds, issue 3, at 50,000 technical nodes
FLOOR_FACTOR_TARGET = 2.0  # full recompute / floor A, issue 17
INCREMENTAL_TARGET = 0.050
WHAT_IF_TARGET = 0.200
SPOF_TARGET = 10.0
MEMORY_TARGET_MB = 1_536


def timed(function: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def timed_cpu(function: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - wall, time.process_time() - cpu


def median_time(function: Callable[[], object], repeat: int) -> float:
    return statistics.median(timed(function)[0] for _ in range(repeat))


def median_times(function: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall and median CPU seconds over `repeat` calls."""
    runs = [timed_cpu(function) for _ in range(repeat)]
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def machine() -> dict[str, object]:
    model = ""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            names = (line.split(":", 1)[1] for line in cpuinfo if line.startswith("model name"))
            model = next(names, "").strip()
    except OSError:
        pass
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpus": len(os.sched_getaffinity(0)),
        "cpu_model": model,
        "memory_gib": round(memory_gib, 1),
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
        "networkx": nx.__version__,
        "engine_loops": kernel.description(),
    }


def duration(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    return f"{seconds * 1000:.1f} ms" if seconds < 0.1 else f"{seconds * 1000:.0f} ms"


def row(label: str, value: str, target: str = "", verdict: str = "", note: str = "") -> None:
    print(f"{label:<52} {value:>10} {target:>10}  {verdict:<8} {note}".rstrip())


def check(value: float, target: float) -> str:
    return "ok" if value <= target else f"MISSED ({value / target:.1f}x)"


def floor_times(org: Organisation) -> tuple[float, float, float]:
    """Seconds for (A) one topological sort of the condensation, and (B) building the
    networkx DiGraph and its condensation plus that sort, on the graph the engine sees:
    nodes and objectives, edges and requirements; and the CPU seconds of A."""
    start = time.perf_counter()
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_nodes_from(node.slug for node in org.nodes)
    graph.add_nodes_from(objective.key for objective in org.objectives)
    graph.add_edges_from((edge.source, edge.target) for edge in org.edges)
    graph.add_edges_from(
        (objective.key, requirement.node)
        for objective in org.objectives
        for requirement in objective.requires
    )
    condensation = nx.condensation(graph)
    del graph
    sort_start, cpu_start = time.perf_counter(), time.process_time()
    list(nx.topological_sort(condensation))
    end, cpu_end = time.perf_counter(), time.process_time()
    return end - sort_start, end - start, cpu_end - cpu_start


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the pure impact engine.")
    parser.add_argument("--nodes", type=int, default=50_000, help="technical nodes (50,000)")
    parser.add_argument("--seed", type=int, default=20_260_501)
    parser.add_argument("--repeat", type=int, default=5, help="runs per timing (5)")
    parser.add_argument("--samples", type=int, default=30, help="random nodes tried (30)")
    parser.add_argument("--no-spof", action="store_true", help="skip single points of failure")
    parser.add_argument(
        "--no-tracemalloc", action="store_true", help="skip the traced memory run (slow)"
    )
    parser.add_argument(
        "--json", action="store_true", help="print every figure as one JSON object, last line"
    )
    parser.add_argument(
        "--python-loops",
        action="store_true",
        help="run the engine's Python loops, not its compiled ones (dependencies.impact.kernel)",
    )
    parser.add_argument(
        "--curve",
        type=int,
        nargs="+",
        metavar="NODES",
        help="run once per size, each in its own process, and print time and memory by size",
    )
    args = parser.parse_args()
    if args.python_loops:
        kernel.compiled = None
    if args.curve:
        curve(args)
        return
    figures = run(args)
    if args.json:
        print(json.dumps(figures))


def run(args: argparse.Namespace) -> dict[str, object]:
    """Print the measurements; return them as plain numbers (seconds, MB) for `--json`."""
    figures: dict[str, object] = {"nodes_technical": args.nodes, "machine": machine()}
    generated, org = timed(partial(organisation_of_size, args.nodes, seed=args.seed))
    grouped = sum(1 for edge in org.edges if edge.redundancy_group)
    info = figures["machine"]
    assert isinstance(info, dict)
    print(
        f"machine: {platform.machine()}, {info['cpus']} CPUs ({info['cpu_model']}), "
        f"{info['memory_gib']} GiB, load average {info['load_average'][0]:.1f}; "
        f"Python {info['python']}, networkx {info['networkx']}; the engine's {info['engine_loops']}"
    )
    print(
        f"organisation: {len(org.nodes):,} nodes ({args.nodes:,} technical), "
        f"{len(org.edges):,} edges ({grouped / max(1, len(org.edges)):.0%} in redundancy "
        f"groups), {len(org.objectives):,} objectives; generated in {generated:.1f} s"
    )
    figures.update(nodes=len(org.nodes), edges=len(org.edges), objectives=len(org.objectives))

    # As the product runs it: the loader reads the edges as columns (node positions, not
    # Edge objects) and builds with `build_graph_from_columns`.
    columns = columns_of(org)

    def full() -> ImpactResult:
        return compute_impact(build_graph_from_columns(columns, org.objectives), now=NOW)

    result = full()
    describe(result)
    print()
    row("measurement", "time", "target", "verdict")

    # --- full recompute and the floor -------------------------------------------------
    full_seconds, full_cpu = median_times(full, args.repeat)
    build_seconds, build_cpu = median_times(
        partial(build_graph_from_columns, columns, org.objectives), args.repeat
    )
    objects_seconds, objects_cpu = median_times(
        partial(build_graph, org.nodes, org.edges, org.objectives), args.repeat
    )
    row(
        "full recompute (build graph from columns, propagate)",
        duration(full_seconds),
        duration(FULL_TARGET) if args.nodes <= 50_000 else "",
        check(full_seconds, FULL_TARGET) if args.nodes <= 50_000 else "",
        f"CPU {duration(full_cpu)}",
    )
    row(
        "  of which building the graph and its order",
        duration(build_seconds),
        note=f"CPU {duration(build_cpu)}",
    )
    row(
        "  (building it from Edge objects instead)",
        duration(objects_seconds),
        note=f"CPU {duration(objects_cpu)}; bench/generate's input, tests, catalog import",
    )
    row(
        "  of which propagation and results",
        duration(max(0.0, full_seconds - build_seconds)),
        note=f"CPU {duration(max(0.0, full_cpu - build_cpu))}",
    )
    row(
        "  reading every node's and objective's result",
        duration(timed(partial(read_all, result))[0]),
        note="made on lookup, e.g. by the writer",
    )
    floors = [floor_times(org) for _ in range(args.repeat)]
    sort_seconds = statistics.median(sort for sort, _, _ in floors)
    sort_cpu = statistics.median(cpu for _, _, cpu in floors)
    condensation_seconds = statistics.median(total for _, total, _ in floors)
    ratio = full_seconds / sort_seconds
    row(
        "floor A: nx.topological_sort of the condensation",
        duration(sort_seconds),
        f"{FLOOR_FACTOR_TARGET:.0f}x",
        check(ratio, FLOOR_FACTOR_TARGET),
        f"full recompute = {ratio:.1f}x floor A; by CPU time {duration(sort_cpu)}, "
        f"{full_cpu / sort_cpu:.1f}x",
    )
    row(
        "floor B: nx.DiGraph + condensation + that sort",
        duration(condensation_seconds),
        note=f"full recompute = {full_seconds / condensation_seconds:.2f}x floor B",
    )
    figures.update(
        full_recompute_s=full_seconds,
        full_recompute_cpu_s=full_cpu,
        build_graph_s=build_seconds,
        build_graph_cpu_s=build_cpu,
        build_graph_from_objects_s=objects_seconds,
        build_graph_from_objects_cpu_s=objects_cpu,
        floor_a_s=sort_seconds,
        floor_a_cpu_s=sort_cpu,
        floor_b_s=condensation_seconds,
        full_over_floor_a=ratio,
        full_over_floor_a_cpu=full_cpu / sort_cpu,
    )

    # --- incremental update after one ticket change -----------------------------------
    rng = random.Random(args.seed)
    technical = org.technical_slugs
    samples = rng.sample(technical, min(args.samples, len(technical)))
    times, changed = [], []
    for slug in samples:
        flipped = State.OPERATIONAL if result.nodes[slug].intrinsic_state else State.BLOCKED
        seconds, update = timed(
            partial(update_impact, result, now=LATER, intrinsic={slug: flipped})
        )
        times.append(seconds)
        changed.append(len(update.changed_nodes) + len(update.changed_objectives))
    times.sort()
    changed.sort()
    incremental = statistics.median(times)
    row(
        f"incremental: one node's state flipped (median of {len(samples)})",
        duration(incremental),
        duration(INCREMENTAL_TARGET),
        check(incremental, INCREMENTAL_TARGET),
        f"p90 {duration(times[int(len(times) * 0.9)])}, max {duration(times[-1])}; "
        f"items changed: median {statistics.median(changed):.0f}, max {changed[-1]:,}",
    )
    figures.update(incremental_median_s=incremental, incremental_max_s=times[-1])
    bottlenecks = result.bottlenecks
    if bottlenecks:
        top = bottlenecks[0].node
        seconds = median_time(
            partial(update_impact, result, now=LATER, intrinsic={top: State.OPERATIONAL}),
            args.repeat,
        )
        row("  the top bottleneck resolved", duration(seconds), note=top)
    source = samples[0]
    kept_edges = [edge for edge in org.edges if edge.source == source][1:]
    seconds = median_time(
        partial(update_impact, result, now=LATER, dependencies={source: kept_edges}),
        args.repeat,
    )
    row("  one edge removed", duration(seconds), note=f"from {source}")

    # --- what-if ------------------------------------------------------------------------
    what_if_times = sorted(timed(partial(what_if, result, block=[slug]))[0] for slug in samples)
    median_what_if = statistics.median(what_if_times)
    row(
        f"what-if: one node blocked (median of {len(samples)})",
        duration(median_what_if),
        duration(WHAT_IF_TARGET),
        check(median_what_if, WHAT_IF_TARGET),
        f"max {duration(what_if_times[-1])}",
    )
    if bottlenecks:
        seconds, outcome = timed(partial(what_if, result, unblock=[bottlenecks[0].node]))
        row(
            "  the top bottleneck unblocked",
            duration(seconds),
            note=f"{len(outcome.objectives)} objectives change, value at risk "
            f"{outcome.value_at_risk_delta:+,} per week",
        )
    graph = result.graph
    widest = max(technical, key=lambda slug: len(graph.dependents[graph.node_index[slug]]))
    widest_times = [timed(partial(what_if, result, block=[widest])) for _ in range(args.repeat)]
    seconds = statistics.median(seconds for seconds, _ in widest_times)
    outcome = widest_times[0][1]
    row(
        f"  the node with most dependents blocked (median of {args.repeat})",
        duration(seconds),
        duration(WHAT_IF_TARGET),
        check(seconds, WHAT_IF_TARGET),
        note=f"{widest}: {len(outcome.nodes):,} nodes change",
    )
    scenario_seconds = timed(partial(getattr, outcome, "scenario"))[0]
    row(
        "    and its whole scenario with root causes, if asked for",
        duration(scenario_seconds),
        note="made on first use; the what-if page shows only the changes",
    )
    figures.update(
        what_if_median_s=median_what_if,
        what_if_widest_s=seconds,
        what_if_widest_scenario_s=scenario_seconds,
    )
    del widest_times, outcome

    # --- single points of failure -----------------------------------------------------
    if not args.no_spof:
        seconds, points = timed(partial(single_points_of_failure, result))
        open_objectives = sum(1 for o in result.objectives.values() if o.state != State.BLOCKED)
        row(
            "single points of failure, whole graph",
            duration(seconds),
            duration(SPOF_TARGET),
            check(seconds, SPOF_TARGET),
            f"{len(points):,} nodes, each alone blocking one or more of the "
            f"{open_objectives} objectives not blocked now",
        )
        figures.update(single_points_of_failure_s=seconds)

    # --- memory -------------------------------------------------------------------------
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    row(
        "peak memory, whole process (maxrss)",
        f"{peak_mb:,.0f} MB",
        f"{MEMORY_TARGET_MB:,} MB",
        check(peak_mb, MEMORY_TARGET_MB),
        "includes the generated input, the floors' networkx graphs and every result above",
    )
    figures.update(peak_rss_mb=peak_mb)
    if not args.no_tracemalloc:
        del result
        gc.collect()
        tracemalloc.start()
        traced = full()
        full_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        if not args.no_spof:
            single_points_of_failure(traced)
        spof_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        row(
            "  engine allocations, full recompute (tracemalloc)",
            f"{full_peak / 2**20:,.0f} MB",
            note="peak while building and computing; the input is not counted",
        )
        figures.update(engine_full_recompute_mb=full_peak / 2**20)
        if not args.no_spof:
            row(
                "  engine allocations, single points of failure",
                f"{spof_peak / 2**20:,.0f} MB",
                note="peak, on top of the result it reads",
            )
            figures.update(engine_single_points_of_failure_mb=spof_peak / 2**20)
    return figures


def columns_of(org: Organisation) -> GraphColumns:
    """The organisation as the PostgreSQL loader hands it to the engine: parallel lists,
    edges by node position (dependencies.recompute.loader.load_graph)."""
    position = {node.slug: index for index, node in enumerate(org.nodes)}
    return GraphColumns(
        slugs=[node.slug for node in org.nodes],
        kinds=[node.kind for node in org.nodes],
        intrinsic=[node.intrinsic_state for node in org.nodes],
        sources=[position[edge.source] for edge in org.edges],
        targets=[position[edge.target] for edge in org.edges],
        criticalities=[str(edge.criticality) for edge in org.edges],
        groups=[edge.redundancy_group or "" for edge in org.edges],
        min_operational=[edge.min_operational for edge in org.edges],
    )


def read_all(result: ImpactResult) -> None:
    for _ in result.nodes.values():
        pass
    for _ in result.objectives.values():
        pass


def curve(args: argparse.Namespace) -> None:
    """One child process per size (so each has its own peak memory), then the table."""
    rows = []
    for nodes in args.curve:
        command = [sys.executable, "-m", "bench.impact", "--nodes", str(nodes), "--json"]
        command += ["--repeat", str(args.repeat), "--samples", str(args.samples)]
        command += ["--seed", str(args.seed), "--no-tracemalloc"]
        if args.no_spof:
            command.append("--no-spof")
        if args.python_loops:
            command.append("--python-loops")
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        print(output, end="", file=sys.stderr)  # the full report of each size
        rows.append(json.loads(output.strip().splitlines()[-1]))
    print(
        f"{'technical':>10} {'edges':>10} {'full':>8} {'CPU':>8} {'CPU/1k':>8} {'floor A':>8} "
        f"{'ratio':>6} {'CPU ratio':>9} {'what-if*':>9} {'SPOF':>8} {'peak MB':>8} "
        f"{'MB/1k':>6}"
    )
    for one in rows:
        cpu = float(one["full_recompute_cpu_s"])
        print(
            f"{one['nodes_technical']:>10,} {one['edges']:>10,} "
            f"{duration(float(one['full_recompute_s'])):>8} {duration(cpu):>8} "
            f"{1e6 * cpu / float(one['nodes']):>6.1f}ms {duration(float(one['floor_a_s'])):>8} "
            f"{float(one['full_over_floor_a']):>5.1f}x "
            f"{float(one['full_over_floor_a_cpu']):>8.1f}x "
            f"{duration(float(one['what_if_widest_s'])):>9} "
            f"{duration(float(one.get('single_points_of_failure_s', 0))):>8} "
            f"{float(one['peak_rss_mb']):>8,.0f} "
            f"{1000 * float(one['peak_rss_mb']) / float(one['nodes']):>6.1f}"
        )
    print("(CPU/1k: CPU ms per 1,000 nodes; * what-if: the node with most dependents blocked)")
    if args.json:
        print(json.dumps(rows))


def describe(result: ImpactResult) -> None:
    capabilities = [n for n in result.nodes.values() if n.kind == "capability"]
    blocked_capabilities = sum(1 for n in capabilities if n.state == State.BLOCKED)
    blocked_objectives = sum(1 for o in result.objectives.values() if o.state == State.BLOCKED)
    print(
        f"state: {blocked_capabilities:,} of {len(capabilities):,} capabilities and "
        f"{blocked_objectives} of {len(result.objectives)} objectives blocked; "
        f"{len(result.cycles)} cycles ({sum(len(c) for c in result.cycles)} nodes); "
        f"{len(result.bottlenecks):,} bottlenecks; value at risk "
        f"{result.value_at_risk:,} per week"
    )


if __name__ == "__main__":
    main()
