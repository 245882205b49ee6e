"""Create the role groups of DESIGN §2 with exactly these names."""

from django.db import migrations

ROLES = ["leadership", "team_lead", "admin"]


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("cataligent", "0002_initial"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
