"""Inbound webhooks: `/hooks/<connector-slug>/` upserts the pushed ticket at once.

Authenticated by an HMAC-SHA256 of the raw body with the connector's webhook
secret (`X-Hub-Signature: sha256=<hex>` as Jira sends it, or
`X-Cataligent-Signature`), compared in constant time. Retries of one delivery
(`X-Atlassian-Webhook-Identifier`, `X-Delivery-Id`) are acknowledged and not
applied twice. Shapes: Jira `jira:issue_created|updated|deleted`, a ServiceNow
outbound REST message with the Table API record (bare or under `result`), a
Request Tracker ticket, or the generic shape documented in the README.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import datetime
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from cataligent import log_context
from cataligent.crypto import SecretUnreadable
from dependencies.recompute import impact_changed
from integrations.connectors import (
    STATUS_CATEGORIES,
    ConnectorError,
    NormalizedTicket,
    Rejected,
    connector_for,
)
from integrations.connectors.base import RecordRejected, within_limits
from integrations.connectors.timestamps import TimestampOutOfRange, parse_iso_datetime
from integrations.linking import link_tickets, rules_for
from integrations.models import Connector, QuarantinedRecord, Ticket, TicketLink, WebhookDelivery
from integrations.storable import storable, storable_text
from integrations.sync import connector_config
from integrations.ticket_store import upsert_tickets

log = logging.getLogger(__name__)

SIGNATURE_HEADERS = ("X-Hub-Signature", "X-Cataligent-Signature")
DELIVERY_HEADERS = ("X-Atlassian-Webhook-Identifier", "X-Delivery-Id", "X-Request-Id")
# A push carries one ticket. Below Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), so this
# is the limit that answers (413, with the reason).
MAX_BODY = 2 * 1024 * 1024


class BadPayload(Exception):
    """The body cannot be read as a ticket; the message says why."""


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"detail": message}, status=status)


def signature_valid(secret: str, body: bytes, header: str) -> bool:
    algorithm, _, digest = header.partition("=")
    digest = digest.strip().lower()
    # compare_digest raises on non-ASCII text; a header can carry any Latin-1 character.
    if algorithm.strip().lower() != "sha256" or not digest or not digest.isascii():
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, digest)


def _is_json(content_type: str) -> bool:
    """application/json or a JSON-based type (application/vnd.x+json); none given is read
    as JSON too, as some tools send it so."""
    media_type = content_type.partition(";")[0].strip().lower()
    return media_type in ("", "application/json") or media_type.endswith("+json")


def parse_generic(data: dict[str, Any]) -> NormalizedTicket:
    """The generic shape (README, "Webhooks"): the ticket fields of DESIGN §2 in JSON."""

    def text(name: str, *, required: bool = False) -> str:
        value = data.get(name)
        if value is None or value == "":
            if required:
                raise BadPayload(f"'{name}' is required")
            return ""
        if not isinstance(value, str | int):
            raise BadPayload(f"'{name}' must be a string")
        return str(value)

    def when(name: str, *, required: bool = False) -> datetime | None:
        value = data.get(name)
        if value in (None, ""):
            if required:
                raise BadPayload(f"'{name}' is required (ISO 8601 with a time zone)")
            return None
        try:
            return parse_iso_datetime(str(value))
        except TimestampOutOfRange as exc:
            raise BadPayload(f"'{name}': {exc}") from exc
        except ValueError as exc:
            raise BadPayload(f"'{name}' is not an ISO 8601 time with a zone: {value!r}") from exc

    def strings(name: str) -> tuple[str, ...]:
        value = data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise BadPayload(f"'{name}' must be a list of strings")
        return tuple(value)

    category = text("status_category", required=True)
    if category not in STATUS_CATEGORIES:
        raise BadPayload(f"'status_category' must be one of {', '.join(STATUS_CATEGORIES)}")
    priority = data.get("priority")
    if isinstance(priority, bool) or not isinstance(priority, int) or not 1 <= priority <= 5:
        raise BadPayload("'priority' must be a whole number from 1 (highest) to 5")
    count = data.get("reassignment_count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
        raise BadPayload("'reassignment_count' must be a whole number ≥ 0")
    updated = when("updated_at", required=True)
    assert updated is not None
    return NormalizedTicket(
        external_id=text("external_id", required=True),
        key=text("key") or text("external_id"),
        url=text("url"),
        title=text("title"),
        status_raw=text("status") or category,
        status_category=category,  # type: ignore[arg-type]
        priority=priority,
        is_blocker=bool(data.get("is_blocker", False)),
        assignee=text("assignee") or None,
        assignment_group=text("assignment_group") or None,
        reassignment_count=count,
        ci=text("ci") or None,
        components=strings("components"),
        labels=strings("labels"),
        opened_at=when("opened_at") or updated,
        updated_at=updated,
        resolved_at=when("resolved_at"),
        raw=data,
    )


def _record_from(connector: Connector, data: Any) -> tuple[str, Any]:
    """('upsert', raw record) or ('delete', external id) for the connector's push shape."""
    if not isinstance(data, dict):
        raise BadPayload("the body must be a JSON object")
    if "webhookEvent" in data:  # Jira
        event = data["webhookEvent"]
        issue = data.get("issue")
        if not isinstance(issue, dict):
            raise BadPayload(f"{event}: 'issue' is missing or not an object")
        if event == "jira:issue_deleted":
            return "delete", str(issue.get("id", ""))
        if event not in ("jira:issue_created", "jira:issue_updated"):
            raise BadPayload(f"unsupported Jira event {event!r}")
        return "upsert", issue
    if connector.kind == "servicenow":
        record = data.get("result", data)
        return "upsert", record
    return "upsert", data


