"""What every page form shares: hostile input is the field's error, never a 500."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.utils import ErrorDict

from cataligent.hostile import text_problem


class RefusesHostileInput:
    """Mixin for a page's forms: a NUL character (or a lone surrogate, or an absurdly long
    text) in any field is reported on that field before any field cleans its value.

    Cleaning may look the value up (a ModelChoiceField by slug or username), and PostgreSQL
    refuses NUL in a query, so checking after `to_python` would be too late.
    """

    def full_clean(self) -> None:
        problems = self._hostile_fields() if self.is_bound else {}  # type: ignore[attr-defined]
        if not problems:
            super().full_clean()  # type: ignore[misc]
            return
        self._errors = ErrorDict()
        self.cleaned_data: dict[str, Any] = {}
        for name, problem in problems.items():
            self.add_error(name, problem)  # type: ignore[attr-defined]

    def _hostile_fields(self) -> dict[str, str]:
        problems = {}
        for name, bound in self._bound_items():  # type: ignore[attr-defined]
            values = bound.data if isinstance(bound.data, list | tuple) else [bound.data]
            for value in values:
                problem = text_problem(value) if isinstance(value, str) else None
                if problem:
                    problems[name] = problem
                    break
        return problems


class Form(RefusesHostileInput, forms.Form):
    pass


class ModelForm(RefusesHostileInput, forms.ModelForm):
    pass
