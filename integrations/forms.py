"""Forms for connector configuration (pages and the Django admin share them)."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from cataligent.forms import ModelForm
from cataligent.hostile import find_problem
from integrations.models import Connector, LinkRule
from integrations.validation import (
    base_url_problem,
    blocker_labels_problem,
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

    base_url = forms.URLField(max_length=500, assume_scheme="https")
    new_secret = forms.CharField(
        required=False,
        label="Password, token or client secret",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="The OAuth client secret with OAuth. Leave blank to keep the stored one.",
    )
    new_webhook_secret = forms.CharField(
        required=False,
        label="Webhook secret",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Signs inbound webhooks (HMAC-SHA256; PagerDuty v3: the subscription's "
        "secret; GitHub: the webhook's secret; GitLab: the secret token it sends in "
        "X-Gitlab-Token; Zendesk: the webhook's signing secret; JSM Operations signs "
        "nothing: relay its webhook with X-Cataligent-Signature). Leave blank to keep the "
        "stored one.",
    )
    status_map = JSONTextField(help_text='Raw status → category, e.g. {"Waiting": "in_progress"}.')
    priority_map = JSONTextField(
        help_text='Raw priority → 1..5, e.g. {"Urgent": 1}; GitHub and GitLab: label → '
        '1..5, e.g. {"sev2": 2}.'
    )
    blocker_labels = JSONTextField(
        kind=list, help_text='Labels that mark a blocker, e.g. ["blocker"].'
    )
    options = JSONTextField(
        help_text='Tool options, e.g. {"table": "incident"}. SLA results: ServiceNow reads '
        'made_sla, or the task_sla table with {"sla_source": "task_sla"}; Jira Service '
        'Management needs its SLA fields, e.g. {"sla_fields": ["customfield_10030"]}; '
        "Request Tracker compares Due with Resolved, and reads query dates in the RT user's "
        'zone: without one of its own, set {"time_zone": "<the server\'s $Timezone>"}, or '
        "leave it to sync and test, which find the offset and record it as time_zone_found. "
        "PagerDuty (base URL "
        "https://api.pagerduty.com, Token auth with a REST API key, no query): "
        '{"high_urgency_priority": 2, "low_urgency_priority": 4} give incidents without a '
        'priority one by urgency, {"initial_days": 180} limits how far back a first sync '
        "reads (default: all). GitHub (base URL https://api.github.com, or https://HOST/api "
        "for Enterprise Server; query owner/name) and GitLab (base URL https://gitlab.com; "
        "query group/project): the priority map is label → 1..5 (default P1..P5), "
        '{"default_priority": 3} is the priority of an issue without such a label. '
        "JSM Operations alerts (base URL "
        "https://api.atlassian.com/jsm/ops/api/<cloud id>, Basic auth with the account's "
        "email and an API token, an optional alert search as the query): "
        '{"site_url": "https://acme.atlassian.net"} links each alert, {"team_names": '
        '{"<team id>": "Payments"}} names teams the API gives by id, {"initial_days": 180} '
        "as for PagerDuty. "
        "Zendesk (base URL https://<subdomain>.zendesk.com, Basic auth "
        "with user <email>/token and an admin's API token, no query): "
        '{"no_priority": 3} is the priority of a ticket without one, {"ci_field": 360012345} '
        "the custom field naming the CI, "
        '{"requests_per_minute": 10} paces the export (30 with the High Volume add-on).'
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
        help_texts = {
            "username": "The integration user (Jira: the account's email); with OAuth, the "
            "OAuth application's client id."
        }

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
        return data


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
