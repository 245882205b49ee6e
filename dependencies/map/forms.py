"""Forms of the leadership pages: map filters, a manual state override, assigning a team."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.validators import validate_slug

from cataligent.forms import Form
from cataligent.models import Team
from dependencies.choices import NodeKind, State
from dependencies.map.query import NO_TEAM, MapFilters

VIEW_CHOICES = [("affected", "Affected only"), ("all", "Whole map")]
_EXPAND_RE = re.compile(r"^[-a-zA-Z0-9_]+$")


class MapFilterForm(Form):
    """The map's filters; validating them costs no query (polls use them every few seconds)."""

    view = forms.ChoiceField(choices=VIEW_CHOICES, required=False)
    team = forms.SlugField(required=False, max_length=100)
    objective = forms.CharField(required=False, max_length=30)
    period = forms.CharField(required=False, max_length=50)
    kind = forms.ChoiceField(choices=[("", "Any kind"), *NodeKind.choices], required=False)
    q = forms.CharField(required=False, max_length=100, strip=True)
    expand = forms.CharField(required=False, max_length=4000)

    def clean_expand(self) -> tuple[str, ...]:
        value = self.cleaned_data.get("expand") or ""
        slugs = [s for s in (part.strip() for part in value.split(",")) if s]
        bad = [s for s in slugs if not _EXPAND_RE.match(s)]
        if bad:
            raise forms.ValidationError(f"Not a team: {', '.join(bad[:3])}.")
        return tuple(dict.fromkeys(slugs))

    def filters(self) -> MapFilters:
        """The valid filters; an invalid one is dropped rather than failing the whole map."""
        data = self.cleaned_data if self.is_bound else {}
        return MapFilters(
            view=data.get("view") or "affected",
            team=data.get("team") or "",
            objective=(data.get("objective") or "").upper(),
            period=data.get("period") or "",
            kind=data.get("kind") or "",
            q=data.get("q") or "",
            expand=data.get("expand") or (),
        )


def map_filters(params: Any) -> tuple[MapFilters, MapFilterForm]:
    form = MapFilterForm(params)
    form.is_valid()
    return form.filters(), form


class ManualStateForm(Form):
    """Override a node's state by hand; a manual override always wins over its tickets."""

    manual_state = forms.ChoiceField(
        choices=[("", "No override (tickets decide)"), *State.choices],
        required=False,
        label="Manual state",
    )
    manual_reason = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("manual_state") and not (data.get("manual_reason") or "").strip():
            self.add_error("manual_reason", "Say why, so that others know what to do about it.")
        return data


class TeamAssignForm(Form):
    """Choose an owning team, then confirm it: nothing is chosen in advance, so one careless
    click cannot hand a blocker to whichever team sorts first."""

    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        to_field_name="slug",
        label="Owning team",
        empty_label="Choose a team…",
        error_messages={"required": "Choose the team that will own it."},
    )
    # Set by the confirmation step, which names the team before anything is written.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, teams: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]


def parse_slugs(values: list[str]) -> list[str]:
    """Node slugs from repeated or comma-separated query parameters; invalid ones raise."""
    slugs = [s.strip() for value in values for s in value.split(",") if s.strip()]
    for slug in slugs:
        validate_slug(slug)
    return list(dict.fromkeys(slugs))


__all__ = [
    "NO_TEAM",
    "VIEW_CHOICES",
    "AssignmentGroupsForm",
    "ManualStateForm",
    "MapFilterForm",
    "TeamAssignForm",
    "map_filters",
    "parse_slugs",
]


class AssignmentGroupsForm(Form):
    """A team's assignment groups in the ITSM tools, one a line (the service trims them,
    drops repeats and refuses a group another team holds)."""

    assignment_groups = forms.CharField(
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
        label="Assignment groups in the ITSM tools",
        help_text="One group a line, spelled as the ticketing tools spell it.",
    )

    def groups(self) -> list[str]:
        return (self.cleaned_data.get("assignment_groups") or "").splitlines()
