"""Fewer indexes on dependencies_node, and room on its pages for HOT updates (issue 17, part 2).

Why: a recompute rewrites the computed columns (state, intrinsic state, root causes, blocked
since) of every node whose result moved: 144,000 rows on a first run at 250,000 nodes, hundreds
per ticket change. An update that changes an indexed column adds an entry to every index of the
table, and `dependencies_node` had twelve. Dropped here, each serving no query:
- `(state)`: the first column of `node_state_name_idx` serves `state = …` as well;
- `(kind, state)`: replaced by `(state) WHERE kind = 'capability'`, the only kind filtered with
  a state (the map's tables, reports); a technical node's update adds nothing to it;
- `manual_set_by_id`: nothing filters on it; deleting a user scans for it once;
- the `varchar_pattern_ops` copies Django adds for `slug` and `external_ref` (for LIKE 'x%'):
  the searches use `icontains`, which no b-tree serves, and lookups are by equality.
`fillfactor = 80` leaves a fifth of each page free, so that an update which changes no indexed
column (root causes or blocked-since only) can stay on its page and touch no index (a HOT
update). It applies to pages written from now on; VACUUM FULL applies it to an existing table.
Reversible: the reverse restores every index and the default fillfactor.
"""

from django.conf import settings
from django.db import migrations, models

LIKE_INDEXES = (
    ("dependencies_node_slug_c73d74d3_like", "slug"),
    ("dependencies_node_external_ref_f571996c_like", "external_ref"),
)


def _postgresql(schema_editor) -> bool:  # type: ignore[no-untyped-def]
    return schema_editor.connection.vendor == "postgresql"


def drop_like_indexes_and_set_fillfactor(apps, schema_editor):  # type: ignore[no-untyped-def]
    if not _postgresql(schema_editor):
        return
    for name, _column in LIKE_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
    schema_editor.execute('ALTER TABLE "dependencies_node" SET (fillfactor = 80)')


def restore_like_indexes_and_fillfactor(apps, schema_editor):  # type: ignore[no-untyped-def]
    if not _postgresql(schema_editor):
        return
    for name, column in LIKE_INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" '
            f'ON "dependencies_node" ("{column}" varchar_pattern_ops)'
        )
    schema_editor.execute('ALTER TABLE "dependencies_node" RESET (fillfactor)')


class Migration(migrations.Migration):
    dependencies = [
        ("cataligent", "0007_team_assignment_groups"),
        ("dependencies", "0010_notification_digest"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(model_name="node", name="dependencie_state_b7f41b_idx"),
        migrations.RemoveIndex(model_name="node", name="dependencie_kind_025b06_idx"),
        migrations.AlterField(
            model_name="node",
            name="manual_set_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="node",
            index=models.Index(
                condition=models.Q(("kind", "capability")),
                fields=["state"],
                name="node_capability_state_idx",
            ),
        ),
        migrations.RunPython(
            drop_like_indexes_and_set_fillfactor, restore_like_indexes_and_fillfactor
        ),
    ]
