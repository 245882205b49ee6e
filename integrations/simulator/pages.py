"""The human pages a ticket's link opens: ServiceNow's `/incident.do?sys_id=…` form and
Jira's `/browse/KEY`, so that "open in ServiceNow" from the demo lands on the ticket
instead of a 404. Plain read-only HTML; the real tools' pages are far richer.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime

from .servicenow_records import PRIORITY_LABELS, STATE_LABELS
from .store import SimulatorStore
from .wire import Response

_STYLE = (
    "body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:46rem;padding:0 1rem;"
    "color:#1d232a}dl{display:grid;grid-template-columns:12rem 1fr;gap:.3rem 1rem}"
    "dt{color:#5b6470}.tool{color:#5b6470;font-size:13px}"
)


def _page(title: str, tool: str, fields: list[tuple[str, str]], body: str = "") -> Response:
    rows = "".join(
        f"<dt>{html.escape(label)}</dt><dd>{html.escape(value) or '—'}</dd>"
        for label, value in fields
    )
    text = (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<p class='tool'>{html.escape(tool)} (simulated by Cataligent's demo)</p>"
        f"<h1>{html.escape(title)}</h1><dl>{rows}</dl>"
        f"{f'<p>{html.escape(body)}</p>' if body else ''}</body></html>"
    )
    return Response(200, text.encode(), {"Content-Type": "text/html; charset=utf-8"})


def _not_found(what: str) -> Response:
    return Response(
        404,
        f"<!doctype html><title>Not found</title><p>No such {html.escape(what)}.</p>".encode(),
        {"Content-Type": "text/html; charset=utf-8"},
    )


def _when(epoch_seconds: float | None) -> str:
    if not epoch_seconds:
        return ""
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")


def incident_page(store: SimulatorStore, sys_id: str) -> Response:
    with store.lock:
        incident = store.incident(sys_id)
        if incident is None:
            return _not_found("incident")
        group = store.display_value("sys_user_group", incident.assignment_group)
        assignee = store.display_value("sys_user", incident.assigned_to)
        ci = store.display_value("cmdb_ci", incident.cmdb_ci)
        fields = [
            ("Number", incident.number),
            ("State", STATE_LABELS.get(incident.state, incident.state)),
            ("Priority", PRIORITY_LABELS.get(incident.priority, incident.priority)),
            ("Assignment group", group),
            ("Assigned to", assignee),
            ("Configuration item", ci),
            ("Reassignment count", str(incident.reassignment_count)),
            ("Opened", _when(incident.opened_at)),
            ("Updated", _when(incident.sys_updated_on)),
            ("Resolved", _when(incident.resolved_at)),
        ]
        return _page(
            f"{incident.number}: {incident.short_description}",
            "ServiceNow",
            fields,
            incident.description,
        )


def issue_page(store: SimulatorStore, key: str) -> Response:
    with store.lock:
        issue = store.issue(key)
        if issue is None:
            return _not_found("issue")
        users = store.jira.users
        assignee = users[issue.assignee].display_name if issue.assignee in users else ""
        fields = [
            ("Key", issue.key),
            ("Type", issue.issue_type),
            ("Status", issue.status),
            ("Priority", issue.priority),
            ("Assignee", assignee),
            ("Components", ", ".join(issue.components)),
            ("Labels", ", ".join(issue.labels)),
            ("Created", _when(issue.created / 1000)),
            ("Updated", _when(issue.updated / 1000)),
            ("Resolved", _when(issue.resolutiondate / 1000 if issue.resolutiondate else None)),
        ]
        return _page(f"{issue.key}: {issue.summary}", "Jira", fields)
