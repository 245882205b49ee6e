"""The JQL the simulated Jira understands: a tokenizer and parser into a predicate over the
store's issues (fields, ORDER BY, date literals in the account's time zone)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from .jira_records import STATUS_CATEGORIES, JiraIssue
from .store import SimulatorStore
from .timestamps import jql_date_to_epoch_ms, to_epoch_ms


class JqlError(ValueError):
    """Turned into Jira's 400 ``{"errorMessages": [...]}``."""


# --- JQL ----------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>!=|>=|<=|!~|[=<>~(),])
      | (?P<word>[^\s=!<>~(),"']+)
    )""",
    re.VERBOSE,
)
_KEYWORDS: Final = frozenset({"and", "or", "not", "in", "is", "empty", "null", "order", "by"})


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "string", "op", "word", "end"
    text: str

    def keyword(self, *words: str) -> bool:
        return self.kind == "word" and self.text.lower() in words


def _tokens(jql: str) -> list[_Token]:
    tokens, position = [], 0
    while position < len(jql):
        if jql[position:].strip() == "":
            break
        match = _TOKEN.match(jql, position)
        if match is None or match.end() == position:
            raise JqlError(
                "Error in the JQL Query: "
                f"The character '{jql[position]}' is a reserved JQL character."
            )
        kind = match.lastgroup or "word"
        text = match.group(kind)
        if kind == "string":
            text = re.sub(r"\\(.)", r"\1", text[1:-1])
        tokens.append(_Token(kind, text))
        position = match.end()
    tokens.append(_Token("end", ""))
    return tokens


Predicate = Callable[[JiraIssue], bool]


@dataclass(frozen=True, slots=True)
class Jql:
    where: Predicate | None  # None: unbounded
    order: tuple[tuple[str, bool], ...]  # (field, descending)
    # For the fast path: projects and the lower bound on updated from top-level AND clauses.
    projects: frozenset[str] | None
    updated_from: tuple[int, bool] | None  # (epoch ms, inclusive)


class _Parser:
    """Recursive descent over the subset of JQL connectors use:

    query   := [or] [ORDER BY field [ASC|DESC] (, field [ASC|DESC])*]
    or      := and (OR and)*
    and     := not (AND not)*
    not     := NOT not | "(" or ")" | clause
    clause  := field op value | field [NOT] IN "(" values ")" | field IS [NOT] EMPTY
    """

    def __init__(self, jql: str, store: SimulatorStore) -> None:
        self.tokens = _tokens(jql)
        self.index = 0
        self.store = store
        self.now_ms = to_epoch_ms(store.now())
        self.projects: frozenset[str] | None = None
        self.updated_from: tuple[int, bool] | None = None

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect_op(self, text: str) -> None:
        token = self.take()
        if token.kind != "op" or token.text != text:
            raise JqlError(f"Error in the JQL Query: Expecting '{text}' but got '{token.text}'.")

    def parse(self) -> Jql:
        where: Predicate | None = None
        if not self.peek().keyword("order") and self.peek().kind != "end":
            where = self.parse_or(top=True)
        order: list[tuple[str, bool]] = []
        if self.peek().keyword("order"):
            self.take()
            if not self.take().keyword("by"):
                raise JqlError("Error in the JQL Query: Expecting 'by' after 'order'.")
            while True:
                field = self.take()
                if field.kind not in ("word", "string") or field.text.lower() not in _SORTABLE:
                    raise JqlError(f"Not able to sort using field '{field.text}'.")
                descending = False
                if self.peek().keyword("asc", "desc"):
                    descending = self.take().text.lower() == "desc"
                order.append((_SORTABLE[field.text.lower()], descending))
                if self.peek().kind == "op" and self.peek().text == ",":
                    self.take()
                    continue
                break
        if self.peek().kind != "end":
            raise JqlError(
                "Error in the JQL Query: Expecting either 'OR' or 'AND' "
                f"but got '{self.peek().text}'."
            )
        return Jql(where, tuple(order), self.projects, self.updated_from)

    def parse_or(self, *, top: bool = False) -> Predicate:
        parts = [self.parse_and(top=top)]
        while self.peek().keyword("or"):
            self.take()
            parts.append(self.parse_and(top=False))
        if len(parts) > 1 and top:
            # An OR at the top level: the fast-path hints from its branches do not hold.
            self.projects = None
            self.updated_from = None
        return parts[0] if len(parts) == 1 else (lambda i: any(p(i) for p in parts))

    def parse_and(self, *, top: bool) -> Predicate:
        parts = [self.parse_not(top=top)]
        while self.peek().keyword("and"):
            self.take()
            parts.append(self.parse_not(top=top))
        return parts[0] if len(parts) == 1 else (lambda i: all(p(i) for p in parts))

    def parse_not(self, *, top: bool) -> Predicate:
        if self.peek().keyword("not"):
            self.take()
            inner = self.parse_not(top=False)
            return lambda i: not inner(i)
        if self.peek().kind == "op" and self.peek().text == "(":
            self.take()
            inner = self.parse_or(top=False)
            self.expect_op(")")
            return inner
        return self.parse_clause(top=top)

    def value(self) -> str:
        token = self.take()
        if token.kind == "word" and self.peek().kind == "op" and self.peek().text == "(":
            self.take()
            self.expect_op(")")
            if token.text.lower() == "now":
                return str(self.now_ms)
            raise JqlError(f"Error in the JQL Query: Unable to find JQL function '{token.text}()'.")
        if token.kind not in ("word", "string"):
            raise JqlError(f"Error in the JQL Query: Expecting a value but got '{token.text}'.")
        return token.text

    def parse_clause(self, *, top: bool) -> Predicate:
        token = self.take()
        if token.kind not in ("word", "string") or token.text.lower() in _KEYWORDS:
            raise JqlError(
                f"Error in the JQL Query: Expecting a field name but got '{token.text}'."
            )
        field = token.text.lower()
        if field not in _FIELDS:
            raise JqlError(
                f"Field '{token.text}' does not exist or you do not have permission to view it."
            )
        negate = False
        op_token = self.take()
        if op_token.keyword("is"):
            if self.peek().keyword("not"):
                self.take()
                negate = True
            if not self.take().keyword("empty", "null"):
                raise JqlError("Error in the JQL Query: Expecting 'EMPTY' after 'IS'.")
            getter = _FIELDS[field]
            return lambda i: (getter(i) in (None, [], "")) != negate
        if op_token.keyword("not") and self.peek().keyword("in"):
            self.take()
            op = "not in"
        elif op_token.keyword("in"):
            op = "in"
        elif op_token.kind == "op" and op_token.text in (
            "=",
            "!=",
            ">",
            ">=",
            "<",
            "<=",
            "~",
            "!~",
        ):
            op = op_token.text
        else:
            raise JqlError(f"Error in the JQL Query: Expecting operator but got '{op_token.text}'.")
        if op in ("in", "not in"):
            self.expect_op("(")
            values = [self.value()]
            while self.peek().kind == "op" and self.peek().text == ",":
                self.take()
                values.append(self.value())
            self.expect_op(")")
        else:
            values = [self.value()]
        return self.build(field, op, values, top=top)

    def build(self, field: str, op: str, values: list[str], *, top: bool) -> Predicate:
        getter = _FIELDS[field]
        if field in _DATE_FIELDS:
            if op not in ("=", "!=", ">", ">=", "<", "<="):
                raise JqlError(f"The operator '{op}' is not supported by the '{field}' field.")
            try:
                moment = jql_date_to_epoch_ms(values[0], self.store.jira_zone, self.now_ms)
            except ValueError as exc:
                raise JqlError(
                    f"Date value '{values[0]}' for field '{field}' is invalid. Valid formats "
                    "include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', "
                    "'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
                ) from exc
            if top and field == "updated" and op in (">=", ">"):
                self.updated_from = (moment, op == ">=")
            return _compare_dates(getter, op, moment)
        if field == "project":
            known = self.store.jira.projects
            keys = set()
            for value in values:
                matches = [
                    p.key
                    for p in known.values()
                    if value.upper() in (p.key, p.id) or value.lower() == p.name.lower()
                ]
                if not matches:
                    raise JqlError(f"The value '{value}' does not exist for the field 'project'.")
                keys.update(matches)
            if top and op in ("=", "in"):
                self.projects = frozenset(keys) if self.projects is None else self.projects & keys
            values = sorted(keys)
        wanted = {v.lower() for v in values}
        if op in ("~", "!~"):
            needle = values[0].lower().strip("*")
            return lambda i: (needle in str(getter(i) or "").lower()) == (op == "~")

        def match(issue: JiraIssue) -> bool:
            actual = getter(issue)
            candidates = actual if isinstance(actual, list) else [actual]
            hit = any(str(c).lower() in wanted for c in candidates if c is not None)
            return hit if op in ("=", "in") else not hit

        if op in ("=", "in", "!=", "not in"):
            return match
        raise JqlError(f"The operator '{op}' is not supported by the '{field}' field.")


def _compare_dates(getter: Callable[[JiraIssue], Any], op: str, moment: int) -> Predicate:
    def compare(issue: JiraIssue) -> bool:
        value = getter(issue)
        if value is None:
            return False
        return bool(
            {
                "=": value == moment,
                "!=": value != moment,
                ">": value > moment,
                ">=": value >= moment,
                "<": value < moment,
                "<=": value <= moment,
            }[op]
        )

    return compare


_FIELDS: Final[dict[str, Callable[[JiraIssue], Any]]] = {
    "project": lambda i: i.project,
    "key": lambda i: i.key,
    "issuekey": lambda i: i.key,
    "id": lambda i: str(i.id),
    "updated": lambda i: i.updated,
    "updateddate": lambda i: i.updated,
    "created": lambda i: i.created,
    "createddate": lambda i: i.created,
    "resolved": lambda i: i.resolutiondate,
    "resolutiondate": lambda i: i.resolutiondate,
    "status": lambda i: i.status,
    "statuscategory": lambda i: [i.status_category, STATUS_CATEGORIES[i.status_category][2]],
    "priority": lambda i: i.priority,
    "labels": lambda i: i.labels,
    "component": lambda i: i.components,
    "issuetype": lambda i: i.issue_type,
    "type": lambda i: i.issue_type,
    "assignee": lambda i: i.assignee,
    "reporter": lambda i: i.reporter,
    "resolution": lambda i: i.resolution,
    "summary": lambda i: i.summary,
    "text": lambda i: i.summary,
}
_DATE_FIELDS: Final = frozenset(
    {"updated", "updateddate", "created", "createddate", "resolved", "resolutiondate"}
)
_SORTABLE: Final = {
    "updated": "updated",
    "updateddate": "updated",
    "created": "created",
    "createddate": "created",
    "key": "key",
    "issuekey": "key",
    "id": "id",
    "priority": "priority",
    "resolutiondate": "resolutiondate",
    "resolved": "resolutiondate",
}


def parse_jql(jql: str, store: SimulatorStore) -> Jql:
    return _Parser(jql, store).parse()


# --- search -------------------------------------------------------------------------------------
