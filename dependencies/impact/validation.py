"""The engine's input checks: what makes a graph it refuses, with the culprit named.

The builder checks in bulk on the fast path and calls these only to find and name the bad
item once it knows there is one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

from dependencies.impact.model import (
    Criticality,
    Edge,
    InvalidGraphError,
    Node,
    State,
    UnknownNodeError,
)

CRITICALITIES = frozenset(c.value for c in Criticality)
# A State, or its label as the database stores it, to its int value: one dict lookup per
# node instead of an Enum call.
STATE_VALUES: dict[State | str, int] = {
    **{state: int(state) for state in State},
    **{state.label: int(state) for state in State},
}


def refuse_duplicate_nodes(slugs: list[str]) -> NoReturn:
    seen: set[str] = set()
    for slug in slugs:
        if slug in seen:
            raise InvalidGraphError(f"duplicate node {slug!r}")
        seen.add(slug)
    raise AssertionError("no duplicate found")  # pragma: no cover


def refuse_intrinsic_states(nodes: Sequence[Node]) -> None:
    for node in nodes:
        try:
            STATE_VALUES[node.intrinsic_state]
        except (KeyError, TypeError):
            raise InvalidGraphError(
                f"node {node.slug!r}: intrinsic state {node.intrinsic_state!r}"
            ) from None


def refuse_unknown_nodes(edges: Sequence[Edge], node_index: dict[str, int]) -> None:
    for edge in edges:
        for slug in (edge.source, edge.target):
            try:
                node_index[slug]
            except (KeyError, TypeError):
                raise UnknownNodeError(
                    f"edge {edge.source}→{edge.target}: unknown node {slug!r}"
                ) from None


def refuse_criticalities(edges: Sequence[Edge]) -> NoReturn:
    for edge in edges:
        try:
            known = edge.criticality in CRITICALITIES
        except TypeError:
            known = False
        if not known:
            raise InvalidGraphError(
                f"edge {edge.source}→{edge.target}: criticality {edge.criticality!r}"
            )
    raise AssertionError("no unknown criticality found")  # pragma: no cover
