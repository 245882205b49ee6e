"""Who may do what: the one place every page and API view asks (DESIGN §2).

- Every signed-in user reads objectives, the graph, tickets and reports.
- Admins change everything; connector configuration is theirs alone.
- A team lead changes what a team they lead owns, and may claim an unowned item
  for a team they lead. A change is judged on the object before *and* after it:
  an item cannot be handed to, or pointed at, a team the lead does not lead (an
  edge moved to start from another team's node, a link rule aimed at another
  team's node, a node given to another team).
- Leadership reads everything and assigns or changes an item's owning team: it is
  who authorises the resource shifts that move a blocker to another team.
- A claim (or leadership's assignment of a team) sets the owning team and nothing
  else; a model may refuse it (a policy other teams' items use is not claimable).
- Anything else is refused with a message that says why.

Models register how their owning team is found (`govern`); a model that is not
registered can only be changed by admins, so a new model is safe by default.
"""

from __future__ import annotations

import copy
import dataclasses
from collections import ChainMap
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models

from cataligent.roles import Role, led_team_ids, user_roles


class Action(StrEnum):
    VIEW = "view"
    CREATE = "create"
    CHANGE = "change"
    DELETE = "delete"


def _team_id(value: Any) -> int | None:
    """A team given as a Team, an id or None, as an id."""
    if value is None:
        return None
    if isinstance(value, models.Model):
        return int(value.pk)
    return int(value)


@dataclass(frozen=True)
class Governance:
    """How one model's owning team is found, and what may be done to it."""

    # The owning team id of an existing object.
    team_of: Callable[[Any], int | None]
    # The owning team id an object would have if created from these values.
    team_of_new: Callable[[Mapping[str, Any]], int | None]
    # Name of the field that sets the owning team directly (claims, gap assignment).
    team_field: str | None = None
    # Only admins may change it (teams, connectors).
    admin_only_write: bool = False
    # Leadership changes it as admins do (periods: the planning calendar it sets).
    leadership_writes: bool = False
    # Only admins may read it (connectors and their secrets).
    admin_only_view: bool = False
    # Only these roles may read it (run costs: leadership, team leads, admins); None: everyone.
    view_roles: frozenset[Role] | None = None
    # Someone beyond team leads may create it, e.g. an objective's owner posts its
    # status updates: (user, new values) -> allowed.
    also_created_by: Callable[[Any, Mapping[str, Any]], bool] | None = None
    # Why an unowned object may not be given to this team (object, team id) -> reason,
    # or None when it may: e.g. a policy that other teams' items escalate through.
    claim_refusal: Callable[[Any, int], str | None] | None = None


_REGISTRY: dict[type[models.Model], Governance] = {}


def govern(model: type[models.Model], governance: Governance) -> None:
    _REGISTRY[model] = governance


def governance_for(model: type[models.Model]) -> Governance | None:
    for klass in model.__mro__:
        if klass in _REGISTRY:
            return _REGISTRY[klass]
    return None


