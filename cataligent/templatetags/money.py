"""`{{ amount|money }}` and `{{ delta|money_delta }}`: amounts with the configured currency.

Registered as a template builtin (settings.TEMPLATES), so no `{% load %}` is needed.
"""

from __future__ import annotations

from django import template
from django.conf import settings

from cataligent.money import format_money

register = template.Library()


@register.filter
def money(amount: object) -> str:
    return format_money(amount, settings.CURRENCY)


@register.filter
def money_delta(amount: object) -> str:
    return format_money(amount, settings.CURRENCY, signed=True)


@register.simple_tag
def currency_code() -> str:
    """The configured currency, for scripts that format amounts themselves."""
    return settings.CURRENCY
