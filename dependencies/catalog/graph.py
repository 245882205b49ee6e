"""Turn Backstage entities into Cataligent's graph terms: teams, users, nodes and edges.

This is a suggestion that the ``import_catalog`` command writes as Team / User / Node / Edge
rows; it decides nothing about the database.

Node kinds (DESIGN §2: business capabilities rest on technical dependencies):

==========================================  ================
Backstage                                   node kind
==========================================  ================
System, Domain                              ``capability``
Component (service, website, library, ...)  ``service``
API                                         ``integration``
Resource of a data type (database, ...)     ``data``
Resource of a vendor type (saas, ...)       ``vendor``
any other Resource                          ``infrastructure``
==========================================  ================

A Backstage System is "a collection of entities that cooperate to perform some function" and
a Domain groups systems by business area: those are the things a business objective needs, so
they become capabilities. Everything else is a technical dependency.

Edges: ``A depends_on B`` means trouble in B flows up into A (the impact engine passes B's
state to A). So every Backstage relation is turned to point from what *rests on* to what it
*rests on*:

======================================  =============================================
descriptor                              edge
======================================  =============================================
X ``spec.dependsOn: [Y]``               X depends_on Y
X ``spec.dependencyOf: [Y]``            Y depends_on X
C ``spec.consumesApis: [A]``            C depends_on A (a consumer needs the API)
C ``spec.providesApis: [A]``            A depends_on C (an API is down when its provider is)
M ``spec.system: S``                    S depends_on M (a capability rests on its parts)
S ``spec.domain: D``                    D depends_on S
C ``spec.subcomponentOf: P``            P depends_on C
D ``spec.subdomainOf: P``               P depends_on D
======================================  =============================================

Every edge is ``hard`` (the product's default); admins soften the ones that are not.

Slugs are derived from the entity ref only, so they are stable across re-imports and do not
depend on what else is imported:

- ``<kind>-<name>`` in the default namespace (``component-artist-web``, ``api-petstore``),
  ``<kind>-<namespace>--<name>`` elsewhere (``component-alternative--different-namespace``).
  The kind is part of the slug because Backstage names are unique per kind only (the examples
  have both ``component:wayback-archive`` and ``api:wayback-archive``).
- That form is used when the name is already slug-shaped (lower-case letters and digits
  separated by single hyphens), which makes it unique: a kind has no hyphen and a namespace
  has no ``--``. Any other name (with ``.``, ``_`` or ``--``), and any slug that would be too
  long, becomes a readable prefix plus ``_`` and 10 hex digits of the ref's SHA-1. Readable
  slugs never contain ``_``, so the two forms cannot collide.
- Teams use the same rule without the kind (``team-a``); usernames are the lower-cased name,
  or ``<namespace>+<name>`` outside the default namespace (``+`` cannot occur in a Backstage
  name, so this cannot collide).
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Final, Literal

from .model import Catalog, Entity, Problem, Severity
from .refs import DEFAULT_NAMESPACE, EntityRef

NodeKind = Literal[
    "capability", "service", "integration", "infrastructure", "data", "vendor", "process"
]
Criticality = Literal["hard", "soft"]

NODE_ENTITY_KINDS: Final = frozenset({"component", "resource", "api", "system", "domain"})
# The Node.slug and Team.slug column sizes.
NODE_SLUG_MAX_LENGTH: Final = 200
TEAM_SLUG_MAX_LENGTH: Final = 100

# Resource spec.type values that hold data. Backstage leaves the vocabulary open; these are the
# ones its docs and common catalogs use.
DATA_RESOURCE_TYPES: Final = frozenset(
    {
        "database",
        "db",
        "datastore",
        "data-store",
        "dataset",
        "data-warehouse",
        "bucket",
        "s3-bucket",
        "storage",
        "object-storage",
        "table",
    }
)
VENDOR_RESOURCE_TYPES: Final = frozenset({"vendor", "saas", "third-party", "external-service"})

_SLUG_SHAPED = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_HASH_LENGTH: Final = 10


@dataclass(frozen=True, slots=True)
class ImportedTeam:
    slug: str
    name: str  # display name, unique among the imported teams
    ref: EntityRef
    description: str | None
    email: str | None
    group_type: str | None  # spec.type: team, business-unit, organization, ...
    parent: str | None  # the parent team's slug
    members: tuple[str, ...]  # usernames of the imported users in this group

    @property
    def external_ref(self) -> str:
        return f"backstage:{self.ref}"


@dataclass(frozen=True, slots=True)
class ImportedUser:
    username: str
    ref: EntityRef
    display_name: str | None
    email: str | None
    teams: tuple[str, ...]  # team slugs (memberOf, and groups that list the user as member)

    @property
    def external_ref(self) -> str:
        return f"backstage:{self.ref}"


@dataclass(frozen=True, slots=True)
class ImportedNode:
    slug: str
    name: str  # metadata.title, else metadata.name
    kind: NodeKind
    ref: EntityRef
    description: str
    entity_kind: str  # "Component", "API", ...
    entity_type: str | None  # spec.type
    lifecycle: str | None
    # From spec.owner. A Group owner gives the team; a User owner gives the owner, and the team
    # when that user belongs to exactly one imported group. Either may name a team or user that
    # is not in this import (the importer decides whether it exists already).
    owner_username: str | None
    team_slug: str | None

    @property
    def external_ref(self) -> str:
        return f"backstage:{self.ref}"


@dataclass(frozen=True, slots=True)
class ImportedEdge:
    source: str  # node slug: the one that depends on ...
    target: str  # ... this one
    source_ref: EntityRef
    target_ref: EntityRef
    because: tuple[str, ...]  # e.g. ("component:default/a spec.dependsOn",)
    criticality: Criticality = "hard"


@dataclass(frozen=True)
class CatalogGraph:
    teams: tuple[ImportedTeam, ...]
    users: tuple[ImportedUser, ...]
    nodes: tuple[ImportedNode, ...]
    # Both ends are among `nodes`.
    edges: tuple[ImportedEdge, ...]
    # One end is not in this import; it may exist in the database from an earlier import.
    unresolved_edges: tuple[ImportedEdge, ...]
    notes: tuple[Problem, ...]


def _short_hash(ref: EntityRef) -> str:
    return hashlib.sha1(str(ref).encode(), usedforsecurity=False).hexdigest()[:_HASH_LENGTH]


def _readable(text: str) -> str:
    return _NOT_SLUG.sub("-", text.lower()).strip("-")


def _slug(prefix: str, ref: EntityRef, max_length: int) -> str:
    head = prefix if ref.namespace == DEFAULT_NAMESPACE else f"{prefix}{ref.namespace}--"
    slug = head + ref.name
    if _SLUG_SHAPED.match(ref.name) and len(slug) <= max_length:
        return slug
    readable = (head + _readable(ref.name))[: max_length - _HASH_LENGTH - 1].rstrip("-")
    return f"{readable}_{_short_hash(ref)}"


def node_slug(ref: EntityRef, *, max_length: int = NODE_SLUG_MAX_LENGTH) -> str:
    """``component-artist-web``; see the module docstring for the rule."""
    return _slug(f"{ref.kind}-", ref, max_length)


def team_slug(ref: EntityRef, *, max_length: int = TEAM_SLUG_MAX_LENGTH) -> str:
    """``team-a``; ``<namespace>--<name>`` outside the default namespace."""
    return _slug("", ref, max_length)


def username_for(ref: EntityRef) -> str:
    if ref.namespace == DEFAULT_NAMESPACE:
        return ref.name
    return f"{ref.namespace}+{ref.name}"


def suggest_node_kind(entity: Entity) -> NodeKind:
    kind = entity.ref.kind
    entity_type = (entity.type or "").lower()
    if kind in ("system", "domain"):
        return "capability"
    if kind == "api":
        return "integration"
    if kind == "resource":
        if entity_type in DATA_RESOURCE_TYPES:
            return "data"
        if entity_type in VENDOR_RESOURCE_TYPES:
            return "vendor"
        return "infrastructure"
    # Components: services and websites run; a library is still something a service rests on
    # and has its own tickets, so it is a technical dependency of kind service as well.
    return "service"


def _edge_pairs(entity: Entity) -> list[tuple[EntityRef, EntityRef, str]]:
    """(depends, on, why) for every relation of this entity; see the module docstring."""
    me = entity.ref
    pairs: list[tuple[EntityRef, EntityRef, str]] = []
    pairs += [(me, other, "spec.dependsOn") for other in entity.depends_on]
    pairs += [(other, me, "spec.dependencyOf") for other in entity.dependency_of]
    pairs += [(me, api, "spec.consumesApis") for api in entity.consumes_apis]
    pairs += [(api, me, "spec.providesApis") for api in entity.provides_apis]
    if entity.system is not None:
        pairs.append((entity.system, me, "spec.system"))
    if entity.domain is not None:
        pairs.append((entity.domain, me, "spec.domain"))
    if entity.subcomponent_of is not None:
        pairs.append((entity.subcomponent_of, me, "spec.subcomponentOf"))
    if entity.subdomain_of is not None:
        pairs.append((entity.subdomain_of, me, "spec.subdomainOf"))
    return pairs


def catalog_to_graph(catalog: Catalog) -> CatalogGraph:
    """Map a catalog onto teams, users, nodes and edges (sorted, so the output is stable)."""
    notes: list[Problem] = []

    def note(entity: Entity, message: str) -> None:
        notes.append(
            Problem(
                Severity.NOTE,
                "graph",
                f"{entity.ref}: {message}",
                entity.source.path,
                entity.source.document,
            )
        )

    groups = catalog.of_kind("group")
    users = catalog.of_kind("user")
    group_refs = {group.ref for group in groups}

    # Membership is declared on either side (User.memberOf, Group.members); take both.
    members_of: dict[EntityRef, set[EntityRef]] = defaultdict(set)
    for user in users:
        for group_ref in user.member_of:
            members_of[group_ref].add(user.ref)
    user_refs = {user.ref for user in users}
    for group in groups:
        members_of[group.ref].update(ref for ref in group.members if ref in user_refs)
    groups_of: dict[EntityRef, set[EntityRef]] = defaultdict(set)
    for group_ref, member_refs in members_of.items():
        if group_ref in group_refs:
            for member_ref in member_refs:
                groups_of[member_ref].add(group_ref)

    teams = []
    taken_names: set[str] = set()
    for group in sorted(groups, key=lambda g: g.ref):
        name = group.display_name or group.title or group.name
        if name.lower() in taken_names:  # Team.name is unique
            name = f"{name} ({team_slug(group.ref)})"
        taken_names.add(name.lower())
        teams.append(
            ImportedTeam(
                slug=team_slug(group.ref),
                name=name,
                ref=group.ref,
                description=group.description,
                email=group.email,
                group_type=group.type,
                parent=team_slug(group.parent) if group.parent is not None else None,
                members=tuple(sorted(username_for(ref) for ref in members_of[group.ref])),
            )
        )

    imported_users = [
        ImportedUser(
            username=username_for(user.ref),
            ref=user.ref,
            display_name=user.display_name or user.title,
            email=user.email,
            teams=tuple(sorted(team_slug(ref) for ref in groups_of[user.ref])),
        )
        for user in sorted(users, key=lambda u: u.ref)
    ]

    nodes = []
    for entity in catalog.entities:
        if entity.ref.kind not in NODE_ENTITY_KINDS:
            continue
        owner_username = team = None
        owner = entity.owner
        if owner is not None and owner.kind == "group":
            team = team_slug(owner)
        elif owner is not None and owner.kind == "user":
            owner_username = username_for(owner)
            owner_groups = groups_of.get(owner, set())
            if len(owner_groups) == 1:
                team = team_slug(next(iter(owner_groups)))
        elif owner is not None:
            note(entity, f"spec.owner {owner} is neither a Group nor a User; no owner set")
        nodes.append(
            ImportedNode(
                slug=node_slug(entity.ref),
                name=entity.title or entity.name,
                kind=suggest_node_kind(entity),
                ref=entity.ref,
                description=entity.description or "",
                entity_kind=entity.kind,
                entity_type=entity.type,
                lifecycle=entity.lifecycle,
                owner_username=owner_username,
                team_slug=team,
            )
        )
    node_refs = {node.ref for node in nodes}

    reasons: dict[tuple[EntityRef, EntityRef], list[str]] = defaultdict(list)
    for entity in catalog.entities:
        for depends, on, why in _edge_pairs(entity):
            if depends.kind not in NODE_ENTITY_KINDS or on.kind not in NODE_ENTITY_KINDS:
                note(entity, f"{why}: {depends} -> {on} is not between nodes; no edge")
                continue
            if depends == on:
                note(entity, f"{why}: {depends} would depend on itself; no edge")
                continue
            reasons[(depends, on)].append(f"{entity.ref} {why}")
    edges: list[ImportedEdge] = []
    unresolved: list[ImportedEdge] = []
    for (depends, on), because in sorted(reasons.items()):
        edge = ImportedEdge(
            source=node_slug(depends),
            target=node_slug(on),
            source_ref=depends,
            target_ref=on,
            because=tuple(because),
        )
        (edges if depends in node_refs and on in node_refs else unresolved).append(edge)

    return CatalogGraph(
        teams=tuple(teams),
        users=tuple(imported_users),
        nodes=tuple(sorted(nodes, key=lambda n: n.slug)),
        edges=tuple(sorted(edges, key=lambda e: (e.source, e.target))),
        unresolved_edges=tuple(sorted(unresolved, key=lambda e: (e.source, e.target))),
        notes=tuple(notes),
    )
