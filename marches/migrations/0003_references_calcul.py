"""Default inputs of the hours calculator (see marches/references.py)."""

from django.db import migrations


def charger(apps, schema_editor):
    from marches.references import charger_references_calcul

    charger_references_calcul(apps)


class Migration(migrations.Migration):
    dependencies = [("marches", "0002_initial")]
    operations = [migrations.RunPython(charger, migrations.RunPython.noop)]
