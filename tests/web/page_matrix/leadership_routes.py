"""The page permission matrix: the leadership pages and the execution reports: every signed-in
user reads them; states and owning teams are changed from the map by those the policy allows."""

from __future__ import annotations

from tests.web.page_matrix.world import (
    POST_ONLY,
    Route,
    Write,
    everyone,
    gap_node_row,
    no_kwargs,
    node_a_row,
    only,
)

LEADERSHIP_ROUTES: dict[str, Route] = {
    # The leadership pages read the graph: every signed-in user.
    "map": Route(no_kwargs, everyone(), no_writes="read-only"),
    "map-graph": Route(no_kwargs, everyone(), no_writes="read-only"),
    "map-table": Route(no_kwargs, everyone(), no_writes="read-only"),
    "bottlenecks": Route(no_kwargs, everyone(), no_writes="read-only"),
    "dashboard": Route(no_kwargs, everyone(), no_writes="read-only"),
    "whatif": Route(no_kwargs, everyone(), no_writes="computes a scenario, writes nothing"),
    "single-points-of-failure": Route(no_kwargs, everyone(), no_writes="read-only"),
    "map-node-panel": Route(lambda w: {"slug": w.node_a.slug}, everyone(), no_writes="read-only"),
    "map-objective-panel": Route(
        lambda w: {"key": w.objective_a.key}, everyone(), no_writes="read-only"
    ),
    # The execution reports: every signed-in user (DESIGN §1, "not siloed").
    "reports:index": Route(no_kwargs, everyone(), no_writes="read-only"),
    "reports:detail": Route(lambda w: {"name": "green-red"}, everyone(), no_writes="read-only"),
    "reports:green-red-disconnects": Route(no_kwargs, everyone(), no_writes="read-only"),
    "reports:green-red-item": Route(
        lambda w: {"kind": "objective", "ref": w.objective_a.key}, everyone(), no_writes="read-only"
    ),
    "map-node-state": Route(
        lambda w: {"slug": w.node_a.slug},
        POST_ONLY,
        writes={
            "override team A's node": Write(
                data=lambda w: {"manual_state": "blocked", "manual_reason": "vendor outage"},
                allowed={"lead_a", "admin"},
                snapshot=node_a_row,
            ),
        },
    ),
    # Leadership assigns and changes owning teams (it authorises resource shifts).
    "map-node-team": Route(
        lambda w: {"slug": w.node_a.slug},
        only("lead_a", "leadership", "admin"),
        writes={
            "claim a gap for team A": Write(
                kwargs=lambda w: {"slug": w.gap.slug},
                data=lambda w: {"team": "team-a", "confirmed": "on"},
                allowed={"lead_a", "leadership", "admin"},
                form_error={"lead_b"},  # offered only team B
                snapshot=gap_node_row,
            ),
            "give team A's node to team B": Write(
                data=lambda w: {"team": "team-b", "confirmed": "on"},
                allowed={"leadership", "admin"},
                form_error={"lead_a"},  # offered only team A
                snapshot=node_a_row,
            ),
        },
    ),
}
