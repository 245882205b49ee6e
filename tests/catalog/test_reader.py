from collections import Counter
from pathlib import Path
from textwrap import dedent

from dependencies.catalog import Catalog, EntityRef, Severity, read_catalog


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dedent(text).lstrip(), encoding="utf-8")
    return path


def codes(catalog: Catalog, severity: Severity) -> list[str]:
    return [p.code for p in catalog.problems if p.severity is severity]


def component(name: str, **spec: str) -> str:
    lines = "".join(f"\n  {key}: {value}" for key, value in spec.items())
    return (
        dedent(f"""\
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata:
          name: {name}
        spec:
          type: service
          lifecycle: production
          owner: team-a""")
        + lines
        + "\n"
    )


# --- Backstage's example catalog --------------------------------------------------------------


def test_all_yaml_follows_locations(examples: Path) -> None:
    catalog = read_catalog([examples / "all.yaml"])

    assert catalog.errors == ()
    assert Counter(e.kind for e in catalog.entities) == {
        "Location": 6,  # all.yaml and the five all-*.yaml it names
        "API": 10,
        "Component": 13,
        "Domain": 3,
        "Resource": 1,
        "System": 3,
    }
    assert len(catalog.files) == 6 + 10 + 13 + 3 + 1 + 3
    # all.yaml names ./all-ai-resources.yaml, which the example set does not ship.
    missing = [p for p in catalog.notes if p.code == "location-target-missing"]
    assert len(missing) == 1 and "all-ai-resources.yaml" in missing[0].message
    # all.yaml imports no Groups or Users, so owners are references outside the import set.
    unresolved = {p.message for p in catalog.notes if p.code == "unresolved-ref"}
    assert (
        "component:default/artist-lookup spec.owner names group:default/team-a, "
        "which is not in the files read"
    ) in unresolved


def test_entity_fields_and_source(examples: Path) -> None:
    catalog = read_catalog([examples / "all.yaml"])
    lookup = catalog.get("component:artist-lookup")

    assert lookup is not None
    assert lookup.ref == EntityRef("component", "default", "artist-lookup")
    assert (lookup.kind, lookup.type, lookup.lifecycle) == ("Component", "service", "experimental")
    assert lookup.description == "Artist Lookup"
    assert lookup.owner == EntityRef("group", "default", "team-a")
    assert lookup.system == EntityRef("system", "default", "artist-engagement-portal")
    assert lookup.depends_on == (EntityRef("resource", "default", "artists-db"),)
    assert lookup.source.path.name == "artist-lookup-component.yaml"
    assert lookup.source.document == 1

    petstore = catalog.get("component:petstore")
    assert petstore is not None
    assert [str(r) for r in petstore.provides_apis] == [
        "api:default/petstore",
        "api:default/streetlights",
        "api:default/hello-world",
    ]
    search = catalog.get("component:wayback-search")
    assert search is not None and search.consumes_apis == (
        EntityRef("api", "default", "wayback-archive"),
    )
    artists = catalog.get("domain:artists")
    assert artists is not None
    assert artists.title == "Artists"
    assert artists.subdomain_of == EntityRef("domain", "default", "audio")
    playback = catalog.get("domain:playback")
    assert playback is not None and playback.owner == EntityRef("user", "default", "frank.tiernan")


def test_groups_and_users(examples: Path) -> None:
    catalog = read_catalog([examples / "acme-corp.yaml"])

    assert catalog.errors == ()
    team_a = catalog.get("group:team-a")
    assert team_a is not None
    assert team_a.parent == EntityRef("group", "default", "backstage")
    assert team_a.email == "team-a@example.com" and team_a.display_name is None
    backstage = catalog.get("group:backstage")
    assert backstage is not None
    assert backstage.children == (
        EntityRef("group", "default", "team-a"),
        EntityRef("group", "default", "team-b"),
    )
    janelle = catalog.get("user:janelle.dawe")
    assert janelle is not None
    assert (janelle.display_name, janelle.email) == ("Janelle Dawe", "janelle-dawe@example.com")
    assert janelle.member_of == (EntityRef("group", "default", "team-a"),)
    # Two users named guest, in two namespaces; the second names its group explicitly.
    guest = catalog.get("user:development/guest")
    assert guest is not None and guest.source.document == 6
    assert guest.member_of == (EntityRef("group", "default", "team-a"),)
    assert catalog.get("user:guest") is not None


