"""Attach tickets to nodes and objectives: link rules, and objective keys named in a ticket.

Links made here (`via` rule or reference) follow the ticket: when it changes so that
a rule no longer matches, the link goes. Links made by hand are never touched.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from integrations.models import Connector, LinkRule, LinkVia, Ticket, TicketLink
from integrations.title_patterns import BadPattern, TitlePattern
from objectives.models import Objective

log = logging.getLogger(__name__)

# An objective key as DESIGN §3 writes it: OBJ-12.
KEY_PATTERN = re.compile(r"\b([A-Z][A-Z0-9]*-[0-9]+)\b")


@dataclass(frozen=True)
class TicketFacts:
    """The ticket fields rules look at."""

    pk: int
    key: str
    title: str
    ci: str
    assignment_group: str
    components: tuple[str, ...]
    labels: tuple[str, ...]


@dataclass(frozen=True)
class CompiledRule:
    pk: int
    field: str
    pattern: str
    regex: TitlePattern | None
    node_id: int | None
    objective_id: int | None

    @classmethod
    def of(cls, rule: LinkRule) -> CompiledRule:
        """Raises BadPattern for a title pattern RE2 cannot compile."""
        regex = TitlePattern(rule.pattern) if rule.field == "title" else None
        return cls(
            rule.pk, rule.field, rule.pattern.casefold(), regex, rule.node_id, rule.objective_id
        )

    def matches(self, ticket: TicketFacts) -> bool:
        if self.regex is not None:
            return self.regex.matches(ticket.title)
        values: Iterable[str] = {
            "ci": (ticket.ci,),
            "assignment_group": (ticket.assignment_group,),
            "component": ticket.components,
            "label": ticket.labels,
        }[self.field]
        return any(value.casefold() == self.pattern for value in values if value)


def rules_for(connector: Connector | None) -> list[CompiledRule]:
    rules = LinkRule.objects.filter(enabled=True)
    rules = rules.filter(Q(connector__isnull=True) | Q(connector=connector)) if connector else rules
    compiled = []
    for rule in rules:
        try:
            compiled.append(CompiledRule.of(rule))
        except BadPattern as exc:
            # Saved before patterns were checked with RE2: it links nothing until an admin
            # fixes it, rather than failing every sync.
            log.error("link rule %s is skipped: %s", rule.pk, exc)
    return compiled


def referenced_keys(ticket: TicketFacts, known: dict[str, int]) -> set[int]:
    """Objectives whose key the ticket names in its title, labels or components."""
    text = " ".join([ticket.title, *ticket.labels, *ticket.components])
    return {known[key] for key in KEY_PATTERN.findall(text) if key in known and key != ticket.key}


@dataclass
class LinkChanges:
    added: int = 0
    removed: int = 0
    node_ids: set[int] | None = None  # nodes whose linked tickets changed
    # Some of the tickets are linked to a node (before or after): their change moves it.
    linked_to_nodes: bool = False
    # Those nodes: linked to the tickets before or after (their intrinsic state may move).
    affected_node_ids: set[int] = field(default_factory=set)

    @property
    def nodes_touched(self) -> bool:
        return bool(self.node_ids)


def link_tickets(
    ticket_ids: Iterable[int],
    *,
    connector: Connector | None,
    rules: list[CompiledRule],
    facts: Sequence[TicketFacts] | None = None,
    created: Collection[int] = (),
) -> LinkChanges:
    """Bring the rule and reference links of these tickets up to date (bounded queries).

    What the caller knows saves queries: ``facts``, the stored values of exactly these
    tickets (the upsert knows what it just wrote), and ``created``, those of them inserted
    in the caller's transaction, which no link can point at yet.
    """
    ids = list(ticket_ids)
    changes = LinkChanges(node_ids=set())
    if not ids:
        return changes
    known = dict(Objective.objects.values_list("key", "id"))
    if facts is None:
        facts = [
            TicketFacts(pk, key, title, ci, group, tuple(components or ()), tuple(labels or ()))
            for pk, key, title, ci, group, components, labels in Ticket.objects.filter(
                pk__in=ids
            ).values_list("id", "key", "title", "ci", "assignment_group", "components", "labels")
        ]
    wanted: dict[tuple[int, int | None, int | None], tuple[str, int | None]] = {}
    for ticket in facts:
        for rule in rules:
            if rule.matches(ticket):
                wanted.setdefault(
                    (ticket.pk, rule.node_id, rule.objective_id), (LinkVia.RULE, rule.pk)
                )
        for objective_id in referenced_keys(ticket, known):
            wanted.setdefault((ticket.pk, None, objective_id), (LinkVia.REFERENCE, None))

    new_tickets = set(created)
    may_have_links = [pk for pk in ids if pk not in new_tickets]
    existing = (
        {
            (ticket_id, node_id, objective_id): (pk, via)
            for pk, ticket_id, node_id, objective_id, via in TicketLink.objects.filter(
                ticket_id__in=may_have_links
            ).values_list("id", "ticket_id", "node_id", "objective_id", "via")
        }
        if may_have_links
        else {}
    )
    changes.affected_node_ids = {target[1] for target in existing if target[1] is not None}
    changes.linked_to_nodes = bool(changes.affected_node_ids)
    stale = [
        (pk, target)
        for target, (pk, via) in existing.items()
        if via != LinkVia.MANUAL and target not in wanted
    ]
    if stale:
        TicketLink.objects.filter(pk__in=[pk for pk, _ in stale]).delete()
        changes.removed = len(stale)
        changes.node_ids.update(target[1] for _, target in stale if target[1] is not None)
    new = [
        TicketLink(ticket_id=t, node_id=n, objective_id=o, via=via, rule_id=rule)
        for (t, n, o), (via, rule) in wanted.items()
        if (t, n, o) not in existing
    ]
    TicketLink.objects.bulk_create(new, batch_size=2000)
    changes.added = len(new)
    changes.node_ids.update(link.node_id for link in new if link.node_id is not None)
    changes.affected_node_ids |= changes.node_ids
    changes.linked_to_nodes = changes.linked_to_nodes or changes.nodes_touched
    return changes


def tickets_matching(
    tickets: QuerySet[Ticket], *, field: str, pattern: str, limit: int
) -> list[Ticket]:
    """The first `limit` of `tickets` (in their order) a rule on `field` ~ `pattern` would link.

    Lets an admin see what a rule does before saving it. Raises BadPattern.
    """
    rule = CompiledRule.of(LinkRule(field=field, pattern=pattern))
    matched: list[Ticket] = []
    for ticket in tickets.iterator(chunk_size=2000):
        facts = TicketFacts(
            ticket.pk,
            ticket.key,
            ticket.title,
            ticket.ci,
            ticket.assignment_group,
            tuple(ticket.components or ()),
            tuple(ticket.labels or ()),
        )
        if rule.matches(facts):
            matched.append(ticket)
            if len(matched) == limit:
                break
    return matched
