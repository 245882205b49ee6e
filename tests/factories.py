"""Factories for the domain models (factory_boy)."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from cataligent.models import Team
from dependencies.models import Edge, EscalationLevel, EscalationPolicy, Node
from objectives.models import Objective, Period


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pw")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        for name in extracted or ():
            # get_or_create: transactional tests flush the groups the data migration made.
            self.groups.add(Group.objects.get_or_create(name=name)[0])


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class EscalationPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EscalationPolicy

    name = factory.Sequence(lambda n: f"Policy {n}")


class EscalationLevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EscalationLevel

    policy = factory.SubFactory(EscalationPolicyFactory)
    position = 1
    after_minutes = 30
    notify_role = "leadership"


class NodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Node

    slug = factory.Sequence(lambda n: f"node-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())
    kind = "service"


class EdgeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Edge

    source = factory.SubFactory(NodeFactory)
    target = factory.SubFactory(NodeFactory)


class PeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Period
        django_get_or_create = ("name",)

    name = "2026-Q4"
    start = "2026-10-01"
    end = "2026-12-31"


class ObjectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Objective

    title = factory.Sequence(lambda n: f"Objective {n}")
    value_at_stake = 1000


class ConnectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "integrations.Connector"
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"source-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.title())
    kind = "servicenow"
    base_url = "http://127.0.0.1:9/"


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "integrations.Ticket"

    connector = factory.SubFactory(ConnectorFactory)
    external_id = factory.Sequence(lambda n: f"sys-{n}")
    key = factory.Sequence(lambda n: f"INC{n:07d}")
    title = "Something is broken"
    status_category = "open"
    priority = 1
    is_blocking = True
    updated_at = factory.LazyFunction(timezone.now)


def link_ticket(node, **ticket_fields):  # type: ignore[no-untyped-def]
    """A ticket linked to `node` by hand (blocking unless told otherwise)."""
    from integrations.models import TicketLink

    ticket = TicketFactory(**ticket_fields)
    TicketLink.objects.create(ticket=ticket, node=node, via="manual")
    return ticket
