"""Backstage catalog reader: a pure package (no Django), used by ``import_catalog``.

Read the files (Location entities are followed), stop if there are errors, then map the
entities onto Cataligent's teams, users, nodes and edges:

    catalog = read_catalog(["catalog-info.yaml"])
    if catalog.errors:
        ...  # report them with their file and document number; import nothing
    graph = catalog_to_graph(catalog)
"""

from .graph import (
    CatalogGraph,
    ImportedEdge,
    ImportedNode,
    ImportedTeam,
    ImportedUser,
    NodeKind,
    catalog_to_graph,
    node_slug,
    suggest_node_kind,
    team_slug,
    username_for,
)
from .model import Catalog, Entity, Problem, Severity, Source
from .reader import read_catalog
from .refs import DEFAULT_NAMESPACE, EntityRef, EntityRefError, parse_entity_ref

__all__ = [
    "DEFAULT_NAMESPACE",
    "Catalog",
    "CatalogGraph",
    "Entity",
    "EntityRef",
    "EntityRefError",
    "ImportedEdge",
    "ImportedNode",
    "ImportedTeam",
    "ImportedUser",
    "NodeKind",
    "Problem",
    "Severity",
    "Source",
    "catalog_to_graph",
    "node_slug",
    "parse_entity_ref",
    "read_catalog",
    "suggest_node_kind",
    "team_slug",
    "username_for",
]
