"""Audit entries as sentences people read: "sara set the owner to noah".

Pure functions over the stored values (see `cataligent.audit.audit_value`): people
are stored by username, so the caller passes `names`, a username → display name
map, read once for a whole page of history.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

# Governance fields whose value is a person, a team or a plain label.
_PEOPLE_FIELDS = {"owner": "the owner", "lead": "the lead"}
_PLAIN_FIELDS = {
    "team": "the owning team",
    "escalation_policy": "the escalation policy",
    "default_escalation_policy": "the default escalation policy",
    "manual_reason": "the reason for the manual state",
}
_STATE_WORDS = {
    "on_track": "on track",
    "at_risk": "at risk",
    "off_track": "off track",
    "done": "done",
    "operational": "operational",
    "degraded": "degraded",
    "blocked": "blocked",
}


def history_sentence(
    *,
    action: str,
    field: str,
    old: Any,
    new: Any,
    names: Mapping[str, str] | None = None,
) -> str:
    """What one audit entry says happened, without its actor ("set the owner to Noah")."""
    names = names or {}

    def person(username: Any) -> str:
        return names.get(str(username), str(username))

    if action == "create":
        return "created it"
    if action == "delete":
        return "deleted it"
    describe = _DESCRIBERS.get(field)
    if describe is not None:
        return describe(old, new, person)
    if field in _PEOPLE_FIELDS:
        return _set_or_cleared(_PEOPLE_FIELDS[field], old, new, person)
    label = _PLAIN_FIELDS.get(field, f"the {field.replace('_', ' ')}")
    return _set_or_cleared(label, old, new, str)


def _set_or_cleared(label: str, old: Any, new: Any, show: Callable[[Any], str]) -> str:
    if new in (None, ""):
        return f"removed {label} ({show(old)})" if old not in (None, "") else f"cleared {label}"
    if old in (None, ""):
        return f"set {label} to {show(new)}"
    return f"changed {label} from {show(old)} to {show(new)}"


def _manual_state(old: Any, new: Any, person: Callable[[Any], str]) -> str:
    if not new:
        return "cleared the manual state; tickets decide again"
    return f"set the state by hand to {_STATE_WORDS.get(new, new)}"


def _declared_status(old: Any, new: Any, person: Callable[[Any], str]) -> str:
    return f"declared it {_STATE_WORDS.get(new, new)}"


def _edge(summary: Mapping[str, Any]) -> str:
    words = f"{summary.get('target')} ({summary.get('criticality', 'hard')})"
    if summary.get("redundancy_group"):
        words += f", one of the alternatives in “{summary['redundancy_group']}”"
    return words


def _depends_on(old: Any, new: Any, person: Callable[[Any], str]) -> str:
    if isinstance(new, Mapping) and not old:
        return f"added a dependency on {_edge(new)}"
    if isinstance(old, Mapping) and not new:
        return f"removed the dependency on {_edge(old)}"
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        return f"changed a dependency from {_edge(old)} to {_edge(new)}"
    return "changed its dependencies"


def _requirement_words(rows: Any) -> dict[str, str]:
    return {
        str(r.get("node")): str(r.get("criticality", "hard"))
        for r in rows or []
        if isinstance(r, Mapping)
    }


def _requires(old: Any, new: Any, person: Callable[[Any], str]) -> str:
    before, after = _requirement_words(old), _requirement_words(new)
    parts = []
    added = [f"{n} ({c})" for n, c in after.items() if n not in before]
    removed = [n for n in before if n not in after]
    changed = [f"{n} to {c}" for n, c in after.items() if n in before and before[n] != c]
    if added:
        parts.append("now requires " + ", ".join(added))
    if removed:
        parts.append("no longer requires " + ", ".join(removed))
    if changed:
        parts.append("changed the requirement on " + ", ".join(changed))
    return "; ".join(parts) or "changed its requirements"


def _levels(old: Any, new: Any, person: Callable[[Any], str]) -> str:
    levels = [
        f"after {lvl.get('after_minutes')} min to {lvl.get('notify')}"
        for lvl in new or []
        if isinstance(lvl, Mapping)
    ]
    if not levels:
        return "removed every escalation level"
    return "set the escalation levels: " + "; ".join(levels)


def _members(old: Any, new: Any, person: Callable[[Any], str]) -> str:
    before, after = set(old or []), set(new or [])
    parts = []
    if after - before:
        parts.append("added " + ", ".join(person(u) for u in sorted(after - before)))
    if before - after:
        parts.append("removed " + ", ".join(person(u) for u in sorted(before - after)))
    return (" and ".join(parts) + " as members") if parts else "changed the members"


def _assignment_groups(old: Any, new: Any, person: Callable[[Any], str]) -> str:
    before, after = list(old or []), list(new or [])
    parts = []
    added = [g for g in after if g not in before]
    removed = [g for g in before if g not in after]
    if added:
        parts.append("added " + ", ".join(f"“{g}”" for g in added))
    if removed:
        parts.append("removed " + ", ".join(f"“{g}”" for g in removed))
    if not parts:
        return "reordered the assignment groups"
    return " and ".join(parts) + " as assignment groups"


def _tickets(old: Any, new: Any, person: Callable[[Any], str]) -> str:
    return f"linked ticket {new}" if new else f"unlinked ticket {old}"


def _rule(old: Any, new: Any, person: Callable[[Any], str]) -> str:
    return f"changed the rule from “{old}” to “{new}”"


def _escalation(old: Any, new: Any, person: Callable[[Any], str]) -> str:
    # Stored as ("level 2 open", "acknowledged: <note>") by the escalation engine.
    level = str(old or "").rsplit(" ", 1)[0] or "an"
    text = str(new or "")
    if text.startswith("acknowledged"):
        note = text.removeprefix("acknowledged").lstrip(": ").strip()
        return f"acknowledged the {level} escalation" + (f": “{note}”" if note else "")
    return f"changed the {level} escalation to {text}"


def _status_update(old: Any, new: Any, person: Callable[[Any], str]) -> str:
    if new in (None, ""):
        return f"removed the status update “{old}”"
    return f"posted the status update “{new}”"


_DESCRIBERS: dict[str, Callable[[Any, Any, Callable[[Any], str]], str]] = {
    "manual_state": _manual_state,
    "declared_status": _declared_status,
    "depends_on": _depends_on,
    "requires": _requires,
    "levels": _levels,
    "members": _members,
    "assignment_groups": _assignment_groups,
    "tickets": _tickets,
    "rule": _rule,
    "escalation": _escalation,
    "status_update": _status_update,
}
