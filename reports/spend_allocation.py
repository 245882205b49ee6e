"""The allocation the `spend` report reads, month by month, cached while nothing it rests on
changes.

Allocation is linear in the costs, so a window's allocation is the sum of its months'
allocations, each weighted by the share of the month the window covers. A month's allocation
depends only on the graph's shape and the cost lines: it is cached under a key made of both
(the graph's structure counter, which every change of nodes, edges and requirements bumps, and
a costs version every write of cost lines renews), so an edit makes a new key. Reading
the 250,000 edges of a large organisation and walking them is done once per shape and month,
not once per request.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import Sum

from dependencies.recompute.loader import impact_state
from reports import loaders
from reports.allocation import allocate
from reports.models import CostLine
from reports.support import SupportGraph

CACHE_SECONDS = 24 * 3600
VERSION_KEY = "reports:costs:version"
ZERO = Decimal(0)


@dataclass
class MonthAllocation:
    """One month's cost as the report needs it (node and objective ids -> amounts)."""

    total: Decimal = ZERO
    capabilities: dict[int, Decimal] = field(default_factory=dict)
    objectives: dict[int, Decimal] = field(default_factory=dict)
    unallocated: dict[int, Decimal] = field(default_factory=dict)
    cycles: list[list[int]] = field(default_factory=list)


@dataclass
class WindowAllocation:
    total: Decimal
    capabilities: dict[int, Decimal]
    objectives: dict[int, Decimal]
    unallocated: dict[int, Decimal]
    cycles: list[list[int]]
    # capability id -> ids of the objectives resting on it (directly or through other nodes)
    resting: dict[int, tuple[int, ...]]


def _graph_key() -> int:
    """The graph's shape counter: every service that adds, removes or changes a node, an edge
    or a requirement bumps it (`impact_changed(structure=True)`), and so does the admin."""
    return impact_state().structure


def costs_version() -> str:
    """A token that changes whenever a cost line does (`costs_changed`); kept in the cache,
    so a cache that lost it starts a new one, and nothing stale is read."""
    version = cache.get(VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        cache.add(VERSION_KEY, version, None)
        version = cache.get(VERSION_KEY) or version
    return str(version)


def costs_changed() -> None:
    """Every write of cost lines calls this (services, import, admin, signals)."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)


def window_allocation(
    weights: Mapping[dt.date, Decimal], capability_ids: Iterable[int]
) -> WindowAllocation:
    """The weighted sum of the months' allocations; computes (and caches) the missing ones."""
    capability_ids = list(capability_ids)
    graph_key = _graph_key()
    version = costs_version()
    keys = {month: f"reports:spend:month:{graph_key}:{month:%Y-%m}:{version}" for month in weights}
    resting_key = f"reports:spend:resting:{graph_key}"
    found = cache.get_many([*keys.values(), resting_key])
    missing = [month for month, key in keys.items() if key not in found]
    graph: SupportGraph | None = None
    if missing or resting_key not in found:
        graph = loaders.support_graph()
    fresh: dict[str, Any] = {}
    if resting_key not in found:
        fresh[resting_key] = {
            pk: tuple(sorted(graph.objectives_of(graph.upstream(pk))))  # type: ignore[union-attr]
            for pk in capability_ids
        }
    if missing:
        assert graph is not None
        months = _allocate_months(missing, graph, set(capability_ids))
        fresh.update({keys[m]: months[m] for m in missing})
    found.update(fresh)
    # Cache only what was read while neither the graph nor the costs changed: a change that
    # committed during the read could otherwise be stored under the old key.
    if fresh and (_graph_key(), costs_version()) == (graph_key, version):
        cache.set_many(fresh, CACHE_SECONDS)

    result = WindowAllocation(ZERO, {}, {}, {}, [], found[resting_key])
    seen_cycles: set[tuple[int, ...]] = set()
    for month, key in keys.items():
        month_allocation: MonthAllocation = found[key]
        weight = weights[month]
        result.total += month_allocation.total * weight
        for target, source in (
            (result.capabilities, month_allocation.capabilities),
            (result.objectives, month_allocation.objectives),
            (result.unallocated, month_allocation.unallocated),
        ):
            for pk, amount in source.items():
                target[pk] = target.get(pk, ZERO) + amount * weight
        for cycle in month_allocation.cycles:
            if tuple(cycle) not in seen_cycles:
                seen_cycles.add(tuple(cycle))
                result.cycles.append(cycle)
    return result


def _allocate_months(
    months: list[dt.date], graph: SupportGraph, capability_ids: set[int]
) -> dict[dt.date, MonthAllocation]:
    """Each month's costs (one grouped query for all of them), allocated up the graph."""
    costs: dict[dt.date, dict[int, Decimal]] = defaultdict(dict)
    rows = (
        CostLine.objects.filter(month__in=months)
        .values("month", "node_id")
        .annotate(total=Sum("amount"))
        .values_list("month", "node_id", "total")
    )
    for month, node_id, total in rows.iterator(chunk_size=10_000):
        costs[month][node_id] = total
    found = {}
    for month in months:
        allocation = allocate(costs[month], graph.dependents, graph.required_by)
        found[month] = MonthAllocation(
            total=sum(costs[month].values(), ZERO),
            capabilities={
                pk: amount for pk, amount in allocation.spend.items() if pk in capability_ids
            },
            objectives=allocation.objectives,
            unallocated=allocation.unallocated,
            cycles=[sorted(c) for c in allocation.cycles],
        )
    return found
