"""One parsed catalog document checked against Backstage's descriptor format, into an Entity.

Which fields make relations, and the default kind of each, follow Backstage's
``BuiltinKindsEntityProcessor``; every problem is collected, nothing raises.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from .documents import MAX_EMAIL_LENGTH
from .model import Entity, Problem, Severity, Source
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


class DocumentChecker:
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
