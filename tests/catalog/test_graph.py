import re
from pathlib import Path
from textwrap import dedent

import pytest

from dependencies.catalog import (
    CatalogGraph,
    EntityRef,
    catalog_to_graph,
    node_slug,
    read_catalog,
    team_slug,
    username_for,
)

SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")  # Django's SlugField


@pytest.fixture(scope="module")
def graph(examples: Path) -> CatalogGraph:
    catalog = read_catalog([examples / "all.yaml", examples / "acme-corp.yaml"])
    assert catalog.ok
    return catalog_to_graph(catalog)


def edge_pairs(graph: CatalogGraph) -> set[tuple[str, str]]:
    return {(edge.source, edge.target) for edge in graph.edges}


def test_node_kinds(graph: CatalogGraph) -> None:
    kinds = {node.slug: node.kind for node in graph.nodes}

    assert kinds["system-artist-engagement-portal"] == "capability"
    assert kinds["domain-artists"] == "capability"
    assert kinds["component-www-artist"] == "service"  # website
    assert kinds["component-playback-sdk"] == "service"  # library
    assert kinds["api-wayback-archive"] == "integration"
    assert kinds["resource-artists-db"] == "data"  # type database
    assert len(kinds) == 13 + 10 + 3 + 3 + 1


def test_edges_point_from_what_rests_on_to_what_it_rests_on(graph: CatalogGraph) -> None:
    pairs = edge_pairs(graph)

    assert ("component-artist-lookup", "resource-artists-db") in pairs  # dependsOn
    assert ("component-wayback-search", "api-wayback-archive") in pairs  # consumesApis
    assert ("api-wayback-archive", "component-wayback-archive") in pairs  # providesApis
    assert ("system-artist-engagement-portal", "component-artist-lookup") in pairs  # system
    assert ("system-artist-engagement-portal", "resource-artists-db") in pairs  # Resource.system
    assert ("domain-playback", "system-audio-playback") in pairs  # System.domain
    assert ("domain-audio", "domain-artists") in pairs  # subdomainOf
    assert ("component-wayback-archive", "component-wayback-archive-storage") in pairs
    slugs = {node.slug for node in graph.nodes}
    assert all(e.source in slugs and e.target in slugs for e in graph.edges)
    assert all(e.criticality == "hard" for e in graph.edges)
    assert graph.unresolved_edges == ()


def test_owners_teams_and_users(graph: CatalogGraph) -> None:
    nodes = {node.slug: node for node in graph.nodes}

    assert (
        nodes["component-artist-lookup"].team_slug,
        nodes["component-artist-lookup"].owner_username,
    ) == ("team-a", None)
    # Owned by user:guest, who belongs to team-a only: the team follows.
    assert nodes["component-playback-order"].owner_username == "guest"
    assert nodes["component-playback-order"].team_slug == "team-a"
    assert nodes["resource-artists-db"].external_ref == "backstage:resource:default/artists-db"

    teams = {team.slug: team for team in graph.teams}
    assert teams["team-b"].name == "Team B"
    assert teams["team-a"].name == "team-a"  # no displayName in the example
    assert teams["team-a"].parent == "backstage"
    assert "development+guest" in teams["team-a"].members
    assert "janelle.dawe" in teams["team-a"].members
    users = {user.username: user for user in graph.users}
    assert users["janelle.dawe"].display_name == "Janelle Dawe"
    assert users["development+guest"].teams == ("team-a",)


def test_slugs_are_stable_slug_safe_and_unique() -> None:
    refs = [
        EntityRef("component", "default", "artist-web"),
        EntityRef("component", "alternative", "artist-web"),
        EntityRef("api", "default", "artist-web"),
        EntityRef("component", "default", "alternative--artist-web"),
        EntityRef("component", "default", "artist.web"),
        EntityRef("component", "default", "artist_web"),
        EntityRef("component", "default", "a" * 63),
        EntityRef("component", "some-long-namespace-" * 3 + "x", "b" * 63),
    ]
    slugs = [node_slug(ref) for ref in refs]

    assert slugs[:3] == [
        "component-artist-web",
        "component-alternative--artist-web",
        "api-artist-web",
    ]
    assert len(set(slugs)) == len(slugs)
    assert all(SLUG.match(slug) for slug in slugs)
    assert node_slug(EntityRef("Component", "Default", "Artist.Web")) == slugs[4]
    assert slugs[4].startswith("component-artist-web_")
    assert all(len(node_slug(ref, max_length=40)) <= 40 for ref in refs)
    assert team_slug(EntityRef("group", "default", "team-a")) == "team-a"
    assert username_for(EntityRef("user", "development", "guest")) == "development+guest"


def test_unresolved_and_odd_edges(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        dedent(
            """
            apiVersion: backstage.io/v1alpha1
            kind: Component
            metadata:
              name: web
            spec:
              type: website
              owner: team-a
              dependsOn: [component:web, resource:elsewhere, group:team-a]
              dependencyOf: [component:web-bff]
            ---
            apiVersion: backstage.io/v1alpha1
            kind: Component
            metadata:
              name: web-bff
            spec:
              type: service
              owner: team-a
              dependsOn: [component:web]
            """
        )
    )

    graph = catalog_to_graph(read_catalog([path]))

    # dependsOn on one side and dependencyOf on the other make one edge with both reasons.
    assert [(e.source, e.target, len(e.because)) for e in graph.edges] == [
        ("component-web-bff", "component-web", 2)
    ]
    assert [(e.source, e.target) for e in graph.unresolved_edges] == [
        ("component-web", "resource-elsewhere")
    ]
    assert len(graph.notes) == 2  # the self-edge and the edge to a Group
