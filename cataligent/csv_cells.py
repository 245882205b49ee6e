"""CSV cells that a spreadsheet will not run as formulas (CSV injection), and back.

Excel, LibreOffice and Google Sheets run a cell that starts with = + - @ (or a tab or a
carriage return) as a formula: a node named `=HYPERLINK("https://evil.example", "Docs")`
becomes a live link in the sheet of whoever opens the export. As OWASP advises
(https://owasp.org/www-community/attacks/CSV_Injection), such a cell is written with a
leading single quote. `unquote_cell` undoes exactly that, so a file an export wrote and
an import reads gives back the values it was written from.
"""

from __future__ import annotations

from typing import Any

__all__ = ["quote_cell", "unquote_cell"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A value that already starts with a quote before one of these is quoted too, so that
# unquoting is never ambiguous: "'=x" is written "''=x" and read back as "'=x".
_QUOTED_STARTS = (*FORMULA_STARTS, "'")


def quote_cell(value: Any) -> Any:
    """`value`, with a leading ' where a spreadsheet would read it as a formula."""
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_STARTS) or (value[:1] == "'" and value[1:2] in _QUOTED_STARTS):
        return "'" + value
    return value


def unquote_cell(text: str) -> str:
    """The value `quote_cell` was given, from what it wrote."""
    if text[:1] == "'" and text[1:2] and text[1:2] in _QUOTED_STARTS:
        return text[1:]
    return text
