"""Audit entries read as sentences, not Python values (pure: no database)."""

from __future__ import annotations

import pytest

from cataligent.history_text import history_sentence

NAMES = {"sara": "Sara Lind", "noah": "Noah Berg"}


@pytest.mark.parametrize(
    ("field", "old", "new", "sentence"),
    [
        ("owner", None, "noah", "set the owner to Noah Berg"),
        ("owner", "sara", "noah", "changed the owner from Sara Lind to Noah Berg"),
        ("owner", "sara", None, "removed the owner (Sara Lind)"),
        ("team", None, "payments", "set the owning team to payments"),
        ("escalation_policy", "p1", None, "removed the escalation policy (p1)"),
        ("manual_state", "", "blocked", "set the state by hand to blocked"),
        ("manual_state", "blocked", "", "cleared the manual state; tickets decide again"),
        ("declared_status", "on_track", "off_track", "declared it off track"),
        (
            "depends_on",
            None,
            {"target": "core-db", "criticality": "hard", "redundancy_group": ""},
            "added a dependency on core-db (hard)",
        ),
        (
            "depends_on",
            {"target": "core-db", "criticality": "soft", "redundancy_group": "dbs"},
            None,
            "removed the dependency on core-db (soft), one of the alternatives in “dbs”",
        ),
        (
            "requires",
            [{"node": "a", "criticality": "hard"}, {"node": "b", "criticality": "hard"}],
            [{"node": "a", "criticality": "soft"}, {"node": "c", "criticality": "hard"}],
            "now requires c (hard); no longer requires b; changed the requirement on a to soft",
        ),
        (
            "levels",
            [],
            [{"after_minutes": 30, "notify": "lead of Payments"}],
            "set the escalation levels: after 30 min to lead of Payments",
        ),
        ("members", ["sara"], ["noah", "sara"], "added Noah Berg as members"),
        ("tickets", None, "INC0012", "linked ticket INC0012"),
        ("tickets", "INC0012", None, "unlinked ticket INC0012"),
        (
            "escalation",
            "level 2 open",
            "acknowledged: on it",
            "acknowledged the level 2 escalation: “on it”",
        ),
    ],
)
def test_changes_read_as_sentences(field: str, old: object, new: object, sentence: str) -> None:
    assert history_sentence(action="update", field=field, old=old, new=new, names=NAMES) == (
        sentence
    )


def test_creation_and_deletion() -> None:
    assert history_sentence(action="create", field="", old=None, new=None) == "created it"
    assert history_sentence(action="delete", field="", old=None, new=None) == "deleted it"


def test_an_unknown_field_still_reads() -> None:
    assert history_sentence(action="update", field="cadence_days", old=7, new=14) == (
        "changed the cadence days from 7 to 14"
    )
