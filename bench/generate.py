"""A deterministic synthetic organisation for the impact benchmarks.

The shape imitates a large enterprise: technical nodes live in domains (lending, payments,
HR, ...), each with tiers that depend downwards (services → integrations → data →
infrastructure → vendors); a shared platform (identity, network, cloud accounts) sits under
every domain. Capabilities rest on a few services of one or two domains; objectives require a
few capabilities and now and then a technical node directly.

Half the edges and requirements are soft and 2 % of the technical nodes are blocked, spread
evenly: a bad day, on which about half the capabilities and two thirds of the objectives are
blocked. That keeps root-cause sets realistic in size and still leaves objectives that are
not blocked, for the single-points-of-failure search.

The same seed always gives the same organisation, so the pure, database and web benchmarks
can be compared with each other and across runs.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from decimal import Decimal

from dependencies.impact.model import Criticality, Edge, Node, Objective, Requirement, State

__all__ = ["Organisation", "generate_organisation", "organisation_of_size"]

# Tiers of a domain, top first, with their share of the domain's technical nodes. A node
# depends on nodes of the tiers below its own.
TIERS: tuple[tuple[str, float], ...] = (
    ("service", 0.30),
    ("process", 0.05),
    ("integration", 0.20),
    ("data", 0.20),
    ("infrastructure", 0.20),
    ("vendor", 0.05),
)
PLATFORM_SHARE = 0.02  # of technical nodes: shared by every domain
CROSS_DOMAIN_SHARE = 0.03  # of technical edges: to another domain
SOFT_SHARE = 0.50  # of edges and requirements
DEGRADED_SHARE = 0.005  # of technical nodes: manual override "degraded"
PLATFORM_EDGE_SHARE = 0.08  # of technical edges: to the shared platform
EDGE_PADDING = 1.05  # duplicate picks are dropped; this lands near the edges asked for
POPULARITY = 2.0  # skew of dependency targets towards popular nodes (1 = uniform)


@dataclass(frozen=True)
class Organisation:
    """The engine's plain inputs."""

    nodes: list[Node]
    edges: list[Edge]
    objectives: list[Objective]

    @property
    def technical_slugs(self) -> list[str]:
        return [node.slug for node in self.nodes if node.kind != "capability"]


