"""Forms of the escalation policy editor."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from cataligent.forms import Form, ModelForm
from cataligent.models import Team
from dependencies.choices import NotifyRole
from dependencies.models import EscalationPolicy


class PolicyForm(ModelForm):
    class Meta:
        model = EscalationPolicy
        fields = ["name", "team", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, teams: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if teams is not None:
            self.fields["team"].queryset = teams
        self.fields["team"].required = False


class LevelForm(Form):
    # The column's limit, so a huge number is this field's error and not the save's.
    after_minutes = forms.IntegerField(
        min_value=0, max_value=2_147_483_647, label="After minutes blocked"
    )
    notify = forms.ChoiceField(
        choices=[
            ("user", "A person"),
            ("team", "The lead of a team"),
            ("role", "Everyone with a role"),
        ]
    )
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        required=False,
        to_field_name="username",
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"), required=False, to_field_name="slug"
    )
    role = forms.ChoiceField(choices=[("", "—"), *NotifyRole.choices], required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("notify")
        if kind and not data.get(kind):
            self.add_error(kind, f"Choose the {kind} to notify.")
        return data

    def level(self) -> dict[str, Any]:
        data = self.cleaned_data
        kind = data["notify"]
        return {
            "after_minutes": data["after_minutes"],
            "notify_user": data["user"] if kind == "user" else None,
            "notify_team": data["team"] if kind == "team" else None,
            "notify_role": data["role"] if kind == "role" else "",
        }


class BaseLevelFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        minutes = [
            f.cleaned_data["after_minutes"]
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        if not minutes:
            raise forms.ValidationError("A policy needs at least one level.")
        if minutes != sorted(minutes):
            raise forms.ValidationError("Order the levels by minutes: the first to fire first.")


LevelFormSet = forms.formset_factory(LevelForm, formset=BaseLevelFormSet, extra=0, can_delete=True)


def initial_levels(policy: EscalationPolicy) -> list[dict[str, Any]]:
    rows = []
    for level in policy.levels.select_related("notify_user", "notify_team").order_by("position"):
        if level.notify_user_id:
            rows.append(
                {"after_minutes": level.after_minutes, "notify": "user", "user": level.notify_user}
            )
        elif level.notify_team_id:
            rows.append(
                {"after_minutes": level.after_minutes, "notify": "team", "team": level.notify_team}
            )
        else:
            rows.append(
                {"after_minutes": level.after_minutes, "notify": "role", "role": level.notify_role}
            )
    return rows
