"""Write a Backstage catalog into teams, users, nodes and edges (the Django side of
`dependencies.catalog`, which reads and interprets the files).

All or nothing: a catalog with any error imports nothing. Re-importing the same
files changes nothing: every row is compared before it is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from cataligent.models import Team
from cataligent.services import team_save
from dependencies.catalog import Problem, catalog_to_graph, read_catalog
from dependencies.graph.services import edge_ensure, node_upsert
from dependencies.models import Node

ACTOR = "command import_catalog"


class CatalogImportError(Exception):
    def __init__(self, errors: Iterable[Problem]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


@dataclass
class CatalogImportResult:
    files: int = 0
    teams: Tally = field(default_factory=Tally)
    users: Tally = field(default_factory=Tally)
    nodes: Tally = field(default_factory=Tally)
    edges: Tally = field(default_factory=Tally)
    notes: list[str] = field(default_factory=list)


def import_catalog(paths: Iterable[str], *, actor: Any = None) -> CatalogImportResult:
    catalog = read_catalog(list(paths))
    if catalog.errors:
        raise CatalogImportError(catalog.errors)
    graph = catalog_to_graph(catalog)
    result = CatalogImportResult(files=len(catalog.files))
    result.notes = [str(note) for note in (*catalog.notes, *graph.notes)]
    User = get_user_model()

    with transaction.atomic():
        users: dict[str, Any] = {}
        for imported in graph.users:
            user = User.objects.filter(username=imported.username).first()
            wanted = {
                "email": imported.email or "",
                "first_name": (imported.display_name or "")[:150],
            }
            if user is None:
                user = User(username=imported.username, **wanted)
                user.set_unusable_password()
                user.save()
                result.users.created += 1
            elif any(getattr(user, k) != v for k, v in wanted.items()):
                User.objects.filter(pk=user.pk).update(**wanted)
                result.users.updated += 1
            else:
                result.users.unchanged += 1
            users[imported.username] = user

        teams: dict[str, Team] = {}
        taken_names = dict(Team.objects.values_list("name", "slug"))
        for imported in graph.teams:
            team = Team.objects.filter(slug=imported.slug).first()
            # A title may run longer than a team's name; like a node's, it is cut to fit.
            limit = Team._meta.get_field("name").max_length or 200
            name = imported.name[:limit]
            if taken_names.get(name, imported.slug) != imported.slug:
                suffix = f" ({imported.slug})"  # another team has that name
                name = imported.name[: limit - len(suffix)] + suffix
            changes = {"name": name, "description": imported.description or ""}
            members = [users[u] for u in imported.members if u in users]
            if team is None:
                team = team_save(
                    team=Team(slug=imported.slug),
                    changes=changes,
                    members=members,
                    actor=actor,
                    actor_label=ACTOR,
                )
                result.teams.created += 1
            else:
                current = set(team.members.values_list("pk", flat=True))
                differs = any(getattr(team, k) != v for k, v in changes.items())
                missing = [m for m in members if m.pk not in current]
                if differs or missing:
                    team_save(
                        team=team,
                        changes=changes,
                        # Add the catalog's members; keep people added by hand.
                        members=[*team.members.all(), *missing] if missing else None,
                        actor=actor,
                        actor_label=ACTOR,
                    )
                    result.teams.updated += 1
                else:
                    result.teams.unchanged += 1
            teams[imported.slug] = team

        known_teams = {t.slug: t for t in Team.objects.filter(slug__in=_team_slugs(graph))}
        known_users = {
            u.get_username(): u for u in User.objects.filter(username__in=_owner_names(graph))
        }
        for imported_node in graph.nodes:
            values: dict[str, Any] = {
                "name": imported_node.name[:300],
                "kind": imported_node.kind,
                "description": imported_node.description,
                "external_ref": imported_node.external_ref,
            }
            if imported_node.team_slug:
                team = teams.get(imported_node.team_slug) or known_teams.get(
                    imported_node.team_slug
                )
                if team is None:
                    result.notes.append(
                        f"note: {imported_node.ref}: owner team {imported_node.team_slug!r} is "
                        "not in the catalog or the database; left without a team"
                    )
                values["team"] = team
            if imported_node.owner_username:
                owner = users.get(imported_node.owner_username) or known_users.get(
                    imported_node.owner_username
                )
                if owner is None:
                    result.notes.append(
                        f"note: {imported_node.ref}: owner {imported_node.owner_username!r} is "
                        "not in the catalog or the database; left without an owner"
                    )
                values["owner"] = owner
            before = Node.objects.filter(slug=imported_node.slug).values(*values).first()
            node_upsert(slug=imported_node.slug, values=values, actor=actor, actor_label=ACTOR)
            if before is None:
                result.nodes.created += 1
            elif _differs(before, values):
                result.nodes.updated += 1
            else:
                result.nodes.unchanged += 1

        nodes = {
            n.slug: n
            for n in Node.objects.filter(
                slug__in={e.source for e in (*graph.edges, *graph.unresolved_edges)}
                | {e.target for e in (*graph.edges, *graph.unresolved_edges)}
            )
        }
        for edge in (*graph.edges, *graph.unresolved_edges):
            if edge.source not in nodes or edge.target not in nodes:
                result.notes.append(
                    f"note: {edge.source_ref} → {edge.target_ref}: the other end is not in the "
                    "catalog or the database; edge skipped"
                )
                continue
            _edge, created = edge_ensure(
                source=nodes[edge.source],
                target=nodes[edge.target],
                criticality=edge.criticality,
                actor=actor,
                actor_label=ACTOR,
            )
            if created:
                result.edges.created += 1
            else:
                result.edges.unchanged += 1
    return result


def _differs(before: dict[str, Any], values: dict[str, Any]) -> bool:
    for key, value in values.items():
        current = before[key]
        wanted = value.pk if hasattr(value, "pk") else value
        if current != wanted:
            return True
    return False


def _team_slugs(graph: Any) -> set[str]:
    return {n.team_slug for n in graph.nodes if n.team_slug}


def _owner_names(graph: Any) -> set[str]:
    return {n.owner_username for n in graph.nodes if n.owner_username}
