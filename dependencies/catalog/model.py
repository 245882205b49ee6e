"""What reading a Backstage catalog produces: entities, where they came from, and problems."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from .refs import EntityRef, EntityRefError, parse_entity_ref


class Severity(StrEnum):
    # An error means the input is wrong: the caller should import nothing of that run.
    ERROR = "error"
    # A note is worth telling the user but does not stop an import (an unknown kind that was
    # skipped, a reference to an entity outside the files read, a Location target not found).
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class Problem:
    severity: Severity
    # Stable, machine-readable: "yaml", "not-mapping", "missing-field", "invalid-field",
    # "invalid-name", "invalid-namespace", "relation-type", "invalid-ref", "duplicate-entity",
    # "file-not-found", "unreadable-file", "unknown-kind", "unresolved-ref", "location-url",
    # "location-target-missing", "location-cycle", "location-unsupported", "graph".
    code: str
    message: str
    path: Path | None = None
    document: int | None = None  # 1-based, counted like PyYAML's safe_load_all
    line: int | None = None  # 1-based line in the file, when the YAML parser knows it

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def __str__(self) -> str:
        where = []
        if self.path is not None:
            where.append(str(self.path))
        if self.document is not None:
            where.append(f"document {self.document}")
        if self.line is not None:
            where.append(f"line {self.line}")
        prefix = f"{', '.join(where)}: " if where else ""
        return f"{self.severity}: {prefix}{self.message}"


@dataclass(frozen=True, slots=True)
class Source:
    path: Path
    document: int  # 1-based

    def __str__(self) -> str:
        return f"{self.path}, document {self.document}"


@dataclass(frozen=True, slots=True)
class Entity:
    """One catalog entity with the fields Cataligent uses; references already resolved.

    Equality ignores ``source``: the same entity read from two places is one entity, and the
    reader reports only a duplicate whose *content* differs.
    """

    ref: EntityRef
    kind: str  # Backstage's spelling: "Component", "API", ...
    namespace: str
    name: str  # as written; ref.name is the lower-cased form used for matching
    source: Source = field(compare=False)
    title: str | None = None
    description: str | None = None
    type: str | None = None  # spec.type
    lifecycle: str | None = None
    owner: EntityRef | None = None
    system: EntityRef | None = None
    domain: EntityRef | None = None
    subcomponent_of: EntityRef | None = None
    subdomain_of: EntityRef | None = None
    depends_on: tuple[EntityRef, ...] = ()
    dependency_of: tuple[EntityRef, ...] = ()
    consumes_apis: tuple[EntityRef, ...] = ()
    provides_apis: tuple[EntityRef, ...] = ()
    parent: EntityRef | None = None  # Group
    children: tuple[EntityRef, ...] = ()  # Group
    members: tuple[EntityRef, ...] = ()  # Group
    member_of: tuple[EntityRef, ...] = ()  # User
    display_name: str | None = None  # spec.profile.displayName (User, Group)
    email: str | None = None  # spec.profile.email (User, Group)
    targets: tuple[str, ...] = ()  # Location: spec.target and spec.targets, as written

    def references(self) -> Iterator[tuple[str, EntityRef]]:
        """Every reference this entity makes, with the descriptor field it came from."""
        singles = (
            ("spec.owner", self.owner),
            ("spec.system", self.system),
            ("spec.domain", self.domain),
            ("spec.subcomponentOf", self.subcomponent_of),
            ("spec.subdomainOf", self.subdomain_of),
            ("spec.parent", self.parent),
        )
        for name, ref in singles:
            if ref is not None:
                yield name, ref
        lists = (
            ("spec.dependsOn", self.depends_on),
            ("spec.dependencyOf", self.dependency_of),
            ("spec.consumesApis", self.consumes_apis),
            ("spec.providesApis", self.provides_apis),
            ("spec.children", self.children),
            ("spec.members", self.members),
            ("spec.memberOf", self.member_of),
        )
        for name, refs in lists:
            for ref in refs:
                yield name, ref


@dataclass(frozen=True)
class Catalog:
    """The result of reading catalog files. Nothing in it raises for bad input.

    ``entities`` holds each entity once, in reading order. ``problems`` holds errors and notes;
    the caller decides what to do (``import_catalog`` imports nothing when ``errors`` is not
    empty).
    """

    entities: tuple[Entity, ...]
    problems: tuple[Problem, ...]
    files: tuple[Path, ...]  # every file read, in reading order
    _by_ref: dict[EntityRef, Entity] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_ref", {entity.ref: entity for entity in self.entities})

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.ERROR)

    @property
    def notes(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.NOTE)

    @property
    def ok(self) -> bool:
        return not self.errors

    def get(self, ref: EntityRef | str) -> Entity | None:
        """Look an entity up by ref; a string must name its kind (``component:artist-web``)."""
        if isinstance(ref, str):
            try:
                ref = parse_entity_ref(ref, default_kind=None)
            except EntityRefError:
                return None
        return self._by_ref.get(ref)

    def __contains__(self, ref: object) -> bool:
        return isinstance(ref, EntityRef) and ref in self._by_ref

    def of_kind(self, kind: str) -> tuple[Entity, ...]:
        kind = kind.lower()
        return tuple(e for e in self.entities if e.ref.kind == kind)
