"""Replay the real ServiceNow incident audit log into the simulator as a stream of updates.

The log is ../shared/data/servicenow_incident_event_log.csv.gz (UCI dataset 498; read its
README there): one row per update of an incident, rows of an incident together and in
``sys_mod_count`` order. It is read with gzip + csv as a stream and never copied.

Mapping onto the Table API shape, as the data README gives it: ``sys_updated_at`` ->
``sys_updated_on`` and ``sys_created_at`` -> ``sys_created_on`` as ``YYYY-MM-DD HH:MM:SS`` UTC
(the log has minute precision, so many updates share a timestamp); ``closed_code`` ->
``close_code``; ``incident_state`` New 1, Active 2, Awaiting * 3, Resolved 6, Closed 7 (the stray
``-100`` is passed through, as a real instance with a custom state would send it); priority,
impact and urgency keep their leading digit; ``?`` is ``""``. People, groups, CIs, locations,
problems and changes become reference fields pointing at rows named after the log's anonymised
labels ("Group 56"). The log has no short description; one is made from category,
subcategory and symptom.
"""

from __future__ import annotations

import csv
import gzip
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, TextIO

from .servicenow_records import Incident, stable_sys_id
from .store import SimulatorStore
from .timestamps import to_epoch_seconds

# parents[2]: integrations/simulator/replay.py -> integrations/simulator -> integrations -> repo
DEFAULT_INCIDENT_LOG: Final = (
    Path(__file__).resolve().parents[2]
    / ".."
    / "shared"
    / "data"
    / "servicenow_incident_event_log.csv.gz"
)
_STATES: Final = {"New": "1", "Active": "2", "Resolved": "6", "Closed": "7"}
_NOTIFY: Final = {"Do Not Notify": "1", "Send Email": "2"}
# log column -> (incident field, referenced table)
_REFERENCES: Final = {
    "caller_id": ("caller_id", "sys_user"),
    "opened_by": ("opened_by", "sys_user"),
    "assigned_to": ("assigned_to", "sys_user"),
    "resolved_by": ("resolved_by", "sys_user"),
    "assignment_group": ("assignment_group", "sys_user_group"),
    "cmdb_ci": ("cmdb_ci", "cmdb_ci"),
    "location": ("location", "cmn_location"),
    "problem_id": ("problem_id", "problem"),
    "rfc": ("rfc", "change_request"),
    "caused_by": ("caused_by", "change_request"),
}


def incident_log_path() -> Path:
    """``INCIDENT_LOG`` if set, else the shared data folder beside the repository."""
    return Path(os.environ.get("INCIDENT_LOG", DEFAULT_INCIDENT_LOG)).resolve()


def _clean(value: str | None) -> str:
    value = (value or "").strip()
    return "" if value == "?" else value


def _epoch(value: str) -> int:
    """``D/M/YYYY HH:MM`` (no seconds, no zone; UTC per the data README) -> epoch seconds."""
    value = _clean(value)
    if not value:
        return 0
    return int(datetime.strptime(value, "%d/%m/%Y %H:%M").replace(tzinfo=UTC).timestamp())


def _digit(label: str) -> str:
    """``"3 - Moderate"`` -> ``"3"``."""
    return _clean(label).split(" ", 1)[0]


def _state(label: str) -> str:
    label = _clean(label)
    if label.startswith("Awaiting"):
        return "3"
    return _STATES.get(label, label)