class _CurrentValues(Mapping[str, Any]):
    """An object's field values as a mapping, read lazily (`node`, `team`, `source`...)."""

    def __init__(self, obj: models.Model) -> None:
        self._obj = obj
        self._names = [f.name for f in obj._meta.concrete_fields]

    def __getitem__(self, key: str) -> Any:
        if key not in self._names:
            raise KeyError(key)
        return getattr(self._obj, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def changed_fields(instance: models.Model, values: dict[str, Any]) -> dict[str, Any]:
    """The subset of `values` that differs from what `instance` holds now."""
    changes = {}
    for field, value in values.items():
        current = getattr(instance, field, None)
        if isinstance(current, models.Manager):
            changes[field] = value  # relations: let the service diff them
        elif current != value:
            changes[field] = value
    return changes


def values_after(obj: models.Model, changes: Mapping[str, Any]) -> Mapping[str, Any]:
    """The values `obj` would hold once `changes` are made."""
    return ChainMap(dict(changes), _CurrentValues(obj))


def owned_by_team_field(field: str = "team") -> Governance:
    """Governance of a model with its own `team` foreign key (nodes, objectives, policies)."""
    return Governance(
        team_of=lambda obj: getattr(obj, f"{field}_id"),
        team_of_new=lambda data: _team_id(data.get(field)),
        team_field=field,
    )


def owned_through(parent: str) -> Governance:
    """Governance of a model owned by the team of its parent (`edge.source`, `kr.objective`)."""

    def team_of(obj: Any) -> int | None:
        return getattr(obj, parent).team_id

    def team_of_new(data: Mapping[str, Any]) -> int | None:
        owner = data.get(parent)
        return owner.team_id if owner is not None else None

    return Governance(team_of=team_of, team_of_new=team_of_new)


def readable_by(governance: Governance, *roles: Role) -> Governance:
    """The same rules, with reads narrowed to these roles (admins always read)."""
    return dataclasses.replace(governance, view_roles=frozenset({*roles, Role.ADMIN}))


ADMIN_ONLY = Governance(
    team_of=lambda obj: None, team_of_new=lambda data: None, admin_only_write=True
)
# Periods (quarters and the like): leadership and admins write, everyone signed in reads.
LEADERSHIP_AND_ADMIN = Governance(
    team_of=lambda obj: None,
    team_of_new=lambda data: None,
    admin_only_write=True,
    leadership_writes=True,
)
ADMIN_ONLY_VIEW = Governance(
    team_of=lambda obj: None,
    team_of_new=lambda data: None,
    admin_only_write=True,
    admin_only_view=True,
)


def check(
    user: Any,
    action: Action,
    *,
    model: type[models.Model],
    obj: Any = None,
    data: Mapping[str, Any] | None = None,
) -> None:
    """Raise PermissionDenied, with a reason, unless `user` may do `action`.

    `data` holds the new values: the whole object for CREATE, only the fields
    that really change for CHANGE.
    """
    if user is None or not user.is_authenticated:
        raise PermissionDenied("Sign in first.")
    roles = user_roles(user)
    governance = governance_for(model) or ADMIN_ONLY
    name = model._meta.verbose_name
    if action is Action.VIEW:
        if governance.admin_only_view and Role.ADMIN not in roles:
            raise PermissionDenied(f"Only admins may see {model._meta.verbose_name_plural}.")
        if governance.view_roles is not None and not (roles & governance.view_roles):
            allowed = " and ".join(sorted(role.value for role in governance.view_roles))
            raise PermissionDenied(f"Only {allowed} may see {model._meta.verbose_name_plural}.")
        return
    if Role.ADMIN in roles:
        return
    if governance.leadership_writes and Role.LEADERSHIP in roles:
        return
    if governance.admin_only_write:
        who = "leadership and admins" if governance.leadership_writes else "admins"
        raise PermissionDenied(f"Only {who} may {action} a {name}.")

    data = data or {}
    led = led_team_ids(user)
    if action is Action.CREATE:
        if governance.team_of_new(data) in led:
            return
        if governance.also_created_by is not None and governance.also_created_by(user, data):
            return
        raise PermissionDenied(
            f"You may create a {name} only for a team you lead."
            if Role.TEAM_LEAD in roles
            else f"Only team leads and admins may create a {name}."
        )

    current_team = governance.team_of(obj)
    new_team = _team_id(data.get(governance.team_field)) if governance.team_field else None
    # Leadership assigns an owning team, or moves an item to another one (DESIGN §2).
    leadership_assigns = (
        action is Action.CHANGE and new_team is not None and Role.LEADERSHIP in roles
    )
    if current_team is not None and current_team in led:
        # Judge the object as it would be, too: the change must not hand it to (or aim
        # it at) a team they do not lead.
        if action is not Action.CHANGE or not data:
            return
        if governance.team_of_new(values_after(obj, data)) in led:
            return
        if not leadership_assigns:
            raise PermissionDenied(
                f"This change would make the {name} belong to a team you do not lead; "
                "you may change only the items of a team you lead."
            )
    claims = action is Action.CHANGE and current_team is None and new_team in led
    if governance.team_field is not None and (claims or leadership_assigns):
        assert new_team is not None
        # A team lead claims an unowned item for a team they lead; leadership assigns or
        # changes an owning team. Either sets the team and nothing else: the rest is for
        # the new owners, in a change of its own.
        if set(data) != {governance.team_field}:
            raise PermissionDenied(
                f"Assigning an owning team to a {name} changes nothing else: "
                "assign the team first, then make the other changes."
            )
        refusal = governance.claim_refusal(obj, new_team) if governance.claim_refusal else None
        if refusal:
            raise PermissionDenied(refusal)
        return
    if Role.TEAM_LEAD in roles:
        raise PermissionDenied(f"You may {action} only the items of a team you lead.")
    if Role.LEADERSHIP in roles:
        raise PermissionDenied(
            "Leadership may only assign or change the owning team of an item, "
            "and nothing else with it."
        )
    raise PermissionDenied(f"Your account may read but not {action} a {name}.")


def check_claim_and_change(
    user: Any, *, model: type[models.Model], obj: Any, data: Mapping[str, Any]
) -> None:
    """Judge a claim posted together with other changes (the ownership-gaps form: team,
    owner and policy at once) as what it is: the claim alone, then the other changes as
    changes to the claimed item. Nothing is written in between."""
    governance = governance_for(model) or ADMIN_ONLY
    field = governance.team_field
    if field is None or governance.team_of(obj) is not None or data.get(field) is None:
        check(user, Action.CHANGE, model=model, obj=obj, data=data)
        return
    check(user, Action.CHANGE, model=model, obj=obj, data={field: data[field]})
    rest = {k: v for k, v in data.items() if k != field}
    if rest:
        claimed = copy.copy(obj)  # a model's copy has its own relation cache
        setattr(claimed, field, data[field])
        check(user, Action.CHANGE, model=model, obj=claimed, data=rest)


def check_may_attempt(user: Any, action: Action, *, model: type[models.Model]) -> None:
    """Refuse early a write that this user could not be allowed for any object.

    Lets the API answer 403 before it validates input the user may not send.
    """
    if user is None or not user.is_authenticated:
        raise PermissionDenied("Sign in first.")
    roles = user_roles(user)
    if action is Action.VIEW or Role.ADMIN in roles:
        return
    governance = governance_for(model) or ADMIN_ONLY
    name = model._meta.verbose_name
    if governance.leadership_writes and Role.LEADERSHIP in roles:
        return
    if governance.admin_only_write:
        who = "leadership and admins" if governance.leadership_writes else "admins"
        raise PermissionDenied(f"Only {who} may {action} a {name}.")
    may_claim = action is Action.CHANGE and governance.team_field is not None
    if led_team_ids(user) or (may_claim and Role.LEADERSHIP in roles):
        return
    if action is Action.CREATE and governance.also_created_by is not None:
        return  # decided once the new values are known
    raise PermissionDenied(f"Your account may read but not {action} a {name}.")


def can(
    user: Any,
    action: Action,
    *,
    model: type[models.Model],
    obj: Any = None,
    data: Mapping[str, Any] | None = None,
) -> bool:
    try:
        check(user, action, model=model, obj=obj, data=data)
    except PermissionDenied:
        return False
    return True


def can_edit(user: Any, obj: models.Model) -> bool:
    """Whether pages should offer edit controls for `obj` to `user` at all."""
    return can(user, Action.DELETE, model=type(obj), obj=obj) or can_assign_team(user, obj)


def can_assign_team(user: Any, obj: models.Model) -> bool:
    """Whether pages should offer to set `obj`'s owning team: to claim it (a team lead, when
    it has none), to move it (leadership; the lead of its team, to another team they lead),
    or anything (admins)."""
    governance = governance_for(type(obj))
    if governance is None or governance.team_field is None:
        return False
    roles = user_roles(user)
    if Role.ADMIN in roles or Role.LEADERSHIP in roles:
        return True
    led = led_team_ids(user)
    current = governance.team_of(obj)
    return bool(led) if current is None else current in led and len(led) > 1


# The fields of a team its own lead may change; the rest of a team (name, lead, members)
# is for admins. The assignment groups say which tickets the team resolved; the default
# policy is how its items escalate.
TEAM_FIELDS_FOR_ITS_LEAD = frozenset({"assignment_groups", "default_escalation_policy"})


def check_team_change(user: Any, team: Any, fields: Iterable[str]) -> None:
    """Raise PermissionDenied unless `user` may change these `fields` of `team`: admins
    any, the team's lead (as a team lead) the ones above, nobody else any."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied("Sign in first.")
    if Role.ADMIN in user_roles(user):
        return
    fields = set(fields)
    if team.pk in led_team_ids(user) and fields <= TEAM_FIELDS_FOR_ITS_LEAD:
        return
    if team.pk in led_team_ids(user):
        raise PermissionDenied("Only an admin may change a team's name, lead or members.")
    raise PermissionDenied(f"Only the lead of {team.name} or an admin may change it.")


def can_change_team(user: Any, team: Any, fields: Iterable[str]) -> bool:
    try:
        check_team_change(user, team, fields)
    except PermissionDenied:
        return False
    return True


def check_read_reports(user: Any) -> None:
    """Every signed-in user reads the execution reports: performance data is shared, not
    siloed (DESIGN §1). Pages and the API ask here."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied("Sign in first.")
