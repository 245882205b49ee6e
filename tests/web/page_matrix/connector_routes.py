"""The page permission matrix: the connector pages: admins only, reading as well as writing."""

from __future__ import annotations

from integrations.models import Connector, LinkRule, SyncRun
from tests.web.page_matrix.world import (
    ADMINS,
    CONNECTOR_FORM,
    POST_ONLY,
    Route,
    Write,
    connector_kwargs,
    no_kwargs,
)

CONNECTOR_ROUTES: dict[str, Route] = {
    # Connectors: admins only, reading as well as writing.
    "connector-list": Route(no_kwargs, ADMINS, no_writes="read-only"),
    "connector-detail": Route(connector_kwargs, ADMINS, no_writes="read-only"),
    "connector-runs": Route(connector_kwargs, ADMINS, no_writes="read-only"),
    "link-rule-preview": Route(connector_kwargs, ADMINS, no_writes="read-only"),
    # Without `since` an admin is told what is missing (400); nobody else gets that far.
    "connector-sync-status": Route(
        connector_kwargs, {**ADMINS, "admin": 400}, no_writes="read-only"
    ),
    "connector-new": Route(
        no_kwargs,
        ADMINS,
        writes={
            "create": Write(
                data=lambda w: CONNECTOR_FORM,
                allowed={"admin"},
                snapshot=lambda w: list(Connector.objects.values_list("slug", flat=True)),
            )
        },
    ),
    "connector-edit": Route(
        connector_kwargs,
        ADMINS,
        writes={
            "rename": Write(
                data=lambda w: {**CONNECTOR_FORM, "slug": "snow", "name": "Renamed"},
                allowed={"admin"},
                snapshot=lambda w: list(Connector.objects.values_list("slug", "name")),
            )
        },
    ),
    "connector-test": Route(
        connector_kwargs,
        POST_ONLY,
        writes={
            "test the connection": Write(
                data=lambda w: {},
                allowed={"admin"},
                snapshot=lambda w: None,
                writes=False,
            )
        },
    ),
    "connector-sync": Route(
        connector_kwargs,
        POST_ONLY,
        writes={
            "sync now": Write(
                data=lambda w: {"full": "1"},
                allowed={"admin"},
                snapshot=lambda w: SyncRun.objects.count(),
                writes=False,  # queued (eagerly run in tests); the disabled connector skips
            )
        },
    ),
    "link-rule-create": Route(
        connector_kwargs,
        POST_ONLY,
        writes={
            "a rule onto team B's node": Write(
                data=lambda w: {"field": "ci", "pattern": "pay", "node": w.node_b.slug},
                allowed={"admin"},
                snapshot=lambda w: list(LinkRule.objects.values_list("pk", "node_id")),
            ),
            "a rule onto team A's node": Write(
                data=lambda w: {"field": "label", "pattern": "ledger", "node": w.node_a.slug},
                allowed={"admin"},
                snapshot=lambda w: list(LinkRule.objects.values_list("pk", "node_id")),
            ),
        },
    ),
    "link-rule-delete": Route(
        lambda w: {"slug": w.connector.slug, "pk": w.rule.pk},
        ADMINS,  # GET asks for confirmation
        writes={
            "delete": Write(
                data=lambda w: {},
                allowed={"admin"},
                snapshot=lambda w: LinkRule.objects.filter(pk=w.rule.pk).exists(),
            )
        },
    ),
}
