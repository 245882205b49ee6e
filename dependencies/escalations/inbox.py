"""The escalation inbox, one row per root cause per episode (issue 18, item 10).

The engine fires escalations per blocked item (each item has its own policy and people), so
one root cause blocking eleven items fires eleven of them. People act on the cause, not on
its eleven symptoms: the inbox groups the escalations that share their root causes into one
row that lists the items they block. An episode of a cause runs while any of its
escalations is unresolved: one that starts after every earlier one was resolved begins the
next episode, its own row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from dependencies.escalations.engine import may_acknowledge
from dependencies.models import Escalation, EscalationStatus, Node

# The inbox groups at most this many escalations (newest first); beyond it, filter.
MAX_GROUPED = 5000


@dataclass
class CauseEpisode:
    """The escalations of one root cause (or set of causes) in one episode."""

    causes: list[dict[str, str]]
    escalations: list[Escalation] = field(default_factory=list)
    # Open ones this user may acknowledge: the row's form acknowledges all of them.
    acknowledgeable: list[Escalation] = field(default_factory=list)

    @property
    def pk(self) -> int:
        """The row's id: its first escalation still open (else its newest)."""
        return (self.acknowledgeable or self.open or self.escalations)[0].pk

    @property
    def open(self) -> list[Escalation]:
        return [e for e in self.escalations if e.status == EscalationStatus.OPEN]

    @property
    def others(self) -> list[int]:
        """The escalations acknowledged together with `pk`."""
        return [e.pk for e in self.acknowledgeable if e.pk != self.pk]

    @property
    def started_at(self) -> dt.datetime:
        return min(e.episode_started_at for e in self.escalations)

    @property
    def fired_at(self) -> dt.datetime:
        return max(e.fired_at for e in self.escalations)

    @property
    def level(self) -> int:
        return max(e.level for e in self.escalations)

    @property
    def items(self) -> list[Escalation]:
        """One escalation per blocked item (its highest level), items in name order."""
        by_item: dict[tuple[str, int], Escalation] = {}
        for e in self.escalations:
            key = ("node", e.node_id) if e.node_id else ("objective", e.objective_id or 0)
            if key not in by_item or e.level > by_item[key].level:
                by_item[key] = e
        return sorted(by_item.values(), key=lambda e: str(e.item_label))

    @property
    def targets(self) -> list[str]:
        return list(dict.fromkeys(e.target_display for e in self.escalations))

    @property
    def status(self) -> str:
        if self.open:
            return EscalationStatus.OPEN
        if any(e.status == EscalationStatus.ACKNOWLEDGED for e in self.escalations):
            return EscalationStatus.ACKNOWLEDGED
        return EscalationStatus.RESOLVED

    @property
    def status_label(self) -> str:
        return EscalationStatus(self.status).label

    @property
    def acknowledgements(self) -> list[Escalation]:
        """Distinct acknowledgements (who and what they decided), latest first."""
        seen: dict[tuple[Any, str], Escalation] = {}
        for e in sorted(
            (e for e in self.escalations if e.acknowledged_at),
            key=lambda e: e.acknowledged_at,  # type: ignore[arg-type,return-value]
            reverse=True,
        ):
            seen.setdefault((e.acknowledged_by_id, e.note), e)
        return list(seen.values())


def cause_key(escalation: Escalation) -> tuple[str, ...]:
    causes = tuple(sorted(str(s) for s in escalation.root_causes or []))
    # An item with no recorded cause stands for itself.
    return causes or (f"item:{escalation.item_label}",)


def escalation_groups(escalations: Iterable[Escalation], *, user: Any) -> list[CauseEpisode]:
    """Group escalations (read with their node and objective) by root causes and episode,
    the latest fired first. One query more, for the causes' names."""
    by_cause: dict[tuple[str, ...], list[Escalation]] = {}
    for e in escalations:
        by_cause.setdefault(cause_key(e), []).append(e)
    slugs = {s for key in by_cause for s in key if not s.startswith("item:")}
    names = dict(Node.objects.filter(slug__in=slugs).values_list("slug", "name"))
    groups: list[CauseEpisode] = []
    for key, members in by_cause.items():
        causes = [{"slug": s, "name": names.get(s, s)} for s in key if not s.startswith("item:")]
        current: CauseEpisode | None = None
        unresolved, last_resolved = 0, None  # of `current`
        for e in sorted(members, key=lambda e: (e.episode_started_at, e.pk)):
            ended = current is not None and unresolved == 0 and last_resolved is not None
            if current is None or (ended and e.episode_started_at > last_resolved):
                current = CauseEpisode(causes=causes)
                groups.append(current)
                unresolved, last_resolved = 0, None
            current.escalations.append(e)
            if e.resolved_at is None:
                unresolved += 1
            elif last_resolved is None or e.resolved_at > last_resolved:
                last_resolved = e.resolved_at
            if e.status == EscalationStatus.OPEN and may_acknowledge(user, e):
                current.acknowledgeable.append(e)
    groups.sort(key=lambda g: (g.fired_at, g.pk), reverse=True)
    return groups
