"""Suggested links for orphan tickets: pure, no database."""

from __future__ import annotations

from reports.suggestions import SuggestionIndex, Target, words

LEDGER = Target("node", 1, "core-ledger", "Core Ledger", 10)
PAY = Target("node", 2, "pay", "Pay", 20)
LENDING_API = Target("node", 3, "lending-api", "Lending API", 10)
VENDOR = Target("node", 4, "kyc-vendor", "KYC vendor", None)
OBJ_1 = Target("objective", 5, "OBJ-1", "Launch digital lending", 10)
OBJ_12 = Target("objective", 6, "OBJ-12", "Cut onboarding time", 20)


def _index() -> SuggestionIndex:
    index = SuggestionIndex()
    for target in (LEDGER, PAY, LENDING_API, OBJ_1, OBJ_12):
        index.add(target, target.ref, target.name)
    index.add(VENDOR, VENDOR.ref, VENDOR.name, "backstage:resource:default/kyc-provider")
    return index


def _refs(limit: int = 5, **fields: object) -> list[tuple[str, str]]:
    given = {"ci": "", "components": [], "labels": [], "title": ""} | fields
    found = _index().suggest(limit=limit, **given)  # type: ignore[arg-type]
    return [(s.target.ref, s.field) for s in found]


def test_words_ignore_case_and_separators() -> None:
    assert words("Lending-API_v2 / OBJ-12") == ("lending", "api", "v2", "obj", "12")


def test_a_ci_naming_a_node_by_slug_or_name() -> None:
    assert _refs(ci="core-ledger") == [("core-ledger", "ci")]
    assert _refs(ci="CORE LEDGER (prod)") == [("core-ledger", "ci")]


def test_a_component_and_a_label() -> None:
    assert _refs(components=["Lending API"]) == [("lending-api", "component")]
    assert _refs(labels=["kyc-vendor"]) == [("kyc-vendor", "label")]


def test_a_word_of_the_title_and_an_objective_key() -> None:
    assert _refs(title="Timeouts on the lending api since Monday") == [("lending-api", "title")]
    assert _refs(title="Blocks OBJ-1 go-live") == [("OBJ-1", "title")]
    assert _refs(labels=["obj-12"]) == [("OBJ-12", "label")]


def test_an_external_reference() -> None:
    assert _refs(ci="backstage:resource:default/kyc-provider") == [("kyc-vendor", "ci")]


def test_no_suggestion_from_a_substring_inside_another_word() -> None:
    assert _refs(title="payments are slow", ci="paypal", labels=["repay"]) == []
    assert _refs(title="OBJ-123 and OBJ-12a and XOBJ-1") == []
    assert _refs(title="core-ledgers") == []


def test_terms_too_short_to_mean_anything_are_not_indexed() -> None:
    index = SuggestionIndex()
    index.add(Target("node", 9, "db", "DB", None), "db", "DB")
    assert index.suggest(ci="db", components=[], labels=[], title="db down", limit=3) == []


def test_one_suggestion_per_target_the_strongest_field_first_and_capped() -> None:
    found = _refs(
        ci="pay",
        labels=["core-ledger"],
        title="pay and core ledger and lending api for OBJ-1 and OBJ-12",
        limit=3,
    )
    assert found == [("pay", "ci"), ("core-ledger", "label"), ("lending-api", "title")]


def test_a_long_title_is_read_only_so_far() -> None:
    title = "word " * 1000 + "core-ledger"
    assert _refs(title=title) == []
