"""The impact engine's plain input and output types (DESIGN §2 "State propagation").

Everything here is plain data: frozen dataclasses, named tuples, enums and strings. The Django
side builds the inputs from the database and stores the outputs; nothing in this package
knows about models, requests or tasks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import NamedTuple, Protocol

__all__ = [
    "Bottleneck",
    "Criticality",
    "Edge",
    "ImpactError",
    "InvalidGraphError",
    "Node",
    "NodeResult",
    "Objective",
    "ObjectiveResult",
    "PreviousState",
    "Requirement",
    "SinglePointOfFailure",
    "State",
    "StateChange",
    "StoredState",
    "UnknownNodeError",
    "intrinsic_state",
]


class State(IntEnum):
    """Ordered so that `max()` is "the worst of": operational < degraded < blocked.

    `State.parse("blocked")` (or `State("blocked")`) reads the label stored in the database;
    `state.label` gives it back.
    """

    OPERATIONAL = 0
    DEGRADED = 1
    BLOCKED = 2

    @property
    def label(self) -> str:
        # A tuple lookup: the writer asks for hundreds of thousands of labels in a first
        # run, and `self.name` goes through the enum's descriptor each time.
        return _LABELS[self]

    @classmethod
    def parse(cls, label: str) -> State:
        """The state for a label; ValueError for anything else."""
        state = cls._missing_(label)
        if state is None:
            raise ValueError(f"{label!r} is not a state")
        return state

    def __str__(self) -> str:
        return self.label

    @classmethod
    def _missing_(cls, value: object) -> State | None:
        if isinstance(value, str):
            try:
                return cls[value.upper()]
            except KeyError:
                return None
        return None


_LABELS = tuple(state.name.lower() for state in State)


class Criticality(StrEnum):
    HARD = "hard"
    SOFT = "soft"


def intrinsic_state(manual_state: str | None, has_blocking_ticket: bool) -> State:
    """A node's own state, before anything flows in from its dependencies (DESIGN §2.1).

    A manual override always wins over tickets for that node, in both directions: a node
    set to `operational` by hand stays operational while a blocking ticket is open. An empty
    string means "no override", as a blank CharField stores it.
    """
    if manual_state:
        return State.parse(manual_state)
    return State.BLOCKED if has_blocking_ticket else State.OPERATIONAL


class ImpactError(ValueError):
    """The input cannot be turned into an impact graph."""


class UnknownNodeError(ImpactError):
    """An edge, requirement or what-if names a node slug that is not in the graph."""


class InvalidGraphError(ImpactError):
    """Duplicate slugs or keys, or an edge field out of range."""


# --- inputs ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Node:
    """A capability or technical dependency with its intrinsic state already decided."""

    slug: str
    kind: str
    intrinsic_state: State = State.OPERATIONAL


@dataclass(frozen=True, slots=True)
class Edge:
    """`source` depends on `target`.

    Edges of one source sharing a `redundancy_group` are alternatives, of which at least
    `min_operational` must be fine for the group to be fine. `None` and `""` both mean "not
    in a group". If the members of a group disagree on `min_operational`, the largest (the
    strictest) wins; a value above the group's size counts as the size (all must be fine).
    """

    source: str
    target: str
    criticality: Criticality = Criticality.HARD
    redundancy_group: str | None = None
    min_operational: int = 1


@dataclass(frozen=True, slots=True)
class Requirement:
    """An objective requires a node (usually a capability)."""

    node: str
    criticality: Criticality = Criticality.HARD


@dataclass(frozen=True, slots=True)
class Objective:
    """`value_at_stake` is money per week of delay (the cost of delay)."""

    key: str
    value_at_stake: Decimal | float
    requires: Sequence[Requirement] = ()


class PreviousState(Protocol):
    """What blocked-since needs from the previous run: a stored row or an earlier result."""

    @property
    def state(self) -> State: ...

    @property
    def blocked_since(self) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class StoredState:
    """A ready-made `PreviousState`, e.g. built from database rows by the loader."""

    state: State
    blocked_since: datetime | None = None


# --- outputs --------------------------------------------------------------------------


# The two result types are NamedTuples: immutable like the rest, and five times cheaper to
# create than frozen dataclasses, which counts when a recompute makes 50,000 of them.


class NodeResult(NamedTuple):
    """A node's effective state and the intrinsically bad nodes that explain it.

    `root_causes` is sorted and empty exactly when `state` is operational.
    `blocked_since` is set exactly when `state` is blocked.
    """

    slug: str
    kind: str
    intrinsic_state: State
    state: State
    root_causes: tuple[str, ...]
    blocked_since: datetime | None


class ObjectiveResult(NamedTuple):
    """An objective's effective state over its requirements, like a node's."""

    key: str
    value_at_stake: Decimal
    state: State
    root_causes: tuple[str, ...]
    blocked_since: datetime | None


@dataclass(frozen=True, slots=True)
class Bottleneck:
    """A root cause with everything blocked because of it (DESIGN §2.7).

    `value_at_risk` is the sum of the blocked objectives' value at stake per week.
    """

    node: str
    capabilities: tuple[str, ...]
    objectives: tuple[str, ...]
    value_at_risk: Decimal


@dataclass(frozen=True, slots=True)
class StateChange:
    """One node (slug) or objective (key) whose effective state differs between two results."""

    item: str
    from_state: State
    to_state: State


@dataclass(frozen=True, slots=True)
class SinglePointOfFailure:
    """A node whose failure alone would block objectives that are not blocked now."""

    node: str
    objectives: tuple[str, ...]
    value_at_risk: Decimal
