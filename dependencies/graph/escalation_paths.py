"""The escalation path of an item: its own policy, else its owning team's default, else the
default escalation to leadership (DESIGN §2). One rule, read by the escalation engine and by
every page and API that shows whom a blockage reaches."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from cataligent.modeling import Governed
from dependencies.choices import NotifyRole
from dependencies.models import EscalationLevel, EscalationPolicy


@dataclass(frozen=True)
class LevelSpec:
    """A level to fire: the policy's, or the built-in default for items without one."""

    position: int
    after_minutes: int
    user: Any = None
    team: Any = None
    role: str = ""
    policy: EscalationPolicy | None = None

    @property
    def target_display(self) -> str:
        if self.user is not None:
            return f"{self.user.get_full_name() or self.user.get_username()}"
        if self.team is not None:
            return f"lead of {self.team.name}"
        return f"everyone with the {self.role} role"


def default_levels() -> list[LevelSpec]:
    return [
        LevelSpec(
            position=1,
            after_minutes=settings.ESCALATION_DEFAULT_MINUTES,
            role=NotifyRole.LEADERSHIP,
        )
    ]


@dataclass(frozen=True)
class EscalationPath:
    """Whom a blockage of one item reaches, level by level."""

    policy: EscalationPolicy | None  # None: the default escalation to leadership
    levels: tuple[LevelSpec, ...]
    inherited: bool = False  # the owning team's default, not the item's own

    @property
    def is_default(self) -> bool:
        """Nobody chose this path: no policy, or a policy without levels."""
        return self.policy is None or not self.policy_levels

    @property
    def policy_levels(self) -> tuple[LevelSpec, ...]:
        return tuple(level for level in self.levels if level.policy is not None)

    @property
    def name(self) -> str:
        if self.policy is None:
            return "Default escalation to leadership"
        return f"{self.policy.name} (team default)" if self.inherited else self.policy.name


def paths_by_policy(policy_ids: Iterable[int | None]) -> dict[int | None, EscalationPath]:
    """The path of each effective policy id (None: the default), in two queries."""
    ids = {pk for pk in policy_ids if pk is not None}
    policies = {p.pk: p for p in EscalationPolicy.objects.filter(pk__in=ids)}
    levels: dict[int, list[LevelSpec]] = {pk: [] for pk in policies}
    for level in EscalationLevel.objects.filter(policy_id__in=ids).select_related(
        "notify_user", "notify_team"
    ):
        levels[level.policy_id].append(
            LevelSpec(
                position=level.position,
                after_minutes=level.after_minutes,
                user=level.notify_user,
                team=level.notify_team,
                role=level.notify_role,
                policy=policies[level.policy_id],
            )
        )
    paths: dict[int | None, EscalationPath] = {None: EscalationPath(None, tuple(default_levels()))}
    for pk, policy in policies.items():
        specs = sorted(levels[pk], key=lambda s: s.position)
        # A policy with no levels is no escalation path: the default applies.
        paths[pk] = EscalationPath(policy, tuple(specs or default_levels()))
    return paths


def escalation_paths(items: Iterable[Governed]) -> list[EscalationPath]:
    """The path of each item, in order. Load items with `team` (select_related) first."""
    items = list(items)
    by_policy = paths_by_policy(item.effective_escalation_policy_id for item in items)
    paths = []
    for item in items:
        path = by_policy[item.effective_escalation_policy_id]
        if item.escalation_policy_id is None and path.policy is not None:
            path = EscalationPath(path.policy, path.levels, inherited=True)
        paths.append(path)
    return paths


def escalation_path(item: Governed) -> EscalationPath:
    return escalation_paths([item])[0]
