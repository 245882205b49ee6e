"""Read Backstage ``catalog-info.yaml`` files, following ``Location`` entities.

The descriptor format is https://backstage.io/docs/features/software-catalog/descriptor-format.
Which fields make relations, and the default kind of each, follow Backstage's
``BuiltinKindsEntityProcessor`` (backstage/backstage,
``plugins/catalog-backend/src/modules/core/BuiltinKindsEntityProcessor.ts``).

Nothing here raises for bad input: every problem is collected with its file and 1-based
document number, and each document is parsed on its own so that one broken document does not
hide the others.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode

from .model import Catalog, Entity, Problem, Severity, Source
from .refs import (
    DEFAULT_NAMESPACE,
    KIND_NAMES,
    EntityRef,
    EntityRefError,
    is_valid_kind,
    is_valid_name,
    is_valid_namespace,
    parse_entity_ref,
)

try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

# The apiVersions of Backstage's built-in kinds (e.g. ComponentEntityV1alpha1's schema).
SUPPORTED_API_VERSIONS: Final = frozenset({"backstage.io/v1alpha1", "backstage.io/v1beta1"})


@dataclass(frozen=True, slots=True)
class _RelationField:
    key: str  # the key under spec
    attribute: str  # the Entity attribute it fills
    default_kind: str | None  # None: the reference must name its kind
    many: bool


def _one(key: str, attribute: str, default_kind: str | None) -> _RelationField:
    return _RelationField(key, attribute, default_kind, many=False)


def _many(key: str, attribute: str, default_kind: str | None) -> _RelationField:
    return _RelationField(key, attribute, default_kind, many=True)


# Per kind, as BuiltinKindsEntityProcessor.postProcessEntity emits relations. dependsOn and
# dependencyOf get no default kind there (only { defaultNamespace }), so "artists-db" without
# "resource:" is an error, exactly as Backstage rejects it. Component.dependencyOf and
# Domain.subdomainOf are in the current ComponentEntity / DomainEntity types.
_RELATIONS: Final[dict[str, tuple[_RelationField, ...]]] = {
    "component": (
        _one("owner", "owner", "group"),
        _one("system", "system", "system"),
        _one("subcomponentOf", "subcomponent_of", "component"),
        _many("providesApis", "provides_apis", "api"),
        _many("consumesApis", "consumes_apis", "api"),
        _many("dependsOn", "depends_on", None),
        _many("dependencyOf", "dependency_of", None),
    ),
    "resource": (
        _one("owner", "owner", "group"),
        _one("system", "system", "system"),
        _many("dependsOn", "depends_on", None),
        _many("dependencyOf", "dependency_of", None),
    ),
    "api": (
        _one("owner", "owner", "group"),
        _one("system", "system", "system"),
    ),
    "system": (
        _one("owner", "owner", "group"),
        _one("domain", "domain", "domain"),
    ),
    "domain": (
        _one("owner", "owner", "group"),
        _one("subdomainOf", "subdomain_of", "domain"),
    ),
    "group": (
        _one("parent", "parent", "group"),
        _many("children", "children", "group"),
        _many("members", "members", "user"),
    ),
    "user": (_many("memberOf", "member_of", "group"),),
    "location": (),
}

# A line that starts with "---" or "..." (then a space or the end of the line) is a document
# marker in YAML wherever it appears; it cannot be part of a scalar ("c-forbidden" in YAML 1.2,
# section 9.1.4). Splitting on these lines lets each document be parsed, and fail, on its own.
_DOCUMENT_MARKER = re.compile(r"^(---|\.\.\.)(?:[ \t]|\r?$)")
_GLOB_CHARACTERS = re.compile(r"[*?\[]")


# Limits on one document, checked on the parsed YAML before any Python value is built. A
# "billion laughs" document is a few hundred bytes whose aliases repeat aliases until it
# stands for 9^9 values; no catalog entity comes near these. (libyaml itself refuses
# nesting deeper than 1,000 levels.)
MAX_DOCUMENT_VALUES: Final = 100_000
MAX_TEXT_LENGTH: Final = 65_536
MAX_FILE_BYTES: Final = 16 * 1024 * 1024
MAX_EMAIL_LENGTH: Final = 254  # RFC 5321's limit on a path, and what a user record holds


def _check_document_size(root: Node) -> None:
    """Raise ConstructorError for a document whose aliases expand it past
    MAX_DOCUMENT_VALUES values, that refers to itself, or holds a text beyond
    MAX_TEXT_LENGTH or with a NUL character.

    Counts each value as often as aliases repeat it, but visits each node once (iteratively:
    a deep document must not exhaust Python's stack).
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()  # being counted: met again below itself, it is a cycle
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_counted = stack.pop()
        key = id(node)
        if isinstance(node, ScalarNode):
            if len(node.value) > MAX_TEXT_LENGTH:
                raise ConstructorError(
                    None,
                    None,
                    f"a value of {len(node.value):,} characters; the limit is {MAX_TEXT_LENGTH:,}",
                    node.start_mark,
                )
            if "\x00" in node.value:  # a "\0" escape: PostgreSQL text cannot hold it
                raise ConstructorError(
                    None, None, "a value holds a NUL character (\\0)", node.start_mark
                )
            sizes[key] = 1
            continue
        children = (
            [item for pair in node.value for item in pair]
            if isinstance(node, MappingNode)
            else list(node.value)
        )
        if children_counted:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in children)
            if sizes[key] > MAX_DOCUMENT_VALUES:
                raise ConstructorError(
                    None,
                    None,
                    f"aliases expand this document to more than {MAX_DOCUMENT_VALUES:,} "
                    "values (a YAML bomb?)",
                    node.start_mark,
                )
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise ConstructorError(
                None, None, "an alias refers to a value that contains it", node.start_mark
            )
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)


