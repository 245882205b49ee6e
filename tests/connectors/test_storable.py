"""integrations/storable.py: what PostgreSQL refuses, made storable."""

from __future__ import annotations

from datetime import UTC, datetime

from integrations.connectors import NormalizedTicket
from integrations.storable import storable, storable_record, storable_text


def test_text() -> None:
    assert storable_text("a\x00b") == "ab"
    assert storable_text("lone \ud800 and \udfff") == "lone \ufffd and \ufffd"
    assert storable_text("emoji 😀 stays") == "emoji 😀 stays"


def test_nested_values_keys_and_huge_integers() -> None:
    value = {"k\x00": ["x\x00", ("y\ud800",), 2**70, -(2**63), True, None, 1.5]}
    assert storable(value) == {"k": ["x", ("y\ufffd",), str(2**70), -(2**63), True, None, 1.5]}


def test_nan_and_infinities_are_kept_as_their_names() -> None:
    """Python's json reads NaN, Infinity and 1e999; PostgreSQL's json refuses them."""
    value = [float("nan"), float("inf"), -float("inf"), 1e308]
    assert storable(value) == ["nan", "inf", "-inf", 1e308]


def test_a_normalized_ticket() -> None:
    moment = datetime(2026, 11, 26, tzinfo=UTC)
    ticket = NormalizedTicket(
        external_id="1\x00",
        key="K-1",
        url="",
        title="t\x00",
        status_raw="open",
        status_category="open",
        priority=3,
        is_blocker=False,
        assignee=None,
        assignment_group="g\ud800",
        reassignment_count=None,
        ci=None,
        components=("c\x00",),
        labels=(),
        opened_at=moment,
        updated_at=moment,
        resolved_at=None,
        raw={"title": "t\x00"},
    )
    clean = storable_record(ticket)
    assert (clean.external_id, clean.title, clean.assignment_group) == ("1", "t", "g\ufffd")
    assert clean.components == ("c",) and clean.raw == {"title": "t"}
    assert clean.updated_at == moment and ticket.title == "t\x00"  # a copy


def test_nesting_deeper_than_the_encoder_goes_is_cut() -> None:
    import orjson

    from integrations.storable import MAX_DEPTH, TOO_DEEP

    deep: list[object] = []
    inner = deep
    for _ in range(300):  # orjson refuses more than 255 levels
        inner.append([])
        inner = inner[0]  # type: ignore[assignment]
    cleaned = storable({"k": deep})
    orjson.dumps(cleaned)  # encodes now
    level = cleaned["k"]
    for _ in range(MAX_DEPTH - 1):
        level = level[0]
    assert level == TOO_DEEP


def test_an_rt_record_with_a_lone_surrogate_or_a_huge_number_still_has_a_revision() -> None:
    from integrations.connectors.normalizing import content_revision

    assert content_revision({"Subject": "x \ud800"}) != content_revision({"Subject": "x"})
    assert content_revision({"CustomFields": [{"values": [2**70]}]})
