"""ServiceNow Table API, as ../shared/reference/itsm-apis.md section 1 describes it.

Documentation: ServiceNow/ServiceNowDocs ``markdown/api-reference/rest-apis/c_TableAPI.md``
(Table - GET /now/table/{tableName}). The quirks reproduced on purpose:

- every value is a string, an empty field is ``""`` (never null);
- reference fields are ``{"link", "value"}``, or the plain sys_id with
  ``sysparm_exclude_reference_link=true``;
- invalid parts of ``sysparm_query`` and unknown ``sysparm_fields`` are silently ignored;
- ``X-Total-Count`` and a ``Link`` header with first/prev/next/last; on the first page the
  prev link's offset is negative, as in the real capture the reference quotes;
- an empty result is ``200 {"result": []}`` on the default URL and on ``/v2/``, but ``404 No
  Record found`` on ``/api/now/v1/table/...`` ("Version 1 returns error code 404 with no
  results", c_TableAPI.md).
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import parse_qs, urlencode
from zoneinfo import ZoneInfo

from .faults import FaultInjector
from .records import CHOICE_LABELS, Incident, ReferenceRecord, ServiceNowTable
from .store import SimulatorStore
from .timestamps import servicenow_parse, servicenow_text
from .wire import Request, Response, int_param

DEFAULT_LIMIT: Final = 10_000  # sysparm_limit's documented default
TIME_FIELDS: Final = frozenset(
    {"sys_updated_on", "sys_created_on", "opened_at", "resolved_at", "closed_at"}
)
_OPERATORS: Final = (
    "ISNOTEMPTY",
    "ISEMPTY",
    "NOT LIKE",
    "NOTLIKE",
    "LIKE",
    "STARTSWITH",
    "ENDSWITH",
    "NOT IN",
    "NOTIN",
    "IN",
    ">=",
    "<=",
    "!=",
    "=",
    ">",
    "<",
)
_CONDITION = re.compile(
    r"^([a-z0-9_.]+)(" + "|".join(re.escape(op) for op in _OPERATORS) + r")(.*)$", re.S
)
# javascript:gs.dateGenerate('2024-01-01','00:00:00'), used by ansible-collections/servicenow.itsm
_DATE_GENERATE = re.compile(
    r"^javascript:gs\.dateGenerate\(\s*'(\d{4}-\d{2}-\d{2})'\s*,\s*'(\d{2}:\d{2}:\d{2})'\s*\)$"
)
_CONTENT_TYPE: Final = "application/json;charset=UTF-8"
# Compared as numbers by < and >; every other field compares as text (sys_ids, dates, ...).
NUMERIC_FIELDS: Final = frozenset(
    {
        "state",
        "incident_state",
        "priority",
        "impact",
        "urgency",
        "severity",
        "reassignment_count",
        "reopen_count",
        "sys_mod_count",
    }
)

AnyTable = ServiceNowTable[Incident] | ServiceNowTable[ReferenceRecord]
AnyRecord = Incident | ReferenceRecord


def error(status: int, message: str, detail: str | None) -> Response:
    return Response(
        status,
        {"error": {"message": message, "detail": detail}, "status": "failure"},
        {"Content-Type": _CONTENT_TYPE},
    )


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    operator: str
    value: str


@dataclass(frozen=True, slots=True)
class EncodedQuery:
    # OR of "NQ" groups; each group is an AND of terms; each term an OR ("^OR") of conditions.
    groups: tuple[tuple[tuple[Condition, ...], ...], ...]
    order: tuple[tuple[str, bool], ...]  # (field, descending)

    def index_range(self, table: AnyTable) -> tuple[int, int] | None:
        """For the incremental-sync shapes, the slice of the table's (sys_updated_on, sys_id)
        index that the query selects, found by bisection; None for any other query.

        - ``sys_updated_on>=T`` (or ``>T``), optionally with ``<=`` / ``<`` bounds;
        - the keyset form ``sys_updated_on>T^NQsys_updated_on=T^sys_id>ID``: rows after
          (T, ID), which pages safely while rows change (offsets skip a row whenever an
          earlier row moves to the end);

        each ordered by ``ORDERBYsys_updated_on`` (``^ORDERBYsys_id`` optional; ties are always
        broken by sys_id here).
        """
        if self.order not in (
            (("sys_updated_on", False),),
            (("sys_updated_on", False), ("sys_id", False)),
        ):
            return None
        if len(self.groups) == 2:
            after = _keyset_after(self.groups)
            if after is None:
                return None
            return table.position_after(after), table.index_size()
        if len(self.groups) != 1:
            return None
        start, stop = 0, table.index_size()
        for term in self.groups[0]:
            if len(term) != 1 or term[0].field != "sys_updated_on":
                return None
            condition = term[0]
            moment = servicenow_parse(condition.value)
            if condition.operator == ">=":
                start = max(start, table.position(moment, inclusive=True))
            elif condition.operator == ">":
                start = max(start, table.position(moment, inclusive=False))
            elif condition.operator == "<=":
                stop = min(stop, table.position(moment, inclusive=False))
            elif condition.operator == "<":
                stop = min(stop, table.position(moment, inclusive=True))
            else:
                return None
        return start, max(start, stop)


def _keyset_after(
    groups: tuple[tuple[tuple[Condition, ...], ...], ...],
) -> tuple[int, str] | None:
    """(T, ID) for ``sys_updated_on>T^NQsys_updated_on=T^sys_id>ID`` (groups in any order)."""
    singles = [g for g in groups if len(g) == 1 and len(g[0]) == 1]
    pairs = [g for g in groups if len(g) == 2 and all(len(term) == 1 for term in g)]
    if len(singles) != 1 or len(pairs) != 1:
        return None
    later = singles[0][0][0]
    if (later.field, later.operator) != ("sys_updated_on", ">"):
        return None
    same = {(term[0].field, term[0].operator): term[0].value for term in pairs[0]}
    if same.get(("sys_updated_on", "=")) != later.value or ("sys_id", ">") not in same:
        return None
    return servicenow_parse(later.value), same[("sys_id", ">")]


def _time_literal(value: str, zone: ZoneInfo) -> str | None:
    """Normalise a date value to the stored format, or None if it is not one."""
    generated = _DATE_GENERATE.match(value)
    if generated:
        # gs.dateGenerate reads its arguments in the session user's time zone (reference §1).
        local = datetime.fromisoformat(f"{generated.group(1)}T{generated.group(2)}")
        return servicenow_text(int(local.replace(tzinfo=zone).timestamp()))
    try:
        # A bare literal is read as UTC here; whether ServiceNow reads it in the user's zone is
        # [unconfirmed] (reference §1), so the integration user's zone defaults to GMT.
        return servicenow_text(servicenow_parse(value))
    except ValueError:
        return None


def parse_encoded_query(
    text: str, table: AnyTable, store: SimulatorStore, zone: ZoneInfo
) -> EncodedQuery:
    """Parse ``sysparm_query``, dropping what ServiceNow would ignore (unknown fields,
    unparseable parts) instead of failing."""
    groups: list[list[list[Condition]]] = [[]]
    order: list[tuple[str, bool]] = []
    for raw in text.split("^") if text else ():
        part = raw.strip()
        if not part or part == "EQ":
            continue
        if part.startswith("ORDERBYDESC"):
            if _known_field(part[11:], table, store):
                order.append((part[11:], True))
            continue
        if part.startswith("ORDERBY"):
            if _known_field(part[7:], table, store):
                order.append((part[7:], False))
            continue
        if part.startswith("NQ"):  # "^NQ" starts a new query, OR-ed with the ones before
            groups.append([])
            part = part[2:]
            if not part:
                continue
        alternative = part.startswith("OR")
        condition = _condition(part[2:] if alternative else part, table, store, zone)
        if condition is None:
            continue
        terms = groups[-1]
        if alternative and terms:
            terms[-1].append(condition)
        else:
            terms.append([condition])
    return EncodedQuery(
        tuple(
            tuple(tuple(term) for term in group) for group in groups if group or len(groups) == 1
        ),
        tuple(order),
    )


def _known_field(name: str, table: AnyTable, store: SimulatorStore) -> bool:
    if name in table.field_set:
        return True
    head, _, tail = name.partition(".")
    target = table.references.get(head)
    target_table = store.table(target) if target else None
    return target_table is not None and tail in target_table.field_set


def _condition(
    text: str, table: AnyTable, store: SimulatorStore, zone: ZoneInfo
) -> Condition | None:
    match = _CONDITION.match(text)
    if match is None:
        return None
    name, operator, value = match.groups()
    if not _known_field(name, table, store):
        return None
    if name in TIME_FIELDS and operator in (">=", "<=", ">", "<", "=", "!="):
        normalised = _time_literal(value, zone)
        if normalised is None:
            return None
        value = normalised
    return Condition(
        name, operator.replace("NOTLIKE", "NOT LIKE").replace("NOTIN", "NOT IN"), value
    )


def _field_value(record: AnyRecord, name: str, table: AnyTable, store: SimulatorStore) -> str:
    if "." not in name:
        return record.value(name)
    head, _, tail = name.partition(".")
    target = table.references.get(head)
    target_table = store.table(target) if target else None
    referenced = target_table.get(record.value(head)) if target_table is not None else None
    return referenced.value(tail) if referenced is not None else ""


def _as_number(text: str) -> int | None:
    return int(text) if text.lstrip("-").isdigit() else None


def _holds(actual: str, condition: Condition) -> bool:
    operator, expected = condition.operator, condition.value
    if operator == "=":
        return actual == expected
    if operator == "!=":
        return actual != expected
    if operator == "ISEMPTY":
        return actual == ""
    if operator == "ISNOTEMPTY":
        return actual != ""
    if operator in ("IN", "NOT IN"):
        return (actual in expected.split(",")) == (operator == "IN")
    low_actual, low_expected = actual.lower(), expected.lower()
    if operator == "LIKE":
        return low_expected in low_actual
    if operator == "NOT LIKE":
        return low_expected not in low_actual
    if operator == "STARTSWITH":
        return low_actual.startswith(low_expected)
    if operator == "ENDSWITH":
        return low_actual.endswith(low_expected)
    if actual == "":
        return False  # an empty value never compares
    if condition.field not in NUMERIC_FIELDS:
        return _compare(operator, actual, expected)
    left, right = _as_number(actual), _as_number(expected)
    if left is None or right is None:
        return _compare(operator, actual, expected)
    return _compare(operator, left, right)


def _compare(operator: str, left: Any, right: Any) -> bool:
    if operator == ">":
        return bool(left > right)
    if operator == ">=":
        return bool(left >= right)
    if operator == "<":
        return bool(left < right)
    return bool(left <= right)


def _matches(
    record: AnyRecord, query: EncodedQuery, table: AnyTable, store: SimulatorStore
) -> bool:
    for group in query.groups:
        if all(
            any(_holds(_field_value(record, c.field, table, store), c) for c in term)
            for term in group
        ):
            return True
    return not query.groups


def _sort_value(name: str, text: str) -> tuple[int, int, str]:
    number = _as_number(text) if name in NUMERIC_FIELDS else None
    return (0, number, "") if number is not None else (1, 0, text)


class ServiceNowApi:
    def __init__(self, store: SimulatorStore, injector: FaultInjector) -> None:
        self.store = store
        self.injector = injector
        self.zone = ZoneInfo(
            "UTC" if store.servicenow_time_zone == "GMT" else store.servicenow_time_zone
        )
        # Generic (non-incremental) queries scan the table once per table version and keep the
        # matching sys_ids, so paging through their result is not O(table) per page.
        self._cache: OrderedDict[tuple[str, str, int], list[str]] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.oauth_tokens: set[str] = set()

    # GET /api/now[/v1|/v2]/table/{table}[/{sys_id}] ------------------------------------------

    def table(self, request: Request, name: str, sys_id: str | None, version: str) -> Response:
        with self.store.lock:
            table = self.store.table(name)
            if table is None:
                return error(400, f"Invalid table {name}", None)
            if sys_id is not None:
                record = table.get(sys_id)
                if record is None:
                    return error(
                        404,
                        "No Record found",
                        "Record doesn't exist or ACL restricts the record retrieval",
                    )
                return Response(
                    200,
                    {"result": self._render(record, table, request)},
                    {"Content-Type": _CONTENT_TYPE},
                )
            return self._list(request, table, version)

    def _list(self, request: Request, table: AnyTable, version: str) -> Response:
        limit = int_param(request, "sysparm_limit", DEFAULT_LIMIT)
        limit = limit if limit > 0 else DEFAULT_LIMIT
        offset = max(int_param(request, "sysparm_offset", 0), 0)
        query_text = request.param("sysparm_query", "") or ""
        query = parse_encoded_query(query_text, table, self.store, self.zone)
        # Plain name=value pairs filter too (c_TableAPI.md), when there is no sysparm_query.
        if not query_text:
            extra = "^".join(
                f"{key}={values[0]}"
                for key, values in request.params.items()
                if not key.startswith("sysparm_") and values
            )
            if extra:
                query = parse_encoded_query(extra, table, self.store, self.zone)
        records, total = self._page(table, query, query_text, offset, limit)
        if not records and version == "v1":
            return error(
                404,
                "No Record found",
                "Records matching query not found. Check query parameter or offset parameter",
            )
        headers = {"Content-Type": _CONTENT_TYPE}
        if request.param("sysparm_no_count") != "true":
            headers["X-Total-Count"] = str(total)
        if request.param("sysparm_suppress_pagination_header") != "true":
            headers["Link"] = _link_header(request, offset, limit, total)
        render = self._renderer(table, request)
        return Response(200, {"result": [render(r) for r in records]}, headers)

    def _page(
        self, table: AnyTable, query: EncodedQuery, query_text: str, offset: int, limit: int
    ) -> tuple[Sequence[AnyRecord], int]:
        window = query.index_range(table)
        if window is not None:
            start, stop = window
            first = start + offset
            return table.rows(first, min(first + limit, stop)), stop - start
        ids = self._matching_ids(table, query, query_text)
        page = [table.get(sys_id) for sys_id in ids[offset : offset + limit]]
        return [record for record in page if record is not None], len(ids)

    def _matching_ids(self, table: AnyTable, query: EncodedQuery, query_text: str) -> list[str]:
        key = (table.name, f"{query_text}|{query.order}", table.version)
        with self._cache_lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        records: list[AnyRecord] = [
            r for r in table.by_sys_id() if _matches(r, query, table, self.store)
        ]
        # Stable sorts from the last ORDERBY to the first; sys_id order underneath.
        for name, descending in reversed(query.order):

            def sort_key(record: AnyRecord, field: str = name) -> tuple[int, int, str]:
                return _sort_value(field, _field_value(record, field, table, self.store))

            records.sort(key=sort_key, reverse=descending)
        ids = [r.sys_id for r in records]
        with self._cache_lock:
            self._cache[key] = ids
            while len(self._cache) > 16:
                self._cache.popitem(last=False)
        return ids

    # rendering -------------------------------------------------------------------------------

    def _render(self, record: AnyRecord, table: AnyTable, request: Request) -> Any:
        return self._renderer(table, request)(record)

    def _renderer(self, table: AnyTable, request: Request) -> Callable[[AnyRecord], Any]:
        """How each record of one response is rendered, worked out once for the request
        (the fields asked for, where dot-walked fields point, how references look): a page
        of a thousand records is then a plain loop, which keeps the simulator out of the way
        of what the ingest benchmark measures."""
        requested = request.param("sysparm_fields")
        display = (request.param("sysparm_display_value") or "false").lower()
        exclude_links = request.param("sysparm_exclude_reference_link") == "true"
        if requested:
            names = [
                n
                for n in (p.strip() for p in requested.split(","))
                if _known_field(n, table, self.store)
            ]
        else:
            names = list(table.fields)
        # Per field: (name, the referenced table of a dot-walk, its field, whether the value
        # is sent as it is stored: no reference shape and no display value).
        plans: list[tuple[str, AnyTable | None, str, bool]] = []
        for name in dict.fromkeys(names):
            head, dot, tail = name.partition(".")
            target = table.references.get(head) if dot else None
            target_table = self.store.table(target) if target else None
            as_stored = display not in ("true", "all") and (
                name not in table.references or exclude_links
            )
            plans.append((name, target_table, tail, as_stored))
        base_url = request.base_url
        garbling = self.injector.faults.garbled > 0

        def render(record: AnyRecord) -> Any:
            out: dict[str, Any] = {}
            for name, target_table, tail, as_stored in plans:
                if target_table is None:
                    value = record.value(name) if not tail else ""
                else:
                    referenced = target_table.get(record.value(name.partition(".")[0]))
                    value = referenced.value(tail) if referenced is not None else ""
                out[name] = (
                    value
                    if as_stored
                    else self._render_value(
                        table,
                        name,
                        value,
                        table.references.get(name),
                        display,
                        exclude_links,
                        base_url,
                    )
                )
            if not garbling:
                return out
            variant = self.injector.garble(
                f"sn:{table.name}:{record.sys_id}:{record.sys_updated_on}"
            )
            return _garble(out, variant) if variant else out

        return render

    def _render_value(
        self,
        table: AnyTable,
        name: str,
        value: str,
        reference: str | None,
        display: str,
        exclude_links: bool,
        base_url: str,
    ) -> Any:
        if reference is not None:
            link = f"{base_url}/api/now/table/{reference}/{value}"
            shown = self.store.display_value(reference, value) if value else ""
            if display == "true":
                return (
                    shown if exclude_links or not value else {"display_value": shown, "link": link}
                )
            if display == "all":
                both: dict[str, str] = {"display_value": shown, "value": value}
                if value and not exclude_links:
                    both["link"] = link
                return both
            if not value or exclude_links:
                return value
            return {"link": link, "value": value}
        if display in ("true", "all"):
            labels = CHOICE_LABELS.get(name) if table.name == "incident" else None
            shown = labels.get(value, value) if labels else value
            # Display dates use the user's zone and format; the integration user is on GMT.
            return shown if display == "true" else {"display_value": shown, "value": value}
        return value

    # POST /oauth_token.do ---------------------------------------------------------------------

    def oauth_token(
        self, request: Request, *, client_id: str, client_secret: str, username: str, password: str
    ) -> Response:
        form = {k: v[0] for k, v in parse_qs(request.body.decode(errors="replace")).items()}
        grant = form.get("grant_type")
        client_ok = (
            form.get("client_id") == client_id and form.get("client_secret") == client_secret
        )
        user_ok = form.get("username") == username and form.get("password") == password
        refresh_ok = form.get("refresh_token") in self.oauth_tokens
        if not client_ok or not (
            (grant == "password" and user_ok)
            or grant == "client_credentials"
            or (grant == "refresh_token" and refresh_ok)
        ):
            # The shape ServiceNow answers a bad grant with; [unconfirmed] in the reference.
            return Response(401, {"error_description": "access_denied", "error": "server_error"})
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self.oauth_tokens.update((access, refresh))
        return Response(
            200,
            {
                "access_token": access,
                "refresh_token": refresh,
                "scope": "useraccount",
                "token_type": "Bearer",
                "expires_in": 1799,
            },
        )


def _link_header(request: Request, offset: int, limit: int, total: int) -> str:
    def url(at: int) -> str:
        params = {k: v for k, v in request.params.items()}
        params["sysparm_offset"] = [str(at)]
        params["sysparm_limit"] = [str(limit)]
        return f"{request.base_url}{request.path}?{urlencode(params, doseq=True)}"

    links = [f'<{url(0)}>;rel="first"', f'<{url(offset - limit)}>;rel="prev"']
    if offset + limit < total:
        links.append(f'<{url(offset + limit)}>;rel="next"')
    links.append(f'<{url(max((total - 1) // limit * limit, 0))}>;rel="last"')
    return ",".join(links)


def _garble(record: dict[str, Any], variant: str) -> Any:
    """Break a rendered record the way a connector must survive (and quarantine)."""
    broken = dict(record)
    if variant == "missing_id":
        broken.pop("sys_id", None)
        broken.pop("number", None)
    elif variant == "bad_timestamp":
        broken["sys_updated_on"] = "31/02/2016 25:61"
    elif variant == "wrong_type":
        broken["priority"] = {"unexpected": ["object"]}
        broken["state"] = None
    else:  # not_an_object
        return "<record could not be serialised>"
    return broken