class _CatalogLoader(_SafeLoader):
    """PyYAML's safe loader, but a repeated mapping key is an error (PyYAML keeps the last one
    silently; Backstage's YAML parser rejects "Map keys must be unique"), and a document
    beyond the limits above is an error before it is built."""

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        _check_document_size(node)
        return self.construct_document(node)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key; the base class reports it
                continue
            if duplicate:
                raise ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r}",
                    key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)


@dataclass(frozen=True, slots=True)
class _Document:
    number: int  # 1-based
    first_line: int  # 0-based index of the document's first line in the file
    text: str


def _split_documents(text: str) -> Iterator[_Document]:
    """Cut a YAML stream into documents, numbered like PyYAML's ``safe_load_all``."""
    number = 0
    current: list[str] = []
    first_line = 0
    explicit = False  # started by "---": counts even when empty, as PyYAML counts it

    def has_content(lines: list[str]) -> bool:
        for line in lines:
            stripped = line.strip()
            if stripped and not stripped.startswith(("#", "%", "...")):
                return True
        return False

    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        marker = _DOCUMENT_MARKER.match(line)
        if marker is None:
            current.append(line)
            continue
        if marker.group(1) == "---":
            if explicit or has_content(current):
                number += 1
                yield _Document(number, first_line, "".join(current))
            # Keep the marker line in the document so the parser's line numbers stay right.
            current, first_line, explicit = [line], index, True
        else:  # "..." ends the current document
            current.append(line)
            if explicit or has_content(current):
                number += 1
                yield _Document(number, first_line, "".join(current))
            current, first_line, explicit = [], index + 1, False
    if explicit or has_content(current):
        number += 1
        yield _Document(number, first_line, "".join(current))


def _yaml_problem_text(exc: yaml.YAMLError) -> tuple[str, int | None]:
    if isinstance(exc, yaml.MarkedYAMLError):
        parts = [part for part in (exc.context, exc.problem) if part]
        mark = exc.problem_mark or exc.context_mark
        return "; ".join(parts) or str(exc), (mark.line if mark is not None else None)
    return str(exc), None


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return type(value).__name__


