"""Writes to connectors, link rules and links; each audited with its actor."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from cataligent.audit import audit_changes, audit_created, audit_deleted, audited_update
from dependencies.graph.changes import impact_changed
from integrations.linking import link_tickets, rules_for
from integrations.models import Connector, LinkRule, Ticket, TicketLink

CONNECTOR_AUDITED = (
    "name",
    "kind",
    "base_url",
    "auth_type",
    "username",
    "query",
    "poll_interval",
    "enabled",
    "blocking_priority",
    "status_map",
    "priority_map",
    "blocker_labels",
    "options",
)
# What an admin sets on a connector; its sync's own columns (cursor, lease, run times) are
# never written from a caller's copy, which may be older than the sync's last page.
CONNECTOR_SETTINGS = (*CONNECTOR_AUDITED, "slug", "page_size")


@transaction.atomic
def connector_save(
    *,
    connector: Connector,
    changes: Mapping[str, Any],
    actor: Any,
    secret: str | None = None,
    webhook_secret: str | None = None,
    actor_label: str = "",
) -> Connector:
    """Create or update a connector; secrets are encrypted and audited only as "(changed)".

    An update goes through `audited_update` like every other service's: `changes` are the
    new values, and settings already set on `connector` (the edit form's instance) count as
    changes too, judged against what the database holds. ``connector`` ends up as stored."""

    def secrets_set(target: Connector) -> None:
        if secret is not None:
            target.set_secret(secret)
        if webhook_secret is not None:
            target.set_webhook_secret(webhook_secret)

    if connector.pk is None:
        for field, value in changes.items():
            setattr(connector, field, value)
        secrets_set(connector)
        connector.full_clean()
        connector.save()
        audit_created(connector, actor=actor, actor_label=actor_label)
        audit_changes(
            connector,
            {f: (None, getattr(connector, f)) for f in CONNECTOR_AUDITED},
            actor=actor,
            actor_label=actor_label,
        )
    else:
        stored = Connector.objects.get(pk=connector.pk)
        pending = {
            f: getattr(connector, f)
            for f in CONNECTOR_SETTINGS
            if getattr(connector, f) != getattr(stored, f)
        }
        audited_update(
            stored,
            pending | dict(changes),
            fields=CONNECTOR_AUDITED,
            actor=actor,
            actor_label=actor_label,
            before_save=lambda _before: secrets_set(stored),
        )
        connector.refresh_from_db()
    # Secrets cannot be compared without decrypting them: a new one is recorded as changed.
    audit_changes(
        connector,
        {
            name: (None, "(changed)")
            for name, value in (("secret", secret), ("webhook_secret", webhook_secret))
            if value is not None
        },
        actor=actor,
        actor_label=actor_label,
    )
    # Changed mapping settings (status or priority maps, blocking rules) need no reset
    # here: they are part of the cursor's scope, so the next sync reads everything again.
    return connector


@transaction.atomic
def connector_options_learned(
    *, connector: Connector, learned: Mapping[str, Any], actor: Any, actor_label: str = ""
) -> None:
    """Record on the connector what its source told about itself during a sync or a test
    (the pure connector's ``learned_options``). The row is read afresh under a lock: the
    sync's copy is stale (its cursor and lease are written by queries of their own)."""
    if not learned:
        return
    fresh = Connector.objects.select_for_update().get(pk=connector.pk)
    options = {**(fresh.options or {}), **learned}
    if options != fresh.options:
        audited_update(
            fresh, {"options": options}, fields=("options",), actor=actor, actor_label=actor_label
        )
    connector.options = options


@transaction.atomic
def connector_delete(*, connector: Connector, actor: Any, actor_label: str = "") -> None:
    audit_deleted(connector, actor=actor, actor_label=actor_label)
    linked = TicketLink.objects.filter(ticket__connector=connector, node__isnull=False).exists()
    connector.delete()
    if linked:
        impact_changed(reason=f"connector {connector.slug} deleted")


def _relink(*scopes: Connector | None) -> None:
    """Re-apply the link rules to the tickets of the connectors these rule scopes reach
    (None: every connector), each connector's tickets with that connector's own rules."""
    if any(scope is None for scope in scopes):
        connectors = list(Connector.objects.all())
    else:
        connectors = list({scope.pk: scope for scope in scopes if scope is not None}.values())
    for connector in connectors:
        rules = rules_for(connector)
        ids = list(Ticket.objects.filter(connector=connector).values_list("id", flat=True))
        for start in range(0, len(ids), 5000):
            changes = link_tickets(ids[start : start + 5000], connector=connector, rules=rules)
            if changes.nodes_touched:
                impact_changed(nodes=changes.node_ids, reason="link rules changed")


@transaction.atomic
def link_rule_save(
    *, rule: LinkRule, changes: Mapping[str, Any], actor: Any, actor_label: str = ""
) -> LinkRule:
    """Create or update a rule, then re-apply the rules to the tickets it can reach."""
    creating = rule.pk is None
    before = None if creating else str(rule)
    scope_before = None if creating else rule.connector  # a rule moved between connectors
    for field, value in changes.items():
        setattr(rule, field, value)
    rule.full_clean()
    rule.save()
    if creating:
        audit_created(rule, actor=actor, actor_label=actor_label)
    else:
        audit_changes(rule, {"rule": (before, str(rule))}, actor=actor, actor_label=actor_label)
    _relink(rule.connector, *(() if creating else (scope_before,)))
    return rule


@transaction.atomic
def link_rule_delete(*, rule: LinkRule, actor: Any, actor_label: str = "") -> None:
    audit_deleted(rule, actor=actor, actor_label=actor_label)
    connector = rule.connector
    rule.delete()
    _relink(connector)


@transaction.atomic
def ticket_link_create(
    *, ticket: Ticket, node: Any = None, objective: Any = None, actor: Any
) -> TicketLink:
    link = TicketLink(ticket=ticket, node=node, objective=objective, via="manual", created_by=actor)
    link.full_clean()
    link.save()
    target = node or objective
    audit_changes(target, {"tickets": (None, ticket.key)}, actor=actor, actor_label="")
    if node is not None:
        impact_changed(nodes=[node.pk], reason=f"ticket {ticket.key} linked to {node.slug}")
    return link


@transaction.atomic
def ticket_link_delete(*, link: TicketLink, actor: Any) -> None:
    target = link.node or link.objective
    audit_changes(target, {"tickets": (link.ticket.key, None)}, actor=actor)
    node = link.node
    link.delete()
    if node is not None:
        impact_changed(
            nodes=[node.pk], reason=f"ticket {link.ticket.key} unlinked from {node.slug}"
        )