def test_other_namespace_and_owner_with_namespace(examples: Path) -> None:
    catalog = read_catalog([examples / "components" / "different-namespace.yaml"])

    entity = catalog.get("component:alternative/different-namespace")
    assert entity is not None
    assert entity.owner == EntityRef("group", "default", "team-a")


def test_invalid_name_in_the_examples_is_an_error(examples: Path) -> None:
    catalog = read_catalog([examples / "components" / "invalid-component.yaml"])

    assert codes(catalog, Severity.ERROR) == ["invalid-name"]
    assert catalog.entities == ()
    assert "'invalid component'" in catalog.errors[0].message


def test_reading_twice_is_not_a_duplicate(examples: Path) -> None:
    once = read_catalog([examples / "all.yaml"])
    twice = read_catalog([examples / "all.yaml", examples / "all-components.yaml"])

    assert twice.errors == ()
    assert twice.entities == once.entities


# --- malformed input ------------------------------------------------------------------------------


def test_bad_yaml_in_document_3_keeps_the_others(tmp_path: Path) -> None:
    path = write(
        tmp_path / "catalog-info.yaml",
        component("one")
        + "---\n"
        + component("two")
        + "---\n"
        + "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: [unclosed\n"
        + "---\n"
        + component("four"),
    )

    catalog = read_catalog([path])

    assert codes(catalog, Severity.ERROR) == ["yaml"]
    error = catalog.errors[0]
    assert (error.path, error.document) == (path, 3)
    assert error.line is not None and error.line >= 20
    assert "document 3" in str(error)
    assert {e.name for e in catalog.entities} == {"one", "two", "four"}
    four = catalog.get("component:four")
    assert four is not None and four.source.document == 4