class _DocumentChecker:
    """Turns one parsed document into an Entity, or into problems."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.errors: list[Problem] = []
        self.notes: list[Problem] = []
        self.label = "entity"  # improved to "Component artist-web" once known

    def error(self, code: str, message: str) -> None:
        self.errors.append(
            Problem(
                Severity.ERROR,
                code,
                f"{self.label}: {message}",
                self.source.path,
                self.source.document,
            )
        )

    def note(self, code: str, message: str) -> None:
        self.notes.append(
            Problem(
                Severity.NOTE,
                code,
                f"{self.label}: {message}",
                self.source.path,
                self.source.document,
            )
        )

    def optional_string(self, mapping: dict[Any, Any], key: str, where: str) -> str | None:
        value = mapping.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.error(
                "invalid-field", f"{where}.{key} must be a string, not a {_type_name(value)}"
            )
            return None
        return value

    def check(self, document: object) -> Entity | None:
        if not isinstance(document, dict):
            self.error(
                "not-mapping",
                f"the document is a {_type_name(document)}, not a mapping "
                "(an entity needs apiVersion, kind and metadata)",
            )
            return None

        api_version = document.get("apiVersion")
        kind = document.get("kind")
        metadata = document.get("metadata")
        for key, value in (("apiVersion", api_version), ("kind", kind), ("metadata", metadata)):
            if value is None or value == "":
                self.error("missing-field", f"{key} is missing")
        if api_version is not None and not isinstance(api_version, str):
            self.error(
                "invalid-field", f"apiVersion must be a string, not {_type_name(api_version)}"
            )
        if kind is not None and not is_valid_kind(kind):
            self.error("invalid-field", f"kind {kind!r} is not a valid kind")

        name: object = None
        namespace: object = DEFAULT_NAMESPACE
        if metadata is not None and not isinstance(metadata, dict):
            self.error("invalid-field", f"metadata must be a mapping, not a {_type_name(metadata)}")
        elif isinstance(metadata, dict):
            name = metadata.get("name")
            namespace = metadata.get("namespace", DEFAULT_NAMESPACE)
            if name is None or name == "":
                self.error("missing-field", "metadata.name is missing")
            elif not is_valid_name(name):
                self.error(
                    "invalid-name",
                    f"metadata.name {name!r} is not a valid entity name (1-63 letters, digits, "
                    "'-', '_' or '.', starting and ending with a letter or digit)",
                )
            if not is_valid_namespace(namespace):
                self.error(
                    "invalid-namespace",
                    f"metadata.namespace {namespace!r} is not a valid namespace "
                    "(lower-case letters, digits and single '-')",
                )
        if self.errors:
            return None
        assert isinstance(kind, str) and isinstance(name, str) and isinstance(namespace, str)
        assert isinstance(metadata, dict) and isinstance(api_version, str)

        kind_key = kind.lower()
        self.label = f"{KIND_NAMES.get(kind_key, kind)} {namespace}/{name}"
        if kind_key not in KIND_NAMES:
            self.note("unknown-kind", f"kind {kind!r} is not imported; skipped")
            return None
        if api_version not in SUPPORTED_API_VERSIONS:
            self.error(
                "invalid-field",
                f"apiVersion {api_version!r} is not supported for kind {KIND_NAMES[kind_key]} "
                f"(expected one of {', '.join(sorted(SUPPORTED_API_VERSIONS))})",
            )
            return None

        spec = document.get("spec")
        if spec is None:
            spec = {}
        elif not isinstance(spec, dict):
            self.error("invalid-field", f"spec must be a mapping, not a {_type_name(spec)}")
            return None

        fields: dict[str, Any] = {
            "title": self.optional_string(metadata, "title", "metadata"),
            "description": self.optional_string(metadata, "description", "metadata"),
            "type": self.optional_string(spec, "type", "spec"),
            "lifecycle": self.optional_string(spec, "lifecycle", "spec"),
        }
        for relation in _RELATIONS[kind_key]:
            fields[relation.attribute] = self.relation(spec, relation, namespace)
        if kind_key in ("user", "group"):
            profile = spec.get("profile")
            if profile is not None and not isinstance(profile, dict):
                self.error(
                    "invalid-field", f"spec.profile must be a mapping, not a {_type_name(profile)}"
                )
            elif isinstance(profile, dict):
                fields["display_name"] = self.optional_string(
                    profile, "displayName", "spec.profile"
                )
                fields["email"] = self.optional_string(profile, "email", "spec.profile")
                if fields["email"] and len(fields["email"]) > MAX_EMAIL_LENGTH:
                    self.error(
                        "invalid-field",
                        f"spec.profile.email is longer than {MAX_EMAIL_LENGTH} characters",
                    )
        if kind_key == "location":
            fields["targets"] = self.location_targets(spec)
        if self.errors:
            return None
        return Entity(
            ref=EntityRef(kind_key, namespace, name),
            kind=KIND_NAMES[kind_key],
            namespace=namespace,
            name=name,
            source=self.source,
            **fields,
        )

    def relation(
        self, spec: dict[Any, Any], relation: _RelationField, namespace: str
    ) -> EntityRef | tuple[EntityRef, ...] | None:
        value = spec.get(relation.key)
        where = f"spec.{relation.key}"
        if value is None:
            return () if relation.many else None
        if relation.many:
            # Backstage's schemas declare these as arrays of strings (e.g. ComponentEntity's
            # dependsOn?: string[]); a bare string is rejected there, so it is here too.
            if not isinstance(value, list):
                self.error(
                    "relation-type",
                    f"{where} must be a list of entity references, not a {_type_name(value)}",
                )
                return ()
            refs = []
            for index, item in enumerate(value):
                ref = self.reference(item, f"{where}[{index}]", relation, namespace)
                if ref is not None and ref not in refs:
                    refs.append(ref)
            return tuple(refs)
        return self.reference(value, where, relation, namespace)

    def reference(
        self, value: object, where: str, relation: _RelationField, namespace: str
    ) -> EntityRef | None:
        if not isinstance(value, str):
            self.error(
                "relation-type",
                f"{where} must be an entity reference string, not a {_type_name(value)}",
            )
            return None
        try:
            return parse_entity_ref(
                value, default_kind=relation.default_kind, default_namespace=namespace
            )
        except EntityRefError as exc:
            self.error("invalid-ref", f"{where}: {exc}")
            return None

    def location_targets(self, spec: dict[Any, Any]) -> tuple[str, ...]:
        targets: list[str] = []
        target = spec.get("target")
        if target is not None:
            if isinstance(target, str) and target:
                targets.append(target)
            else:
                self.error(
                    "relation-type", f"spec.target must be a string, not a {_type_name(target)}"
                )
        many = spec.get("targets")
        if many is not None:
            if isinstance(many, list) and all(isinstance(t, str) and t for t in many):
                targets.extend(many)
            else:
                self.error("relation-type", "spec.targets must be a list of strings")
        if not targets and not self.errors:
            self.note("location-target-missing", "the Location names no target")
        return tuple(targets)


class _CatalogReader:
    def __init__(self) -> None:
        self.entities: dict[EntityRef, Entity] = {}
        self.problems: list[Problem] = []
        self.files: list[Path] = []
        self.seen: set[Path] = set()

    def read_root(self, path: Path) -> None:
        if not path.exists():
            self.problems.append(Problem(Severity.ERROR, "file-not-found", "no such file", path))
            return
        if not path.is_file():
            self.problems.append(
                Problem(
                    Severity.ERROR,
                    "file-not-found",
                    "not a file (a catalog-info.yaml file is expected)",
                    path,
                )
            )
            return
        self.walk(path)

    def walk(self, root: Path) -> None:
        # Depth-first over Location targets. `chain` holds the files whose Locations led here,
        # so that a Location naming one of its own ancestors is reported as a cycle rather than
        # followed; any file already read (a cycle or just a second Location naming it) is
        # never read twice.
        stack: list[tuple[Path, tuple[Path, ...]]] = [(root, ())]
        while stack:
            path, chain = stack.pop()
            key = path.resolve()
            if key in self.seen:
                continue
            self.seen.add(key)
            self.files.append(path)
            found: list[tuple[Path, Entity]] = []
            for location in self.read_file(path):
                found.extend((target, location) for target in self.location_files(location))
            pending = []
            for target, location in found:
                target_key = target.resolve()
                if target_key == key or target_key in chain:
                    loop = " -> ".join(str(p) for p in (*chain, key, target_key))
                    self.problems.append(
                        Problem(
                            Severity.NOTE,
                            "location-cycle",
                            f"Location {location.namespace}/{location.name} names {target}, "
                            f"which is already being read ({loop}); not read again",
                            location.source.path,
                            location.source.document,
                        )
                    )
                    continue
                pending.append((target, (*chain, key)))
            stack.extend(reversed(pending))

    def read_file(self, path: Path) -> list[Entity]:
        """Read one file's documents; return its valid Location entities."""
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                self.problems.append(
                    Problem(
                        Severity.ERROR,
                        "unreadable-file",
                        f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; "
                        "split it into several files",
                        path,
                    )
                )
                return []
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            self.problems.append(
                Problem(
                    Severity.ERROR,
                    "unreadable-file",
                    f"not UTF-8 text (byte {exc.start}); save it as UTF-8",
                    path,
                )
            )
            return []
        except OSError as exc:
            self.problems.append(Problem(Severity.ERROR, "unreadable-file", str(exc), path))
            return []
        locations = []
        for document in _split_documents(text):
            try:
                data = yaml.load(document.text, Loader=_CatalogLoader)
            except yaml.YAMLError as exc:
                message, line = _yaml_problem_text(exc)
                self.problems.append(
                    Problem(
                        Severity.ERROR,
                        "yaml",
                        f"malformed YAML: {message}",
                        path,
                        document.number,
                        None if line is None else document.first_line + line + 1,
                    )
                )
                continue
            if data is None:  # an empty document ("---" and nothing after it)
                continue
            checker = _DocumentChecker(Source(path, document.number))
            entity = checker.check(data)
            self.problems.extend(checker.errors)
            self.problems.extend(checker.notes)
            if entity is None:
                continue
            self.add(entity)
            if entity.ref.kind == "location":
                locations.append(entity)
        return locations

    def add(self, entity: Entity) -> None:
        existing = self.entities.get(entity.ref)
        if existing is None:
            self.entities[entity.ref] = entity
        elif existing != entity:
            self.problems.append(
                Problem(
                    Severity.ERROR,
                    "duplicate-entity",
                    f"{entity.ref} is defined again with different content "
                    f"(first in {existing.source})",
                    entity.source.path,
                    entity.source.document,
                )
            )
        # The same entity with the same content twice is one entity: nothing to report.

    def location_files(self, location: Entity) -> list[Path]:
        files: list[Path] = []

        def note(code: str, message: str) -> None:
            self.problems.append(
                Problem(
                    Severity.NOTE,
                    code,
                    f"Location {location.namespace}/{location.name}: {message}",
                    location.source.path,
                    location.source.document,
                )
            )

        # spec.type is "url" or "file" for descriptor files; other types (e.g. "github-org")
        # are discovery providers that only a running Backstage can expand.
        if location.type not in (None, "url", "file"):
            note(
                "location-unsupported", f"type {location.type!r} cannot be read from files; skipped"
            )
            return files
        for target in location.targets:
            parts = urlsplit(target)
            # A scheme longer than one letter is a URL ("C:" would be a Windows drive).
            if len(parts.scheme) > 1 and parts.scheme != "file":
                note("location-url", f"target {target} is a URL; only local files are read")
                continue
            raw = parts.path if parts.scheme == "file" else target
            candidate = Path(raw)
            if not candidate.is_absolute():
                # Relative targets are relative to the file that holds the Location.
                candidate = location.source.path.parent / candidate
            candidate = Path(os.path.normpath(candidate))
            if _GLOB_CHARACTERS.search(raw):
                matches = sorted(Path(m) for m in glob.glob(str(candidate), recursive=True))
                matches = [m for m in matches if m.is_file()]
                if not matches:
                    note("location-target-missing", f"target {target} matches no file")
                files.extend(matches)
            elif candidate.is_file():
                files.append(candidate)
            else:
                note("location-target-missing", f"target {target} ({candidate}) does not exist")
        return files

    def finish(self) -> Catalog:
        for entity in self.entities.values():
            for where, ref in entity.references():
                if ref not in self.entities:
                    self.problems.append(
                        Problem(
                            Severity.NOTE,
                            "unresolved-ref",
                            f"{entity.ref} {where} names {ref}, which is not in the files read",
                            entity.source.path,
                            entity.source.document,
                        )
                    )
        return Catalog(
            entities=tuple(self.entities.values()),
            problems=tuple(self.problems),
            files=tuple(self.files),
        )


def read_catalog(paths: Iterable[str | os.PathLike[str]]) -> Catalog:
    """Read Backstage descriptor files and every file their Location entities name.

    A path given here that does not exist is an error; a Location target that does not exist
    is a note (Backstage's own example catalog names files it does not ship).
    """
    reader = _CatalogReader()
    for path in paths:
        reader.read_root(Path(path))
    return reader.finish()
