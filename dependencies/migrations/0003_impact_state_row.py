from django.db import migrations


def create_row(apps, schema_editor):
    apps.get_model("dependencies", "ImpactState").objects.get_or_create(id=1)


class Migration(migrations.Migration):
    dependencies = [("dependencies", "0002_impact_state")]

    operations = [migrations.RunPython(create_row, migrations.RunPython.noop)]
