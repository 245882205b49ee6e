"""Which team a ticket or an item is counted under in the reports.

A ticket's team is the team whose `assignment_groups` name the ticket's assignment group
(case-insensitively, any connector): the team doing the work, which is also the only
answer for a ticket linked to nothing. A ticket whose group no team lists is
"unassigned". A group listed by two teams counts for the first by name, so a ticket is
never counted twice. Nodes and objectives count under their owning team.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cataligent.models import Team


@dataclass(frozen=True, order=True)
class TeamRef:
    name: str
    slug: str | None  # None: unassigned


UNASSIGNED = TeamRef("Unassigned", None)


def group_key(group: str) -> str:
    return " ".join(group.split()).casefold()


class TeamDirectory:
    def __init__(self, teams: Iterable[tuple[int, str, str, list[str] | None]]):
        self.by_id: dict[int, TeamRef] = {}
        self.by_group: dict[str, TeamRef] = {}
        for pk, slug, name, groups in teams:
            ref = TeamRef(name, slug)
            self.by_id[pk] = ref
            for group in groups or ():
                if isinstance(group, str) and group.strip():
                    self.by_group.setdefault(group_key(group), ref)

    @classmethod
    def load(cls) -> TeamDirectory:
        """One query; teams in name order, so the first to list a group keeps it."""
        return cls(
            Team.objects.order_by("name").values_list("pk", "slug", "name", "assignment_groups")
        )

    def of_group(self, group: str) -> TeamRef:
        return self.by_group.get(group_key(group), UNASSIGNED) if group else UNASSIGNED

    def of_id(self, team_id: int | None) -> TeamRef:
        return self.by_id.get(team_id, UNASSIGNED) if team_id is not None else UNASSIGNED


def sort_key(team: TeamRef) -> tuple[bool, str]:
    """Teams by name, "unassigned" last."""
    return (team.slug is None, team.name.casefold())
