"""Suggested links for an orphan ticket (DESIGN §2, report `alignment`). Pure.

A node or objective is suggested when its slug, name, key or external reference appears
in the ticket's configuration item, components, labels or title: case-insensitively and
on word boundaries, so `pay` is not found in "payments" nor `OBJ-1` in "OBJ-12". Texts and
terms are compared as sequences of words (letters and digits), which makes "lending-api",
"Lending API" and "lending_api" the same words.

The index is built once from every node and objective; looking a ticket up costs one dict
lookup per word of its texts plus the few terms starting with that word, whatever the
size of the graph. No database here.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

WORD = re.compile(r"[^\W_]+")
# A term shorter than this many letters and digits ("db", "ui") would match everywhere.
MIN_TERM_CHARS = 3
# Longer titles are read only this far: the bound on the work per ticket.
MAX_WORDS = 300
# Where a match counts most: a CI names the thing; a title word merely mentions it.
FIELDS = ("ci", "component", "label", "title")
FIELD_LABELS = {"ci": "CI", "component": "component", "label": "label", "title": "title"}


def words(text: str) -> tuple[str, ...]:
    return tuple(WORD.findall(text.casefold()))


@dataclass(frozen=True)
class Target:
    kind: str  # "node" or "objective"
    pk: int
    ref: str  # the node's slug or the objective's key
    name: str
    team_id: int | None


@dataclass(frozen=True)
class Suggestion:
    target: Target
    field: str  # one of FIELDS
    term: str  # the slug, name, key or reference found

    def as_json(self, team_slugs: dict[int, str]) -> dict[str, object]:
        ref = "slug" if self.target.kind == "node" else "key"
        return {
            "kind": self.target.kind,
            ref: self.target.ref,
            "name": self.target.name,
            "team": team_slugs.get(self.target.team_id) if self.target.team_id else None,
            "field": self.field,
            "matched": self.term,
        }

    def describe(self) -> str:
        return f"{self.target.kind} {self.target.ref} ({FIELD_LABELS[self.field]} “{self.term}”)"


class SuggestionIndex:
    def __init__(self) -> None:
        # first word -> (all words, the term as written, target)
        self._by_first: dict[str, list[tuple[tuple[str, ...], str, Target]]] = defaultdict(list)

    def add(self, target: Target, *terms: str) -> None:
        seen: set[tuple[str, ...]] = set()
        for term in terms:
            found = words(term or "")
            if sum(map(len, found)) < MIN_TERM_CHARS or found in seen:
                continue
            seen.add(found)
            self._by_first[found[0]].append((found, term, target))

    @classmethod
    def of(
        cls,
        nodes: Iterable[tuple[int, str, str, str, int | None]],
        objectives: Iterable[tuple[int, str, str, int | None]],
    ) -> SuggestionIndex:
        """`nodes` are (id, slug, name, external_ref, team id); `objectives` are
        (id, key, title, team id)."""
        index = cls()
        for pk, slug, name, external_ref, team_id in nodes:
            index.add(Target("node", pk, slug, name, team_id), slug, name, external_ref)
        for pk, key, title, team_id in objectives:
            index.add(Target("objective", pk, key, title, team_id), key, title)
        return index

    def _found_in(self, text: str) -> list[tuple[int, str, Target]]:
        """(length in words, term, target) of every term that appears in `text`."""
        found = words(text)[:MAX_WORDS]
        hits = []
        for i, word in enumerate(found):
            for term_words, term, target in self._by_first.get(word, ()):
                if found[i : i + len(term_words)] == term_words:
                    hits.append((len(term_words), term, target))
        return hits

    def suggest(
        self,
        *,
        ci: str,
        components: Sequence[str],
        labels: Sequence[str],
        title: str,
        limit: int,
    ) -> list[Suggestion]:
        """At most `limit` suggestions, one per target: CI matches first, then components,
        labels and the title; within a field, the longer term (the more specific) first."""
        texts = {"ci": [ci], "component": components, "label": labels, "title": [title]}
        chosen: dict[tuple[str, int], Suggestion] = {}
        for field in FIELDS:
            hits = [
                hit
                for text in texts[field]
                if isinstance(text, str)
                for hit in self._found_in(text)
            ]
            for _length, term, target in sorted(hits, key=lambda h: (-h[0], h[2].kind, h[2].ref)):
                key = (target.kind, target.pk)
                if key not in chosen:
                    chosen[key] = Suggestion(target, field, term)
                    if len(chosen) >= limit:
                        return list(chosen.values())
        return list(chosen.values())
