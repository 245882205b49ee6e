"""Page forms for what a team lead changes on a node of their team (issue 18, item 8):
its owner and escalation policy, and what it depends on. Labels are for people; the
rules are the services' (dependencies.graph.services), the same as the API's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from cataligent.audit import display_name
from cataligent.forms import Form
from dependencies.choices import Criticality
from dependencies.models import EscalationPolicy, Node


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        name = display_name(obj)
        return name if name == obj.get_username() else f"{name} ({obj.get_username()})"


class NodeGovernanceForm(Form):
    """Who is accountable for the node and how its blockage escalates."""

    owner = PersonChoiceField(
        queryset=get_user_model().objects.none(),
        to_field_name="username",
        required=False,
        empty_label="Nobody (an ownership gap)",
        label="Owner (accountable person)",
    )
    escalation_policy = forms.ModelChoiceField(
        queryset=EscalationPolicy.objects.none(),
        required=False,
        empty_label="None (the team's default, if it has one)",
        label="Escalation policy",
    )

    def __init__(self, *args: Any, node: Node, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {"owner": node.owner, "escalation_policy": node.escalation_policy_id},
        )
        super().__init__(*args, **kwargs)
        people = get_user_model().objects.filter(Q(is_active=True) | Q(pk=node.owner_id))
        self.fields["owner"].queryset = people.order_by(  # type: ignore[attr-defined]
            "first_name", "last_name", "username"
        )
        # The team's own policies and the shared ones (and the one it has now).
        policies = EscalationPolicy.objects.filter(
            Q(team__isnull=True) | Q(pk=node.escalation_policy_id)
        )
        if node.team_id is not None:
            policies = policies | EscalationPolicy.objects.filter(team_id=node.team_id)
        self.fields["escalation_policy"].queryset = policies.order_by("name")  # type: ignore[attr-defined]


class DependencyAddForm(Form):
    """Make the node depend on another one (an edge from it to `target`)."""

    target = forms.SlugField(
        max_length=200,
        label="Depends on (the slug of a capability or dependency)",
        error_messages={"required": "Name the node it depends on."},
    )
    criticality = forms.ChoiceField(
        choices=Criticality.choices,
        initial=Criticality.HARD,
        label="Criticality",
        help_text="Hard: its failure blocks this node. Soft: it only degrades it.",
    )
    redundancy_group = forms.CharField(
        max_length=100,
        required=False,
        label="Redundancy group (optional)",
        help_text="Dependencies sharing a group are alternatives.",
    )
    min_operational = forms.IntegerField(
        initial=1,
        label="Alternatives that must work",
        help_text="In its redundancy group: 1 means any one of them is enough.",
    )

    def clean_target(self) -> Node:
        slug = self.cleaned_data["target"]
        node = Node.objects.filter(slug=slug).first()
        if node is None:
            raise forms.ValidationError(f"No node has the slug “{slug}”.")
        return node
