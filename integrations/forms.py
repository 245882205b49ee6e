"""Forms for connector configuration (pages and the Django admin share them)."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from cataligent.forms import ModelForm
from cataligent.hostile import find_problem
from integrations.connectors import default_page_size
from integrations.models import Connector, LinkRule
from integrations.validation import (
    base_url_problem,
    blocker_labels_problem,
    construction_problems,
    kind_problems,
    priority_map_problem,
    status_map_problem,
)


class JSONTextField(forms.CharField):
    """A JSON object typed as text, with the error saying where the JSON is wrong."""

    def __init__(self, *, kind: type = dict, **kwargs: Any) -> None:
        self.kind = kind
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 2, "class": "mono"}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dict | list):
            return json.dumps(value, indent=None)
        return value

    def to_python(self, value: Any) -> Any:
        text = (value or "").strip()
        if not text:
            return self.kind()
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                f"Not valid JSON: {exc.msg} at character {exc.pos}."
            ) from exc
        except RecursionError as exc:
            raise forms.ValidationError("Not valid JSON: nested too deeply.") from exc
        if not isinstance(parsed, self.kind):
            raise forms.ValidationError(f"Give a JSON {'object' if self.kind is dict else 'list'}.")
        found = find_problem(parsed)  # "\u0000" inside the JSON is a NUL all the same
        if found:
            where, problem = found
            raise forms.ValidationError(f"{where}: {problem}" if where else problem)
        return parsed


class ConnectorForm(ModelForm):
    """Secrets are write-only: a blank field keeps the stored one; nothing is shown back."""

    base_url = forms.URLField(
        label="Base URL", max_length=500, assume_scheme="https", help_text="The tool's API address."
    )
    new_secret = forms.CharField(
        required=False,
        label="Password, token or client secret",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Write-only: leave blank to keep the stored one.",
    )
    new_webhook_secret = forms.CharField(
        required=False,
        label="Webhook secret",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Proves an inbound webhook came from the tool. Leave blank to keep the "
        "stored one.",
    )
    status_map = JSONTextField(
        help_text='Raw status → category, over the kind\'s defaults, e.g. {"Waiting": '
        '"in_progress"}.'
    )
    priority_map = JSONTextField(
        help_text='Raw priority → 1..5, over the kind\'s defaults, e.g. {"Urgent": 1}.'
    )
    blocker_labels = JSONTextField(
        kind=list, help_text='Labels that mark a blocker, e.g. ["blocker"].'
    )
    options = JSONTextField(
        help_text='The kind\'s own settings as a JSON object, e.g. {"initial_days": 180}.'
    )

    class Meta:
        model = Connector
        fields = [
            "slug",
            "name",
            "kind",
            "base_url",
            "auth_type",
            "username",
            "query",
            "poll_interval",
            "enabled",
            "blocking_priority",
            "blocker_labels",
            "status_map",
            "priority_map",
            "options",
            "page_size",
        ]
        widgets = {"query": forms.Textarea(attrs={"rows": 2, "class": "mono"})}
        labels = {"username": "User or client id"}
        # Kind-neutral: what each kind wants is in its guide beside the form
        # (integrations/connector_guides.py).
        help_texts = {
            "username": "The user the secret belongs to; with OAuth, the client id.",
            "query": "What selects the tickets, in the tool's own terms; empty where the "
            "kind takes none.",
            "page_size": "Records asked for a page; blank for the kind's default.",
        }

    # The model's auth labels name tools; on the form they stay kind-neutral (the guide
    # beside it says which kind takes which).
    AUTH_LABELS = {
        "basic": "Basic: user and password or API token",
        "token": "Token: the tool's own token scheme",
        "bearer": "Bearer: an access token",
        "oauth": "OAuth client credentials",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["auth_type"]
        field.choices = [(v, self.AUTH_LABELS.get(v, label)) for v, label in field.choices]

    # The page shows the fields in these groups, in this order (the Django admin lists them
    # as they come).
    SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("The source", ("kind", "name", "slug", "base_url")),
        ("Signing in", ("auth_type", "username", "new_secret", "new_webhook_secret")),
        ("What is read", ("query", "options", "poll_interval", "page_size", "enabled")),
        (
            "What blocks",
            ("blocking_priority", "blocker_labels", "status_map", "priority_map"),
        ),
    )

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(title, [self[name] for name in names]) for title, names in self.SECTIONS]

    def fields_in_error(self) -> list[forms.BoundField]:
        return [self[name] for _, names in self.SECTIONS for name in names if self[name].errors]

    def clean_base_url(self) -> str:
        url = self.cleaned_data["base_url"]
        problem = base_url_problem(url)
        if problem:
            raise forms.ValidationError(problem)
        return url.rstrip("/")

    def clean_status_map(self) -> dict[str, str]:
        value = self.cleaned_data["status_map"]
        problem = status_map_problem(value)
        if problem:
            raise forms.ValidationError(problem)
        return value

    def clean_blocker_labels(self) -> list[str]:
        value = self.cleaned_data["blocker_labels"]
        problem = blocker_labels_problem(value)
        if problem:
            raise forms.ValidationError(problem)
        return value

    def clean_priority_map(self) -> dict[str, int]:
        value = self.cleaned_data["priority_map"]
        problem = priority_map_problem(value)
        if problem:
            raise forms.ValidationError(problem)
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk is None and not data.get("new_secret"):
            self.add_error(
                "new_secret", "A secret is required: the password, token or OAuth client secret."
            )
        if data.get("kind"):
            problems = kind_problems(
                data["kind"],
                auth_type=data.get("auth_type"),
                options=data.get("options"),
                username=data.get("username", ""),
                base_url=data.get("base_url"),
            )
            for field, message in problems.items():
                self.add_error(field, message)
            self._check_with_the_connector(data)
        return data

    def _check_with_the_connector(self, data: dict[str, Any]) -> None:
        """What the connector class refuses that the rules above cannot see (an option's
        value, GitHub's owner/name), beside the field it concerns. A field already in error
        counts as empty here, and its error stays the one shown."""
        if not all(data.get(name) for name in ("kind", "base_url", "auth_type")):
            return
        problems = construction_problems(
            data["kind"],
            base_url=data["base_url"],
            auth_type=data["auth_type"],
            username=data.get("username") or "",
            query=data.get("query") or "",
            status_map=data.get("status_map") or {},
            priority_map=data.get("priority_map") or {},
            blocking_priority=data.get("blocking_priority") or 2,
            blocker_labels=tuple(data.get("blocker_labels") or ()),
            page_size=data.get("page_size") or default_page_size(data["kind"]),
            options=data.get("options") or {},
        )
        for field, message in problems.items():
            if (field is None and not self.errors) or (field and field not in self.errors):
                self.add_error(field, message)


class LinkRuleForm(ModelForm):
    node = forms.SlugField(required=False, help_text="Slug of the node tickets attach to.")
    objective = forms.CharField(required=False, help_text="…or the key of an objective.")

    class Meta:
        model = LinkRule
        fields = ["field", "pattern"]

    def clean(self) -> dict[str, Any]:
        from dependencies.models import Node
        from objectives.models import Objective

        data = super().clean() or {}
        node_slug, key = data.get("node"), (data.get("objective") or "").strip()
        if bool(node_slug) == bool(key):
            raise forms.ValidationError("Give a node or an objective (one).")
        if node_slug:
            data["node"] = Node.objects.filter(slug=node_slug).first()
            if data["node"] is None:
                self.add_error("node", f"No node {node_slug!r}.")
            data["objective"] = None
        else:
            data["objective"] = Objective.objects.filter(key=key).first()
            if data["objective"] is None:
                self.add_error("objective", f"No objective {key!r}.")
            data["node"] = None
        return data  # a title pattern is checked by LinkRule.clean
