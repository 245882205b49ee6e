"""The bottleneck ranking moves from one JSON column to a row per entry (issue 17, part 2).

Why: at 250,000 nodes the ranking is 2,092 entries, 455 KB of JSON on the ImpactState row,
and most ticket changes move a few entries of it: rewriting the whole document was a large
part of an incremental recompute's I/O. A row per root cause lets the writer insert, update
and delete only the entries that changed. No order is stored (a rank column would shift on
every change): readers sort by value at risk, then objectives, then slug, as the engine does.
Reversible: the reverse writes the rows back into the JSON column, in rank order.
"""

from decimal import Decimal

from django.db import migrations, models


def _rank(entry):  # type: ignore[no-untyped-def]
    return (-Decimal(entry["value_at_risk"]), -len(entry["objectives"]), entry["node"])


def json_to_rows(apps, schema_editor):  # type: ignore[no-untyped-def]
    state = apps.get_model("dependencies", "ImpactState").objects.filter(pk=1).first()
    if state is None:
        return
    rows = apps.get_model("dependencies", "StoredBottleneck")
    rows.objects.bulk_create(
        rows(
            node=b["node"],
            capabilities=b["capabilities"],
            objectives=b["objectives"],
            value_at_risk=Decimal(b["value_at_risk"]),
        )
        for b in state.bottlenecks or []
    )


def rows_to_json(apps, schema_editor):  # type: ignore[no-untyped-def]
    rows = apps.get_model("dependencies", "StoredBottleneck").objects.all()
    ranking = sorted(
        (
            {
                "node": b.node,
                "capabilities": b.capabilities,
                "objectives": b.objectives,
                "value_at_risk": str(b.value_at_risk),
            }
            for b in rows
        ),
        key=_rank,
    )
    apps.get_model("dependencies", "ImpactState").objects.filter(pk=1).update(bottlenecks=ranking)


class Migration(migrations.Migration):
    dependencies = [("dependencies", "0011_node_fewer_indexes")]

    operations = [
        migrations.CreateModel(
            name="StoredBottleneck",
            fields=[
                ("node", models.CharField(max_length=200, primary_key=True, serialize=False)),
                ("capabilities", models.JSONField(default=list)),
                ("objectives", models.JSONField(default=list)),
                ("value_at_risk", models.DecimalField(decimal_places=2, max_digits=16)),
            ],
        ),
        migrations.RunPython(json_to_rows, rows_to_json),
        migrations.RemoveField(model_name="impactstate", name="bottlenecks"),
    ]
