"""The intrinsic states of the nodes the changes named, read in one query.

Read through the loader's queries this took three round trips (the notes, the blocking
links, the overrides); a ticket change's pass reads the same in one, the notes and
the blocking tickets as subqueries. Same rules: `impact.intrinsic_state`.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from dependencies import impact
from dependencies.models import IntrinsicChange, Node
from integrations.models import TicketLink

__all__ = ["noted_intrinsic_states"]


def noted_intrinsic_states(after: int, upto: int) -> dict[str, impact.State]:
    """By slug, the intrinsic state of each node noted by the requests in (after, upto]."""
    noted = IntrinsicChange.objects.filter(requested__gt=after, requested__lte=upto)
    blocking = TicketLink.objects.filter(node=OuterRef("pk"), ticket__is_blocking=True)
    rows = (
        Node.objects.filter(pk__in=noted.values("node_id"))
        .annotate(blocking=Exists(blocking))
        .values_list("slug", "manual_state", "blocking")
    )
    return {slug: impact.intrinsic_state(manual, has) for slug, manual, has in rows}
