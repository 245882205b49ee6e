"""Benchmark of the pure impact engine on a generated organisation (issue 3).

    .venv/bin/python -m bench.impact               # 50,000 technical nodes, ~250,000 edges
    .venv/bin/python -m bench.impact --nodes 5000  # a tenth of it, for a quick run

Not a timed test: it prints the numbers next to the targets. Times are medians over
`--repeat` runs (or over `--samples` random nodes) unless the line says otherwise. The
database part (load and store on PostgreSQL) is added by the loader's own step.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TypeVar

import networkx as nx

from bench.generate import Organisation, organisation_of_size
from dependencies.impact import (
    ImpactResult,
    State,
    build_graph,
    compute_impact,
    single_points_of_failure,
    update_impact,
    what_if,
)

T = TypeVar("T")
NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=1)

# Targets of issue 3, on a 2-core machine.
FULL_TARGET = 1.5
FLOOR_FACTOR_TARGET = 5.0
INCREMENTAL_TARGET = 0.050
WHAT_IF_TARGET = 0.200
SPOF_TARGET = 10.0
MEMORY_TARGET_MB = 1_536


def timed(function: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def median_time(function: Callable[[], object], repeat: int) -> float:
    return statistics.median(timed(function)[0] for _ in range(repeat))


def duration(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    return f"{seconds * 1000:.1f} ms" if seconds < 0.1 else f"{seconds * 1000:.0f} ms"


def row(label: str, value: str, target: str = "", verdict: str = "", note: str = "") -> None:
    print(f"{label:<52} {value:>10} {target:>10}  {verdict:<8} {note}".rstrip())


def check(value: float, target: float) -> str:
    return "ok" if value <= target else f"MISSED ({value / target:.1f}x)"


def floor_times(org: Organisation) -> tuple[float, float]:
    """Seconds for (A) one topological sort of the condensation, and (B) building the
    networkx DiGraph and its condensation plus that sort, on the graph the engine sees:
    nodes and objectives, edges and requirements."""
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
    sort_start = time.perf_counter()
    list(nx.topological_sort(condensation))
    end = time.perf_counter()
    return end - sort_start, end - start


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
    args = parser.parse_args()

    generated, org = timed(partial(organisation_of_size, args.nodes, seed=args.seed))
    grouped = sum(1 for edge in org.edges if edge.redundancy_group)
    print(
        f"machine: {platform.machine()}, {len(os.sched_getaffinity(0))} CPUs, "
        f"Python {platform.python_version()}, networkx {nx.__version__}"
    )
    print(
        f"organisation: {len(org.nodes):,} nodes ({args.nodes:,} technical), "
        f"{len(org.edges):,} edges ({grouped / max(1, len(org.edges)):.0%} in redundancy "
        f"groups), {len(org.objectives):,} objectives; generated in {generated:.1f} s"
    )

    def full() -> ImpactResult:
        return compute_impact(build_graph(org.nodes, org.edges, org.objectives), now=NOW)

    result = full()
    describe(result)
    print()
    row("measurement", "time", "target", "verdict")

    # --- full recompute and the floor -------------------------------------------------
    full_seconds = median_time(full, args.repeat)
    build_seconds = median_time(
        partial(build_graph, org.nodes, org.edges, org.objectives), args.repeat
    )
    row(
        "full recompute (build graph, propagate, results)",
        duration(full_seconds),
        duration(FULL_TARGET),
        check(full_seconds, FULL_TARGET),
    )
    row("  of which building the graph and its order", duration(build_seconds))
    row("  of which propagation and results", duration(full_seconds - build_seconds))
    floors = [floor_times(org) for _ in range(args.repeat)]
    sort_seconds = statistics.median(sort for sort, _ in floors)
    condensation_seconds = statistics.median(total for _, total in floors)
    ratio = full_seconds / sort_seconds
    row(
        "floor A: nx.topological_sort of the condensation",
        duration(sort_seconds),
        f"{FLOOR_FACTOR_TARGET:.0f}x",
        check(ratio, FLOOR_FACTOR_TARGET),
        f"full recompute = {ratio:.1f}x floor A",
    )
    row(
        "floor B: nx.DiGraph + condensation + that sort",
        duration(condensation_seconds),
        note=f"full recompute = {full_seconds / condensation_seconds:.2f}x floor B",
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
    seconds, outcome = timed(partial(what_if, result, block=[widest]))
    row(
        "  the node with most dependents blocked",
        duration(seconds),
        check(seconds, WHAT_IF_TARGET),
        note=f"{widest}: {len(outcome.nodes):,} nodes change",
    )

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

    # --- memory -------------------------------------------------------------------------
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    row(
        "peak memory, whole process (maxrss)",
        f"{peak_mb:,.0f} MB",
        f"{MEMORY_TARGET_MB:,} MB",
        check(peak_mb, MEMORY_TARGET_MB),
        "includes the generated input and every result above",
    )
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
        if not args.no_spof:
            row(
                "  engine allocations, single points of failure",
                f"{spof_peak / 2**20:,.0f} MB",
                note="peak, on top of the result it reads",
            )


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
