"""The demo's run costs (DESIGN §5): a year of monthly costs for the story's technical nodes.

Called by `seed_demo`; idempotent (it upserts on node+month+category like `import_costs`).
Amounts are believable for a mid-sized bank: the core banking platform and its database cost
the most, cloud infrastructure next, vendors by contract. A node of the story that is missing
(the story evolves) is skipped, not invented.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from dependencies.models import Node
from reports.costs import CostRow, costs_import
from reports.prorata import first_of_month

# slug -> [(category, monthly amount in CURRENCY)]
MONTHLY: dict[str, list[tuple[str, int]]] = {
    "core-ledger": [("application", 95_000), ("platform", 30_000)],
    "core-banking-db": [("storage", 42_000), ("data_center", 28_000)],
    "core-banking-db-replica": [("storage", 21_000)],
    "core-banking-lending-api": [("application", 9_500)],
    "lending-app": [("application", 18_000), ("compute", 6_500)],
    "lending-backend": [("application", 14_000), ("compute", 7_000)],
    "credit-scoring": [("application", 11_000)],
    "credit-bureau-feed": [("delivery", 16_000)],
    "kyc-vendor": [("delivery", 12_500)],
    "payment-gateway": [("application", 26_000), ("network", 8_000)],
    "sepa-instant-link": [("network", 9_000)],
    "swift-link": [("network", 14_000)],
    "card-processor": [("delivery", 38_000)],
    "fraud-engine": [("application", 22_000), ("compute", 9_000)],
    "event-bus": [("platform", 12_000)],
    "data-warehouse": [("storage", 24_000), ("compute", 16_000)],
    "etl-pipelines": [("platform", 7_500)],
    "identity-provider": [("security_compliance", 13_000)],
    "api-gateway": [("network", 8_500)],
    "kubernetes-eu1": [("compute", 46_000)],
    "kubernetes-eu2": [("compute", 31_000)],
    "crm": [("application", 19_000)],
    "contact-centre": [("end_user", 27_000)],
    "mobile-app": [("application", 12_000)],
    "push-notifications": [("platform", 2_500)],
    "portfolio-engine": [("application", 15_000)],
    "market-data-feed": [("delivery", 21_000)],
    "document-service": [("application", 5_500)],
    "e-signature": [("delivery", 4_000)],
    "open-banking-gateway": [("application", 10_500)],
    "regulator-portal": [("it_management", 3_000)],
}


def seed_demo_costs(*, now: dt.datetime | None = None, months: int = 12) -> int:
    """Write the last `months` months of costs (this month included); returns the rows."""
    now = now or timezone.now()
    # The same amounts on every run: a re-seed changes nothing.
    rng = random.Random(20261207)
    node_ids = dict(Node.objects.filter(slug__in=MONTHLY).values_list("slug", "pk"))
    month = first_of_month(timezone.localtime(now).date())
    calendar = []
    for _ in range(months):
        calendar.append(month)
        month = first_of_month(month - dt.timedelta(days=1))
    rows = []
    for slug, lines in MONTHLY.items():
        if slug not in node_ids:
            continue
        for category, amount in lines:
            for age, first in enumerate(calendar):
                # A little growth over the year (older months cost less) and monthly noise.
                factor = Decimal(1 - 0.006 * age + rng.uniform(-0.04, 0.04))
                value = (Decimal(amount) * factor).quantize(Decimal("0.01"))
                rows.append(CostRow(0, node_ids[slug], first, value, category))
    costs_import(rows)
    return len(rows)