def incident_from_log_row(row: Mapping[str, str], store: SimulatorStore) -> Incident:
    """One log row as the incident it describes after that update."""
    number = _clean(row["number"])
    references = {
        field: store.reference_id(table, _clean(row.get(column)))
        for column, (field, table) in _REFERENCES.items()
    }
    category, subcategory, symptom = (
        _clean(row.get("category")),
        _clean(row.get("subcategory")),
        _clean(row.get("u_symptom")),
    )
    summary = " / ".join(part for part in (category, subcategory) if part)
    state = _state(row["incident_state"])
    return Incident(
        sys_id=stable_sys_id("incident", number),
        number=number,
        short_description=f"{summary}: {symptom}" if symptom else summary,
        state=state,
        priority=_digit(row["priority"]),
        impact=_digit(row["impact"]),
        urgency=_digit(row["urgency"]),
        sys_created_on=_epoch(row["sys_created_at"]),
        sys_updated_on=_epoch(row["sys_updated_at"]),
        opened_at=_epoch(row["opened_at"]),
        resolved_at=_epoch(row["resolved_at"]),
        closed_at=_epoch(row["closed_at"]),
        category=category,
        subcategory=subcategory,
        reassignment_count=int(_clean(row["reassignment_count"]) or 0),
        reopen_count=int(_clean(row["reopen_count"]) or 0),
        sys_mod_count=int(_clean(row["sys_mod_count"]) or 0),
        close_code=_clean(row.get("closed_code")),
        contact_type=_clean(row.get("contact_type")).lower(),
        sys_created_by=_clean(row.get("sys_created_by")),
        sys_updated_by=_clean(row.get("sys_updated_by")),
        extra={
            "active": _clean(row.get("active")) or "true",
            "made_sla": _clean(row.get("made_sla")),
            "u_symptom": symptom,
            "knowledge": _clean(row.get("knowledge")),
            "u_priority_confirmation": _clean(row.get("u_priority_confirmation")),
            "notify": _NOTIFY.get(_clean(row.get("notify")), _clean(row.get("notify"))),
            "vendor": _clean(row.get("vendor")),
        },
        caller_id=references["caller_id"],
        opened_by=references["opened_by"],
        assigned_to=references["assigned_to"],
        resolved_by=references["resolved_by"],
        assignment_group=references["assignment_group"],
        cmdb_ci=references["cmdb_ci"],
        location=references["location"],
        problem_id=references["problem_id"],
        rfc=references["rfc"],
        caused_by=references["caused_by"],
    )


@dataclass(slots=True)
class ReplayStats:
    rows: int = 0  # rows read
    applied: int = 0  # rows that updated the store
    stale: int = 0  # rows older (by sys_mod_count) than what the store already has
    incidents: int = 0  # incidents created by this replay


class IncidentLogReplay:
    """A resumable stream over the log: each ``apply(store, n)`` applies the next n rows.

    Between calls a connector can sync, so the log arrives as a stream of incremental updates
    rather than one big load.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else incident_log_path()
        self._file: TextIO | None = None
        self._rows: Iterator[dict[str, str]] | None = None
        self.exhausted = False

    def __enter__(self) -> IncidentLogReplay:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _reader(self) -> Iterator[dict[str, str]]:
        if self._rows is None:
            # Kept open across apply() calls; close() (or the end of the log) closes it.
            self._file = gzip.open(self.path, "rt", encoding="utf-8", newline="")  # noqa: SIM115
            self._rows = csv.DictReader(self._file)
        return self._rows

    def apply(
        self, store: SimulatorStore, count: int | None = None, *, at: datetime | None = None
    ) -> ReplayStats:
        """Apply up to ``count`` more rows (all remaining when None).

        The log is grouped by incident, so in file order its ``sys_updated_on`` values jump
        back and forth by weeks: a cursor-based sync would rightly miss rows that arrive with
        an older timestamp. To replay it as live traffic, pass ``at``: every row applied by
        this call is stamped ``sys_updated_on = at`` (like updates arriving now; equal
        timestamps within a batch exercise the sync's tie-break). Without ``at`` the log's own
        timestamps are kept, which suits a one-off load followed by a full sync.
        """
        stamp = to_epoch_seconds(at) if at is not None else None
        stats = ReplayStats()
        rows = self._reader()
        with store.lock:
            while count is None or stats.rows < count:
                row = next(rows, None)
                if row is None:
                    self.exhausted = True
                    self.close()
                    break
                stats.rows += 1
                incident = incident_from_log_row(row, store)
                if stamp is not None:
                    incident.sys_updated_on = stamp
                existing = store.incidents.get(incident.sys_id)
                if existing is not None and existing.sys_mod_count > incident.sys_mod_count:
                    stats.stale += 1  # the log has a few rows out of sys_mod_count order
                    continue
                if existing is None:
                    stats.incidents += 1
                store.save_incident(incident)
                store.generator.track(incident)
                stats.applied += 1
        return stats


def replay_incident_log(
    store: SimulatorStore,
    path: str | os.PathLike[str] | None = None,
    *,
    limit: int | None = None,
    at: datetime | None = None,
) -> ReplayStats:
    """Apply the first ``limit`` rows of the log (all of them when None) to the store; see
    ``IncidentLogReplay.apply`` for ``at``."""
    with IncidentLogReplay(path) as replay:
        return replay.apply(store, limit, at=at)
