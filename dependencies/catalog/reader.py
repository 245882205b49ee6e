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
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from .checker import DocumentChecker
from .documents import (
    GLOB_CHARACTERS,
    MAX_FILE_BYTES,
    CatalogLoader,
    split_documents,
    yaml_problem_text,
)
from .model import Catalog, Entity, Problem, Severity, Source
from .refs import (
    EntityRef,
)

__all__ = ["MAX_FILE_BYTES", "read_catalog"]


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
        for document in split_documents(text):
            try:
                data = yaml.load(document.text, Loader=CatalogLoader)
            except yaml.YAMLError as exc:
                message, line = yaml_problem_text(exc)
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
            checker = DocumentChecker(Source(path, document.number))
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
            if GLOB_CHARACTERS.search(raw):
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
