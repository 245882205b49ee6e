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

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, Final
from urllib.parse import parse_qs, urlencode
from zoneinfo import ZoneInfo

from .encoded_query import (
    AnyRecord,
    AnyTable,
    EncodedQuery,
    field_value,
    known_field,
    matches,
    parse_encoded_query,
    sort_value,
)
from .faults import FaultInjector
from .servicenow_records import CHOICE_LABELS
from .store import SimulatorStore
from .wire import Request, Response, int_param

DEFAULT_LIMIT: Final = 10_000  # sysparm_limit's documented default
_CONTENT_TYPE: Final = "application/json;charset=UTF-8"


def error(status: int, message: str, detail: str | None) -> Response:
    return Response(
        status,
        {"error": {"message": message, "detail": detail}, "status": "failure"},
        {"Content-Type": _CONTENT_TYPE},
    )


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
            r for r in table.by_sys_id() if matches(r, query, table, self.store)
        ]
        # Stable sorts from the last ORDERBY to the first; sys_id order underneath.
        for name, descending in reversed(query.order):

            def sort_key(record: AnyRecord, field: str = name) -> tuple[int, int, str]:
                return sort_value(field, field_value(record, field, table, self.store))

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
                if known_field(n, table, self.store)
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
