"""Green-red disconnects for the digest (DESIGN §2, report `green-red`).

The digest takes them from the registered `green-red` report when there is one, so both say
the same. Without it, this module reads the definition itself: an objective or capability is
a disconnect when at least REPORT_SLA_MET_PCT % of its resolved supporting tickets (those with
an SLA result) met their SLA while it was blocked at least REPORT_MIN_BLOCKED_HOURS hours of
the window. A fixed number of queries, whatever the size.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Q

from dependencies.models import Node, StateTransition
from integrations.models import Ticket
from objectives.models import Objective
from reports import history, loaders, registry
from reports.support import supported_by_ticket, tickets_by_item
from reports.window import Window


def disconnects(window: Window) -> list[dict[str, Any]]:
    report = registry.get("green-red")
    if report is not None:
        return [item for item in report.build(window)["items"] if item.get("disconnect")]
    return _disconnects_by_definition(window)


def _disconnects_by_definition(window: Window) -> list[dict[str, Any]]:
    resolved = Ticket.objects.filter(
        resolved_at__gte=window.start, resolved_at__lt=window.end, sla_breached__isnull=False
    )
    breached = dict(resolved.values_list("pk", "sla_breached"))
    if not breached:
        return []
    node_links, objective_links = loaders.ticket_links(resolved)
    supported = supported_by_ticket(loaders.support_graph(), node_links, objective_links)
    by_node, by_objective = tickets_by_item(supported)
    capabilities = {
        pk: (slug, name, state)
        for pk, slug, name, state in Node.objects.filter(
            kind="capability", pk__in=list(by_node)
        ).values_list("pk", "slug", "name", "state")
    }
    objectives = {
        pk: (key, title, state)
        for pk, key, title, state in Objective.objects.filter(
            pk__in=list(by_objective)
        ).values_list("pk", "key", "title", "state")
    }
    transitions: dict[loaders.ItemRef, list[loaders.Transition]] = {}
    rows = (
        StateTransition.objects.filter(at__lt=window.end)
        .filter(Q(node__in=list(capabilities)) | Q(objective__in=list(objectives)))
        .order_by("at", "id")
        .values_list("node_id", "objective_id", "at", "from_state", "to_state")
    )
    for node_id, objective_id, at, before, after in rows:
        ref = ("node", node_id) if node_id is not None else ("objective", objective_id)
        transitions.setdefault(ref, []).append((at, before, after))

    found = []
    for kind, items, tickets_of in (
        ("node", capabilities, by_node),
        ("objective", objectives, by_objective),
    ):
        for pk, (ident, name, state) in items.items():
            results = [breached[t] for t in tickets_of[pk] if t in breached]
            met_pct = 100 * results.count(False) / len(results)
            hours = history.hours(
                history.blocked_intervals(
                    transitions.get((kind, pk), []), window.start, window.end, current_state=state
                )
            )
            if (
                met_pct >= settings.REPORT_SLA_MET_PCT
                and hours >= settings.REPORT_MIN_BLOCKED_HOURS
            ):
                found.append(
                    {
                        "kind": kind,
                        "slug" if kind == "node" else "key": ident,
                        "name": name,
                        "resolved": len(results),
                        "sla_met_pct": round(met_pct, 1),
                        "blocked_hours": round(hours, 1),
                        "disconnect": True,
                    }
                )
    found.sort(key=lambda item: -item["blocked_hours"])
    return found
