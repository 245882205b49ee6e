"""Backstage entity references: ``[<kind>:][<namespace>/]<name>``.

This is a port of Backstage's own parser and naming rules, so that a catalog that Backstage
accepts is read the same way here:

- ``parseRefString`` / ``parseEntityRef`` in backstage/backstage
  ``packages/catalog-model/src/entity/ref.ts`` (https://backstage.io/docs/reference/catalog-model.parseentityref)
- ``stringifyEntityRef`` in the same file lower-cases all three parts: references are compared
  case-insensitively, so ``Resource:Artists-DB`` and ``resource:default/artists-db`` are one
  entity.
- name, namespace and kind rules from ``KubernetesValidatorFunctions.ts`` and
  ``CommonValidatorFunctions.ts`` in ``packages/catalog-model/src/validation/``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

DEFAULT_NAMESPACE: Final = "default"

# The kinds this reader understands, keyed by their lower-cased form, with Backstage's spelling.
KIND_NAMES: Final[dict[str, str]] = {
    "component": "Component",
    "resource": "Resource",
    "api": "API",
    "system": "System",
    "domain": "Domain",
    "group": "Group",
    "user": "User",
    "location": "Location",
}

# KubernetesValidatorFunctions.isValidObjectName: 1-63 characters, alphanumerics separated by
# [-_.]; must start and end with an alphanumeric.
_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
# CommonValidatorFunctions.isValidDnsLabel (namespaces): lower-case, no double hyphens.
_DNS_LABEL = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# KubernetesValidatorFunctions.isValidKind
_KIND = re.compile(r"^[a-zA-Z][a-z0-9A-Z]*$")


def is_valid_name(value: object) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= 63 and _NAME.match(value) is not None


def is_valid_namespace(value: object) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= 63 and _DNS_LABEL.match(value) is not None


def is_valid_kind(value: object) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= 63 and _KIND.match(value) is not None


class EntityRefError(ValueError):
    """A reference that Backstage's ``parseEntityRef`` would reject."""


@dataclass(frozen=True, order=True, slots=True)
class EntityRef:
    """The identity of an entity, always lower-cased (Backstage compares refs that way)."""

    kind: str
    namespace: str
    name: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", self.kind.lower())
        object.__setattr__(self, "namespace", self.namespace.lower())
        object.__setattr__(self, "name", self.name.lower())

    def __str__(self) -> str:
        return f"{self.kind}:{self.namespace}/{self.name}"


def parse_entity_ref(
    text: str, *, default_kind: str | None, default_namespace: str = DEFAULT_NAMESPACE
) -> EntityRef:
    """Parse ``[kind:][namespace/]name`` the way Backstage does.

    ``default_kind`` depends on the field the reference sits in (``spec.owner`` defaults to
    Group, ``spec.providesApis`` to API, ...). ``spec.dependsOn`` and ``spec.dependencyOf`` have
    *no* default kind: Backstage's ``BuiltinKindsEntityProcessor`` passes only
    ``{ defaultNamespace }`` for them, and ``parseEntityRef`` then throws "had missing or empty
    kind". ``default_namespace`` is the namespace of the entity that holds the reference (the
    processor passes ``selfRef.namespace``), not always ``default``.
    """
    if not text:
        raise EntityRefError("Entity reference must not be empty")
    colon = text.find(":")
    slash = text.find("/")
    # As in parseRefString: a "/" ahead of the ":" means the colon belongs to the name.
    if slash != -1 and slash < colon:
        colon = -1
    kind = None if colon == -1 else text[:colon]
    namespace = None if slash == -1 else text[colon + 1 : slash]
    name = text[max(colon + 1, slash + 1) :]
    if kind == "" or namespace == "" or name == "":
        raise EntityRefError(
            f'Entity reference "{text}" was not on the form [<kind>:][<namespace>/]<name>'
        )
    kind = kind or default_kind
    if not kind:
        raise EntityRefError(
            f'Entity reference "{text}" had missing or empty kind '
            '(e.g. did not start with "component:" or similar)'
        )
    return EntityRef(kind, namespace or default_namespace, name)
