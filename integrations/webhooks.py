"""Inbound webhooks: `/hooks/<connector-slug>/` upserts the pushed ticket at once.

Authenticated by an HMAC-SHA256 of the raw body with the connector's webhook
secret (`X-Hub-Signature: sha256=<hex>` as Jira sends it, GitHub's `X-Hub-Signature-256`,
`X-Cataligent-Signature`, PagerDuty v3's `X-PagerDuty-Signature: v1=<hex>[,v1=<hex>...]`, any
one matching, or Zendesk's `X-Zendesk-Webhook-Signature: <base64>` of the HMAC of
`X-Zendesk-Webhook-Signature-Timestamp` followed by the body), compared in constant time; a
GitLab connector's hooks carry the secret itself in `X-Gitlab-Token` (GitLab signs nothing),
also compared in constant time. Retries of one delivery (`X-Atlassian-Webhook-Identifier`,
`X-GitHub-Delivery`, GitLab's `Idempotency-Key` or `X-Gitlab-Event-UUID`,
`X-Zendesk-Webhook-Invocation-Id`, `X-Delivery-Id`) are acknowledged and not applied twice.
Shapes: Jira `jira:issue_created|updated|deleted`, a ServiceNow outbound REST message with the
Table API record (bare or under `result`), a Request Tracker ticket, a PagerDuty v3 incident
event, GitHub `issues` events, GitLab issue hooks, a JSM Operations Webhook integration alert
action (the alert then read by id: integrations/connectors/jsm_ops.py), a Zendesk trigger's
`{"ticket": {...}}` or event subscription, or the generic shape documented in the README. An
event that changes no ticket (a GitHub ping or pull request) is acknowledged and ignored. JSM
Operations documents no signature of its own, so its deliveries are accepted only with
`X-Cataligent-Signature`, as any unsigned tool's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Mapping

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from cataligent import log_context
from cataligent.crypto import SecretUnreadable
from integrations.connectors import Connector as SourceConnector
from integrations.connectors import ConnectorError, Rejected, connector_for
from integrations.connectors.push import Push, parse_push
from integrations.ingest import quarantine, tickets_ingest, tickets_mark_missing
from integrations.linking import rules_for
from integrations.models import Connector, QuarantinedRecord, Ticket, WebhookDelivery
from integrations.storable import storable_text
from integrations.sync import connector_config

log = logging.getLogger(__name__)

# GitHub sends X-Hub-Signature-256 and a legacy SHA-1 X-Hub-Signature: the first is read.
SIGNATURE_HEADERS = ("X-Hub-Signature-256", "X-Hub-Signature", "X-Cataligent-Signature")
# PagerDuty webhooks v3 (integrations/connectors/pagerduty.py [4]).
PAGERDUTY_SIGNATURE = "X-PagerDuty-Signature"
# GitLab's secret token, sent as is (integrations/connectors/gitlab.py).
GITLAB_TOKEN = "X-Gitlab-Token"
# Zendesk webhooks (integrations/connectors/zendesk.py [8]).
ZENDESK_SIGNATURE = "X-Zendesk-Webhook-Signature"
ZENDESK_TIMESTAMP = "X-Zendesk-Webhook-Signature-Timestamp"
DELIVERY_HEADERS = (
    "X-Atlassian-Webhook-Identifier",
    "X-GitHub-Delivery",
    "Idempotency-Key",  # GitLab 17.4+: the same on every retry of one event
    "X-Gitlab-Event-UUID",
    "X-Zendesk-Webhook-Invocation-Id",
    "X-Delivery-Id",
    "X-Request-Id",
)
# A push carries one ticket. Below Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), so this
# is the limit that answers (413, with the reason).
MAX_BODY = 2 * 1024 * 1024


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


def pagerduty_signature_valid(secret: str, body: bytes, header: str) -> bool:
    """``v1=<hex>`` signatures, comma-separated while PagerDuty rotates the secret: one
    matching is enough."""
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    for signature in header.split(","):
        version, _, digest = signature.strip().partition("=")
        digest = digest.strip().lower()
        if version == "v1" and digest.isascii() and hmac.compare_digest(expected, digest):
            return True
    return False


def gitlab_token_valid(secret: str, header: str) -> bool:
    """GitLab's ``X-Gitlab-Token`` is the shared secret itself: compared in constant time
    as bytes (compare_digest refuses non-ASCII text). The header as it came: WSGI hands it
    over decoded as Latin-1, so a token of UTF-8 bytes is recovered by encoding it back."""
    try:
        sent = header.encode("latin-1")
    except UnicodeEncodeError:  # no byte string a server could have received
        return False
    return hmac.compare_digest(secret.encode(), sent)


def zendesk_signature_valid(secret: str, body: bytes, signature: str, timestamp: str) -> bool:
    """``base64(HMAC-SHA256(secret, timestamp + body))``; no timestamp, no match."""
    signature = signature.strip()
    if not timestamp or not signature or not signature.isascii():
        return False
    # The header as it came (HTTP headers are Latin-1 on the wire, as Django reads them).
    signed = timestamp.encode("latin-1", errors="replace") + body
    expected = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest())
    return hmac.compare_digest(expected.decode(), signature)


def _signed(secret: str, body: bytes, headers: Mapping[str, str], *, kind: str) -> bool:
    if kind == "gitlab" and GITLAB_TOKEN in headers:
        # Only for a GitLab connector: the others keep the stronger signed body.
        return gitlab_token_valid(secret, headers[GITLAB_TOKEN])
    if ZENDESK_SIGNATURE in headers:
        return zendesk_signature_valid(
            secret, body, headers[ZENDESK_SIGNATURE], headers.get(ZENDESK_TIMESTAMP, "")
        )
    if PAGERDUTY_SIGNATURE in headers:
        return pagerduty_signature_valid(secret, body, headers[PAGERDUTY_SIGNATURE])
    header = next((headers[h] for h in SIGNATURE_HEADERS if h in headers), "")
    return signature_valid(secret, body, header)


def _is_json(content_type: str) -> bool:
    """application/json or a JSON-based type (application/vnd.x+json); none given is read
    as JSON too, as some tools send it so."""
    media_type = content_type.partition(";")[0].strip().lower()
    return media_type in ("", "application/json") or media_type.endswith("+json")


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
    if not _signed(secret, body, request.headers, kind=connector.kind):
        log.warning("webhook for %s refused: missing or wrong signature", slug)
        return _error(
            401,
            "Missing or wrong signature (HMAC-SHA256 of the body, 'sha256=<hex>', "
            "PagerDuty's 'v1=<hex>', Zendesk's base64 of the timestamp and body, or GitLab's "
            "X-Gitlab-Token).",
        )
    try:
        # UTF-8 only (RFC 8259 §8.1): json.loads would also guess UTF-16 and UTF-32.
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return _error(400, f"The body is not JSON in UTF-8: byte {exc.start} is not UTF-8.")
    except json.JSONDecodeError as exc:
        return _error(400, f"The body is not JSON: {exc}.")
    except RecursionError:
        # json gives up near ~1,000 levels; keep what was sent so an admin can see it.
        return _unreadable(connector, body, "the JSON is nested too deeply to read")
    except ValueError as exc:
        # Valid JSON Python will not read: an integer of more than 4,300 digits.
        limit = str(exc).partition(":")[0]
        return _unreadable(connector, body, f"the JSON holds a number too long to read ({limit})")
    delivery = next((request.headers[h] for h in DELIVERY_HEADERS if h in request.headers), "")

    with transaction.atomic():
        if delivery and not _first_delivery(connector, delivery):
            return JsonResponse({"status": "duplicate delivery, already applied"})
        source = _source(connector)
        try:
            push = parse_push(data, connector=source)
        finally:
            if source is not None:
                source.close()
        return _apply(connector, push)


def _unreadable(connector: Connector, body: bytes, problem: str) -> JsonResponse:
    """A 400 for JSON that is valid but cannot be read, the body kept for an admin."""
    QuarantinedRecord.objects.create(
        connector=connector,
        reason=f"webhook: {problem}",
        raw_text=storable_text(body.decode("utf-8", errors="replace")),
    )
    return _error(400, f"{problem[0].upper()}{problem[1:]}. It was kept in quarantine.")


def _first_delivery(connector: Connector, delivery: str) -> bool:
    try:
        with transaction.atomic():
            WebhookDelivery.objects.create(connector=connector, delivery_id=delivery[:200])
    except IntegrityError:
        return False
    return True


def _source(connector: Connector) -> SourceConnector | None:
    """The connector's tool, to read its push shape; None when it cannot be built (then only
    the generic shape is read)."""
    try:
        return connector_for(connector_config(connector))
    except ConnectorError:
        return None


def _apply(connector: Connector, push: Push) -> JsonResponse:
    """The ingest step the sync uses (integrations/ingest.py), for one pushed ticket."""
    reason = f"webhook from {connector.slug}"
    if push.ignored is not None:
        return JsonResponse({"status": "ignored", "detail": push.ignored})
    if push.deleted_id is not None:
        count = tickets_mark_missing(
            connector=connector,
            tickets=Ticket.objects.filter(
                connector=connector, external_id=storable_text(push.deleted_id)
            ),
            reason=f"{reason}: ticket deleted",
        )
        return JsonResponse({"status": "deleted", "tickets": count})
    ticket = push.ticket
    if isinstance(ticket, Rejected) or ticket is None:
        rejected = ticket or Rejected(external_id=None, reason="nothing to apply", raw=None)
        quarantine(connector, [rejected], reason_prefix="webhook: ")
        return _error(
            400, f"Cannot read this ticket: {rejected.reason}. It was kept in quarantine."
        )
    ingested = tickets_ingest(
        connector=connector, tickets=[ticket], rules=rules_for(connector), reason=reason
    )
    log.info("webhook from %s: %s %s", connector.slug, ticket.key, ingested.status)
    return JsonResponse({"status": ingested.status, "key": ticket.key})
