import pytest

from dependencies.catalog import EntityRef, EntityRefError, parse_entity_ref


@pytest.mark.parametrize(
    ("text", "default_kind", "expected"),
    [
        ("team-a", "group", "group:default/team-a"),
        ("user:guest", "group", "user:default/guest"),
        ("default/team-a", "group", "group:default/team-a"),
        ("group:default/team-a", "group", "group:default/team-a"),
        ("resource:artists-db", None, "resource:default/artists-db"),
        # Backstage compares references case-insensitively.
        ("Resource:Default/Artists-DB", None, "resource:default/artists-db"),
        # A "/" ahead of the ":" means the colon belongs to the name (parseRefString).
        ("ns/a:b", "component", "component:ns/a:b"),
    ],
)
def test_parse_like_backstage(text: str, default_kind: str | None, expected: str) -> None:
    assert str(parse_entity_ref(text, default_kind=default_kind)) == expected


def test_namespace_defaults_to_the_referring_entitys_namespace() -> None:
    ref = parse_entity_ref("team-a", default_kind="group", default_namespace="alternative")
    assert ref == EntityRef("group", "alternative", "team-a")


@pytest.mark.parametrize("text", ["", ":x", "component:/x", "component:ns/", "a/"])
def test_malformed_refs_are_rejected(text: str) -> None:
    with pytest.raises(EntityRefError):
        parse_entity_ref(text, default_kind="component")


def test_depends_on_style_refs_need_a_kind() -> None:
    with pytest.raises(EntityRefError, match="missing or empty kind"):
        parse_entity_ref("artists-db", default_kind=None)