def test_non_mapping_document(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", component("one") + "---\n- just\n- a list\n")

    catalog = read_catalog([path])

    assert codes(catalog, Severity.ERROR) == ["not-mapping"]
    assert catalog.errors[0].document == 2


def test_unknown_kind_is_a_note_and_skipped(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.yaml",
        """
        apiVersion: scaffolder.backstage.io/v1beta3
        kind: Template
        metadata:
          name: springboot-template
        spec: {}
        """,
    )

    catalog = read_catalog([path])

    assert catalog.ok
    assert codes(catalog, Severity.NOTE) == ["unknown-kind"]
    assert catalog.entities == ()


def test_missing_envelope_fields(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.yaml",
        """
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata:
          description: no name
        ---
        kind: Component
        metadata:
          name: no-api-version
        ---
        apiVersion: backstage.io/v1alpha1
        metadata:
          name: no-kind
        """,
    )

    catalog = read_catalog([path])

    assert [(p.code, p.document) for p in catalog.errors] == [
        ("missing-field", 1),
        ("missing-field", 2),
        ("missing-field", 3),
    ]
    assert "metadata.name is missing" in catalog.errors[0].message
    assert catalog.entities == ()


def test_relation_fields_of_the_wrong_type(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.yaml",
        component("a", dependsOn="resource:db")  # a string where a list belongs
        + "---\n"
        + component("b", dependsOn="[db]")  # dependsOn has no default kind
        + "---\n"
        + component("c", system="[x, y]")  # a list where one reference belongs
        + "---\n"
        + component("d", providesApis="[{name: x}]"),
    )

    catalog = read_catalog([path])

    assert [(p.code, p.document) for p in catalog.errors] == [
        ("relation-type", 1),
        ("invalid-ref", 2),
        ("relation-type", 3),
        ("relation-type", 4),
    ]
    assert "missing or empty kind" in catalog.errors[1].message
    assert catalog.entities == ()


def test_duplicate_yaml_keys_are_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", component("a") + "  owner: team-b\n")

    catalog = read_catalog([path])

    assert codes(catalog, Severity.ERROR) == ["yaml"]
    assert "duplicate key 'owner'" in catalog.errors[0].message


def test_conflicting_duplicate_entity_is_an_error(tmp_path: Path) -> None:
    first = write(tmp_path / "a.yaml", component("same"))
    second = write(tmp_path / "b.yaml", component("Same", dependsOn="[resource:db]"))
    identical = write(tmp_path / "c.yaml", component("same"))

    catalog = read_catalog([first, identical, second])

    assert codes(catalog, Severity.ERROR) == ["duplicate-entity"]
    assert catalog.errors[0].path == second
    assert str(first) in catalog.errors[0].message
    assert len(catalog.entities) == 1


def test_references_match_case_insensitively(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.yaml",
        component("web", dependsOn="['Resource:Default/Artists-DB']")
        + "---\n"
        + "apiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata:\n  name: artists-db\n"
        + "spec:\n  type: database\n  owner: team-a\n",
    )

    catalog = read_catalog([path])

    unresolved = [p.message for p in catalog.notes if p.code == "unresolved-ref"]
    assert not any("names resource:" in message for message in unresolved)
    web = catalog.get("component:web")
    assert web is not None and web.depends_on == (EntityRef("resource", "default", "artists-db"),)


def test_location_cycle_and_duplicate_targets(tmp_path: Path) -> None:
    location = """
        apiVersion: backstage.io/v1alpha1
        kind: Location
        metadata:
          name: {name}
        spec:
          targets: [{targets}]
        """
    a = write(tmp_path / "a.yaml", location.format(name="a", targets="./sub/b.yaml, ./c.yaml"))
    write(tmp_path / "sub" / "b.yaml", location.format(name="b", targets="../a.yaml, ../c.yaml"))
    write(tmp_path / "c.yaml", component("c"))

    catalog = read_catalog([a])

    assert catalog.ok
    assert codes(catalog, Severity.NOTE).count("location-cycle") == 1
    assert sorted(p.name for p in catalog.files) == ["a.yaml", "b.yaml", "c.yaml"]
    assert {e.name for e in catalog.entities} == {"a", "b", "c"}


def test_location_url_targets_and_globs(tmp_path: Path) -> None:
    write(tmp_path / "teams" / "x" / "catalog-info.yaml", component("x"))
    write(tmp_path / "teams" / "y" / "catalog-info.yaml", component("y"))
    root = write(
        tmp_path / "root.yaml",
        """
        apiVersion: backstage.io/v1alpha1
        kind: Location
        metadata:
          name: root
        spec:
          type: url
          targets:
            - https://github.com/example/repo/blob/main/catalog-info.yaml
            - ./teams/*/catalog-info.yaml
        """,
    )

    catalog = read_catalog([root])

    assert catalog.ok
    assert codes(catalog, Severity.NOTE) == ["location-url", "unresolved-ref", "unresolved-ref"]
    assert {e.name for e in catalog.of_kind("component")} == {"x", "y"}


def test_missing_command_line_path_is_an_error(tmp_path: Path) -> None:
    catalog = read_catalog([tmp_path / "nope.yaml", tmp_path])

    assert codes(catalog, Severity.ERROR) == ["file-not-found", "file-not-found"]


def test_empty_documents_count_like_pyyaml(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", "# leading comment\n---\n" + component("a") + "---\n---\n")
    path.write_text(path.read_text() + component("b"))

    catalog = read_catalog([path])

    assert catalog.ok
    b = catalog.get("component:b")
    assert b is not None and b.source.document == 3
