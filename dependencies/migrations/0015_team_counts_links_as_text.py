"""The map's links between teams kept as JSON text, stored uncompressed (issue 17).

Why: each version of the results writes its `TeamCounts` row whole. With 200 teams linked
every which way that is 40,000 small arrays, which PostgreSQL parsed into `jsonb` and
compressed on every ticket change (40 ms of a 100 ms pass); as plain text stored
`EXTERNAL` (out of line, uncompressed) the write takes under 5 ms. Nothing queries inside
the value. Reversible: text casts back to jsonb, and the storage setting goes with it.
"""

from django.db import migrations

import cataligent.modeling


def _uncompressed(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE dependencies_teamcounts ALTER COLUMN links SET STORAGE EXTERNAL"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("dependencies", "0014_team_counts"),
    ]

    operations = [
        migrations.AlterField(
            model_name="teamcounts",
            name="links",
            field=cataligent.modeling.JSONText(default=list),
        ),
        migrations.RunPython(_uncompressed, migrations.RunPython.noop),
    ]