@csrf_exempt
@login_not_required
@require_POST
def receive(request: HttpRequest, slug: str) -> JsonResponse:
    with log_context.bound(connector=slug[:100]):
        return _receive(request, slug)


def _receive(request: HttpRequest, slug: str) -> JsonResponse:
    connector = Connector.objects.filter(slug=slug, enabled=True).first()
    if connector is None:
        return _error(404, f"No enabled connector {slug!r}.")
    try:
        secret = connector.get_webhook_secret()
    except SecretUnreadable:
        log.error("webhook secret of %s cannot be decrypted; check FIELD_ENCRYPTION_KEY", slug)
        return _error(
            503, "This connector's webhook secret cannot be read; an admin must set it again."
        )
    if not secret:
        return _error(403, "Webhooks are not enabled for this connector: set its webhook secret.")
    too_large = _error(413, f"The body is larger than {MAX_BODY // (1024 * 1024)} MiB.")
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return _error(400, "The Content-Length header is not a number.")
    if declared > MAX_BODY:
        return too_large  # before reading it
    if not _is_json(request.content_type or ""):
        return _error(415, f"The body must be application/json, not {request.content_type}.")
    try:
        body = request.body
    except RequestDataTooBig:
        return too_large
    if len(body) > MAX_BODY:
        return too_large
    header = next((request.headers[h] for h in SIGNATURE_HEADERS if h in request.headers), "")
    if not signature_valid(secret, body, header):
        log.warning("webhook for %s refused: missing or wrong signature", slug)
        return _error(401, "Missing or wrong signature (HMAC-SHA256 of the body, 'sha256=<hex>').")
    try:
        # UTF-8 only (RFC 8259 §8.1): json.loads would also guess UTF-16 and UTF-32.
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return _error(400, f"The body is not JSON in UTF-8: byte {exc.start} is not UTF-8.")
    except json.JSONDecodeError as exc:
        return _error(400, f"The body is not JSON: {exc}.")
    except RecursionError:
        # json gives up near ~1,000 levels; keep what was sent so an admin can see it.
        QuarantinedRecord.objects.create(
            connector=connector,
            reason="webhook: the JSON is nested too deeply to read",
            raw_text=storable_text(body.decode("utf-8", errors="replace")),
        )
        return _error(400, "The JSON is nested too deeply to read. It was kept in quarantine.")
    delivery = next((request.headers[h] for h in DELIVERY_HEADERS if h in request.headers), "")

    try:
        with transaction.atomic():
            if delivery:
                try:
                    with transaction.atomic():
                        WebhookDelivery.objects.create(
                            connector=connector, delivery_id=delivery[:200]
                        )
                except IntegrityError:
                    return JsonResponse({"status": "duplicate delivery, already applied"})
            action, record = _record_from(connector, data)
            if action == "delete":
                touched = Ticket.objects.filter(
                    connector=connector, external_id=storable_text(record)
                )
                linked = TicketLink.objects.filter(ticket__in=touched, node__isnull=False).exists()
                count = touched.update(missing_from_source=True, is_blocking=False)
                if linked:
                    impact_changed(reason=f"webhook from {connector.slug}: ticket deleted")
                return JsonResponse({"status": "deleted", "tickets": count})
            ticket = _normalize(connector, record)
            stored = upsert_tickets(connector, [ticket])
            links = link_tickets(
                stored.changed_ids, connector=connector, rules=rules_for(connector)
            )
            if (
                links.nodes_touched
                or TicketLink.objects.filter(
                    ticket_id__in=stored.changed_ids, node__isnull=False
                ).exists()
            ):
                impact_changed(reason=f"webhook from {connector.slug}")
    except BadPayload as exc:
        QuarantinedRecord.objects.create(
            connector=connector,
            external_id=storable_text(_guess_id(data)),
            reason=storable_text(f"webhook: {exc}"),
            raw=storable(data),
        )
        return _error(400, f"Cannot read this ticket: {exc}. It was kept in quarantine.")
    status = "created" if stored.created else "updated" if stored.updated else "unchanged"
    log.info("webhook from %s: %s %s", slug, ticket.key, status)
    return JsonResponse({"status": status, "key": ticket.key})


def _normalize(connector: Connector, record: Any) -> NormalizedTicket:
    if not isinstance(record, dict):
        raise BadPayload("the record must be a JSON object")
    if "status_category" in record:
        try:
            return within_limits(parse_generic(record))
        except RecordRejected as exc:
            raise BadPayload(str(exc)) from exc
    try:
        source = connector_for(connector_config(connector))
    except ConnectorError as exc:
        raise BadPayload(f"the connector is misconfigured: {exc}") from exc
    with source:
        result = source.normalize(record)
    if isinstance(result, Rejected):
        raise BadPayload(result.reason)
    return result


def _guess_id(data: Any) -> str:
    if isinstance(data, dict):
        for source in (data, data.get("issue"), data.get("result")):
            if isinstance(source, dict):
                for key in ("external_id", "sys_id", "id"):
                    if source.get(key):
                        return str(source[key])[:200]
    return ""
