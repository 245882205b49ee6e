"""The regular expressions people write in title link rules, matched in linear time.

Python's `re` backtracks: `(a+a+)+b` against a title of thirty "a"s keeps a worker busy
for a minute, and a saved rule would do it on every sync that meets such a title. RE2
(https://github.com/google/re2/wiki/Syntax) matches in time linear in the title and refuses,
when compiling, what it cannot match so (backreferences, lookaround). Every place that
compiles or matches a user's pattern comes through here: the rule's validation, the
previews, the relink after a rule is saved and the link step of every sync and webhook.
"""

from __future__ import annotations

from typing import Any

import re2

__all__ = ["BadPattern", "TitlePattern"]

_OPTIONS = re2.Options()
_OPTIONS.case_sensitive = False  # a rule matches a title whatever its case
_OPTIONS.log_errors = False  # a bad pattern is reported to the person who wrote it
_OPTIONS.never_capture = True  # a rule asks whether a title matches, never what


class BadPattern(ValueError):
    """A pattern RE2 cannot compile; the message says why, for the `pattern` field."""


class TitlePattern:
    """A compiled title pattern: `matches(title)` takes time linear in the title."""

    __slots__ = ("_regex", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        try:
            # Bytes in, bytes out: RE2 reads them as UTF-8 all the same, and the wrapper
            # skips mapping byte offsets back to characters (a third of the time a match
            # takes, on the link step of every ingested ticket).
            self._regex: Any = re2.compile(text.encode("utf-8"), _OPTIONS)
        except re2.error as exc:
            reason = exc.args[0] if exc.args else exc
            if isinstance(reason, bytes):
                reason = reason.decode("utf-8", "replace")
            raise BadPattern(
                f"Not a valid regular expression: {reason}. Patterns use RE2 syntax, "
                "without backreferences or lookaround."
            ) from exc
        except UnicodeEncodeError as exc:  # a lone surrogate, as JSON can carry
            raise BadPattern("Not a valid regular expression: it holds no valid text.") from exc

    def matches(self, title: str) -> bool:
        # "replace": a lone surrogate (which the mirror never stores) becomes "?".
        return self._regex.search(title.encode("utf-8", "replace")) is not None

    def __repr__(self) -> str:
        return f"TitlePattern({self.text!r})"
