"""Amounts read with their currency, the same on the pages as in the map's script."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cataligent.money import format_money


@pytest.mark.parametrize(
    ("amount", "currency", "signed", "text"),
    [
        (Decimal("2000000"), "USD", False, "$2,000,000"),
        (Decimal("1234.5"), "USD", False, "$1,235"),
        (Decimal("-1000"), "USD", True, "-$1,000"),
        (Decimal("1000"), "USD", True, "+$1,000"),
        (Decimal("0"), "USD", True, "$0"),
        (Decimal("950"), "EUR", False, "€950"),
        (Decimal("950"), "chf", False, "CHF\N{NO-BREAK SPACE}950"),
        (None, "USD", False, "—"),
        ("", "USD", False, "—"),
        ("n/a", "USD", False, "n/a"),
    ],
)
def test_format_money(amount: object, currency: str, signed: bool, text: str) -> None:
    assert format_money(amount, currency, signed=signed) == text


def test_pages_show_the_configured_currency(settings) -> None:  # type: ignore[no-untyped-def]
    from django.template import engines

    render = engines["django"].from_string("{{ v|money }} {{ d|money_delta }} {% currency_code %}")
    assert render.render({"v": Decimal(1000), "d": Decimal(-5)}) == "$1,000 -$5 USD"
    settings.CURRENCY = "EUR"
    assert render.render({"v": Decimal(1000), "d": Decimal(5)}) == "€1,000 +€5 EUR"
