"""A YAML stream cut into documents, each parsed on its own within limits.

A repeated key is an error (as in Backstage's parser), and a document whose aliases expand it
beyond the limits below is refused before any Python value is built ("billion laughs").
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from typing import Any, Final

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode

try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

# A line that starts with "---" or "..." (then a space or the end of the line) is a document
# marker in YAML wherever it appears; it cannot be part of a scalar ("c-forbidden" in YAML 1.2,
# section 9.1.4). Splitting on these lines lets each document be parsed, and fail, on its own.
_DOCUMENT_MARKER = re.compile(r"^(---|\.\.\.)(?:[ \t]|\r?$)")
GLOB_CHARACTERS = re.compile(r"[*?\[]")


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


class CatalogLoader(_SafeLoader):
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
class Document:
    number: int  # 1-based
    first_line: int  # 0-based index of the document's first line in the file
    text: str


def split_documents(text: str) -> Iterator[Document]:
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
                yield Document(number, first_line, "".join(current))
            # Keep the marker line in the document so the parser's line numbers stay right.
            current, first_line, explicit = [line], index, True
        else:  # "..." ends the current document
            current.append(line)
            if explicit or has_content(current):
                number += 1
                yield Document(number, first_line, "".join(current))
            current, first_line, explicit = [], index + 1, False
    if explicit or has_content(current):
        number += 1
        yield Document(number, first_line, "".join(current))


def yaml_problem_text(exc: yaml.YAMLError) -> tuple[str, int | None]:
    if isinstance(exc, yaml.MarkedYAMLError):
        parts = [part for part in (exc.context, exc.problem) if part]
        mark = exc.problem_mark or exc.context_mark
        return "; ".join(parts) or str(exc), (mark.line if mark is not None else None)
    return str(exc), None
