"""PagerDuty's business services and what supports them, read for
``manage.py import_pagerduty_services`` (pure: no Django).

Wire facts [1]: ``GET /business_services`` (offset paging: ``limit`` <= 100, ``offset``,
``more``) lists ``{"business_services": [{"id", "name", "description", "html_url", ...}]}``;
``GET /services`` lists the technical services the same way (``{"services": [...]}``);
``GET /service_dependencies/business_services/{id}`` answers ``{"relationships": [{"id",
"type": "service_dependency", "supporting_service": {"id", "type"}, "dependent_service":
{"id", "type"}}]}`` where each ``type`` is ``business_service`` or ``technical_service``
(a ``..._reference`` suffix is read the same).

[1] developer.pagerduty.com/api-reference: List Business Services, List Services, Get
Business Service dependencies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from .errors import ResponseFormatError
from .pagerduty import MAX_LIMIT, PagerDutyConnector

__all__ = ["PagerDutyService", "ServiceDependency", "read_services"]


@dataclass(frozen=True)
class PagerDutyService:
    id: str
    business: bool  # a business service (else a technical one)
    name: str
    description: str
    url: str


@dataclass(frozen=True)
class ServiceDependency:
    dependent: str  # service id
    supporting: str


def _listing(connector: PagerDutyConnector, path: str, key: str) -> list[Mapping[str, object]]:
    found: list[Mapping[str, object]] = []
    offset = 0
    while True:
        body = connector._get(path, {"limit": MAX_LIMIT, "offset": offset})
        if not isinstance(body, Mapping) or not isinstance(body.get(key), list):
            raise ResponseFormatError(f"PagerDuty answered {path} without a {key!r} list")
        found.extend(item for item in body[key] if isinstance(item, Mapping))
        offset += len(body[key])
        if body.get("more") is not True or not body[key]:
            return found


def _service(item: Mapping[str, object], *, business: bool) -> PagerDutyService | None:
    ident, name = item.get("id"), item.get("name") or item.get("summary")
    if not isinstance(ident, str) or not ident or not isinstance(name, str) or not name.strip():
        return None
    description = item.get("description")
    url = item.get("html_url")
    return PagerDutyService(
        id=ident,
        business=business,
        name=name.strip(),
        description=description.strip() if isinstance(description, str) else "",
        url=url if isinstance(url, str) else "",
    )


def read_services(
    connector: PagerDutyConnector,
) -> tuple[list[PagerDutyService], list[ServiceDependency]]:
    """Every business service, the technical services that support one, and the edges."""
    business = [
        s
        for item in _listing(connector, "/business_services", "business_services")
        if (s := _service(item, business=True))
    ]
    dependencies: dict[tuple[str, str], ServiceDependency] = {}
    for service in business:
        body = connector._get(
            f"/service_dependencies/business_services/{quote(service.id, safe='')}"
        )
        if not isinstance(body, Mapping) or not isinstance(body.get("relationships"), list):
            raise ResponseFormatError(
                f"PagerDuty answered the dependencies of {service.id} without 'relationships'"
            )
        for relation in body["relationships"]:
            if not isinstance(relation, Mapping):
                continue
            dependent, supporting = (
                relation.get("dependent_service"),
                relation.get("supporting_service"),
            )
            if isinstance(dependent, Mapping) and isinstance(supporting, Mapping):
                ids = (dependent.get("id"), supporting.get("id"))
                if all(isinstance(i, str) and i for i in ids):
                    edge = ServiceDependency(dependent=str(ids[0]), supporting=str(ids[1]))
                    dependencies[(edge.dependent, edge.supporting)] = edge
    named = {s.id for s in business}
    technical = []
    if any(i not in named for e in dependencies.values() for i in (e.dependent, e.supporting)):
        technical = [
            s
            for item in _listing(connector, "/services", "services")
            if (s := _service(item, business=False))
        ]
    return [*business, *technical], list(dependencies.values())