def generate_organisation(
    *,
    objectives: int = 500,
    capabilities: int = 2_000,
    technical: int = 50_000,
    edges: int = 250_000,
    group_share: float = 0.10,
    cycles: int = 5,
    blocked_share: float = 0.02,
    domains: int | None = None,
    seed: int = 20_260_501,
) -> Organisation:
    """Generate `technical` + `capabilities` nodes, about `edges` edges and `objectives`.

    About `group_share` of the edges are in redundancy groups of 2 to 4 members (min
    operational 1 most of the time), `cycles` short dependency cycles are planted, and
    `blocked_share` of the technical nodes are intrinsically blocked.
    """
    rng = random.Random(seed)
    domains = domains or max(1, technical // 500)
    nodes: list[Node] = []
    edge_list: list[Edge] = []

    # --- technical nodes: a shared platform, then the domains, each tier by tier --------
    platform_size = max(1, int(technical * PLATFORM_SHARE))
    platform = [f"platform-{i:05d}" for i in range(platform_size)]
    for i, slug in enumerate(platform):
        kind = "vendor" if i % 5 == 0 else "infrastructure"
        nodes.append(Node(slug, kind))

    # tiers_by_domain[d][t] lists the slugs of tier t of domain d.
    tiers_by_domain: list[list[list[str]]] = []
    per_domain = (technical - platform_size) // domains
    extra = (technical - platform_size) - per_domain * domains
    for d in range(domains):
        size = per_domain + (1 if d < extra else 0)
        tiers: list[list[str]] = []
        start = 0
        for t, (kind, share) in enumerate(TIERS):
            count = size - start if t == len(TIERS) - 1 else round(size * share)
            slugs = [f"d{d:03d}-{kind}-{i:04d}" for i in range(count)]
            nodes.extend(Node(slug, kind) for slug in slugs)
            tiers.append(slugs)
            start += count
        tiers_by_domain.append(tiers)

    capability_slugs = [f"capability-{i:05d}" for i in range(capabilities)]
    nodes.extend(Node(slug, "capability") for slug in capability_slugs)

    # --- capability edges: 3 to 8 services or integrations of one or two domains -------
    capability_edges: list[tuple[str, list[str]]] = []
    for slug in capability_slugs:
        home = rng.randrange(domains)
        other = rng.randrange(domains)
        pool = tiers_by_domain[home][0] + tiers_by_domain[home][2][:20]
        chosen = rng.sample(pool, min(len(pool), rng.randint(3, 8)))
        if rng.random() < 0.3:
            chosen.append(rng.choice(tiers_by_domain[other][0]))
        capability_edges.append((slug, chosen))
    capability_edge_count = sum(len(targets) for _, targets in capability_edges)

    # --- technical edges: spread the rest over the nodes of every tier but the last ----
    technical_budget = max(0, edges - capability_edge_count - cycles * 3)
    sources: list[tuple[int, int, str]] = [
        (d, t, slug)
        for d, tiers in enumerate(tiers_by_domain)
        for t, slugs in enumerate(tiers[:-1])
        for slug in slugs
    ]
    technical_edges: list[tuple[str, list[str]]] = []
    # Duplicate picks are dropped below; ask for a little more to land near `edges`.
    per_source = EDGE_PADDING * technical_budget / max(1, len(sources))
    for d, t, slug in sources:
        targets: list[str] = []
        for _ in range(_around(rng, per_source)):
            roll = rng.random()
            if roll < CROSS_DOMAIN_SHARE:
                targets.append(_pick_below(rng, tiers_by_domain[rng.randrange(domains)], t))
            elif roll < CROSS_DOMAIN_SHARE + PLATFORM_EDGE_SHARE:
                targets.append(_pick_popular(rng, platform))
            else:
                targets.append(_pick_below(rng, tiers_by_domain[d], t))
        technical_edges.append((slug, sorted(set(targets))))

    # --- criticality and redundancy groups, edge by edge --------------------------------
    # Chance that the next edges of a source start a group, so that about `group_share`
    # of all edges end up in groups (sources have few edges, so groups stay small).
    group_start = group_share / (2 * (1 - group_share) + group_share)
    group_counter = 0
    for source, targets in capability_edges + technical_edges:
        remaining = list(targets)
        rng.shuffle(remaining)
        while remaining:
            if len(remaining) >= 2 and rng.random() < group_start:
                size = min(len(remaining), rng.randint(2, 4))
                members, remaining = remaining[:size], remaining[size:]
                group_counter += 1
                label = f"g{group_counter}"
                min_operational = 1 if rng.random() < 0.7 else rng.randint(2, size)
                for target in members:
                    edge_list.append(
                        Edge(source, target, _criticality(rng), label, min_operational)
                    )
            else:
                edge_list.append(Edge(source, remaining.pop(), _criticality(rng)))

    # --- a few cycles: follow a chain of dependencies and close it ---------------------
    dependencies: dict[str, list[str]] = {}
    for edge in edge_list:
        dependencies.setdefault(edge.source, []).append(edge.target)
    planted = 0
    while planted < cycles and dependencies:
        chain = [rng.choice(sources)[2]]
        while len(chain) < 4 and chain[-1] in dependencies:
            chain.append(rng.choice(dependencies[chain[-1]]))
        if len(chain) >= 2 and len(set(chain)) == len(chain):
            edge_list.append(Edge(chain[-1], chain[0], Criticality.HARD))
            planted += 1

    # --- intrinsic states ---------------------------------------------------------------
    technical_indexes = [i for i, node in enumerate(nodes) if node.kind != "capability"]
    blocked = rng.sample(technical_indexes, int(len(technical_indexes) * blocked_share))
    degraded = rng.sample(technical_indexes, int(len(technical_indexes) * DEGRADED_SHARE))
    for i in degraded:
        nodes[i] = Node(nodes[i].slug, nodes[i].kind, State.DEGRADED)
    for i in blocked:
        nodes[i] = Node(nodes[i].slug, nodes[i].kind, State.BLOCKED)

    # --- objectives ---------------------------------------------------------------------
    objective_list: list[Objective] = []
    technical_slugs = [nodes[i].slug for i in technical_indexes]
    for i in range(objectives):
        required = rng.sample(capability_slugs, min(len(capability_slugs), rng.randint(2, 6)))
        requires = [Requirement(slug, _criticality(rng)) for slug in required]
        if rng.random() < 0.1:
            requires.append(Requirement(rng.choice(technical_slugs), Criticality.HARD))
        value = Decimal(rng.randrange(5, 400) * 1000)
        objective_list.append(Objective(f"OBJ-{i + 1}", value, tuple(requires)))

    return Organisation(nodes, edge_list, objective_list)


def organisation_of_size(technical: int = 50_000, *, seed: int = 20_260_501) -> Organisation:
    """The benchmark organisation, scaled: 500 objectives, 2,000 capabilities and 250,000
    edges per 50,000 technical nodes."""
    scale = technical / 50_000
    return generate_organisation(
        objectives=max(1, round(500 * scale)),
        capabilities=max(1, round(2_000 * scale)),
        technical=technical,
        edges=round(250_000 * scale),
        seed=seed,
    )


def _around(rng: random.Random, mean: float) -> int:
    """A small count whose average is `mean`."""
    low = int(mean)
    return low + (1 if rng.random() < mean - low else 0) + rng.choice((-1, 0, 1))


def _pick_below(rng: random.Random, tiers: list[list[str]], tier: int) -> str:
    """A node of a tier under `tier`: usually the next one, and usually a popular node."""
    lower = tiers[tier + 1 :]
    chosen = lower[0] if rng.random() < 0.6 or len(lower) == 1 else rng.choice(lower[1:])
    return _pick_popular(rng, chosen)


def _pick_popular(rng: random.Random, slugs: list[str]) -> str:
    # Real dependencies concentrate on a few shared databases, clusters and vendors:
    # skew the choice towards the start of the list.
    return slugs[int(len(slugs) * rng.random() ** POPULARITY)]


def _criticality(rng: random.Random) -> Criticality:
    return Criticality.SOFT if rng.random() < SOFT_SHARE else Criticality.HARD


def main() -> None:
    parser = argparse.ArgumentParser(description="Print the size of the generated organisation.")
    parser.add_argument("--nodes", type=int, default=50_000, help="technical nodes")
    parser.add_argument("--seed", type=int, default=20_260_501)
    args = parser.parse_args()
    org = organisation_of_size(args.nodes, seed=args.seed)
    grouped = sum(1 for edge in org.edges if edge.redundancy_group)
    blocked = sum(1 for node in org.nodes if node.intrinsic_state is State.BLOCKED)
    print(
        f"{len(org.nodes)} nodes, {len(org.edges)} edges ({grouped} in groups), "
        f"{len(org.objectives)} objectives, {blocked} intrinsically blocked"
    )


if __name__ == "__main__":
    main()
