"""The grouped map's counts by team, stored with each version of the results (issue 17, part 4).

Why: at 250,000 nodes the first map request after a change grouped the 1,245,930 edges by
the teams of their two nodes (0.6 s of SQL, more under load). The recompute now counts them
in the transaction that stores the results (incrementally, from the edges of the nodes that
changed) and the map reads the counts. Reversible: the table is only derived data.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dependencies", "0013_shape_changes"),
    ]

    operations = [
        migrations.CreateModel(
            name="TeamCounts",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("version", models.PositiveBigIntegerField()),
                ("structure", models.PositiveBigIntegerField()),
                ("marker", models.PositiveBigIntegerField()),
                ("states", models.JSONField(default=list)),
                ("links", models.JSONField(default=list)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("version", "structure", "marker"), name="team_counts_unique"
                    )
                ],
            },
        ),
    ]
