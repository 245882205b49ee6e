"""Money as people read it: with its currency, in whole units ("$2,000,000").

Every amount in the product (value at stake, value at risk, value lost) is in one
currency, `settings.CURRENCY` (ISO 4217, default USD); the pages and the map's script
format it the same way (the script with `Intl.NumberFormat`, which this mirrors).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# The symbols Intl.NumberFormat("en-US") writes before the amount; others get their code.
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CNY": "CN¥"}
MINUS = "-"  # as Intl.NumberFormat writes it


def format_money(amount: object, currency: str, *, signed: bool = False) -> str:
    """`1234.5` → "$1,235"; `signed` puts "+" before a gain; nothing → "—"."""
    if amount is None or amount == "":
        return "—"
    try:
        value = Decimal(str(amount)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return str(amount)
    sign = MINUS if value < 0 else ("+" if signed and value > 0 else "")
    digits = f"{abs(value):,.0f}"
    symbol = SYMBOLS.get(currency.upper())
    return (
        f"{sign}{symbol}{digits}"
        if symbol
        else f"{sign}{currency.upper()}\N{NO-BREAK SPACE}{digits}"
    )
