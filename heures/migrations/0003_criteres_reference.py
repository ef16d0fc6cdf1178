"""Reference list of eligibility criteria (see heures/references.py)."""

from django.db import migrations


def charger(apps, schema_editor):
    from heures.references import charger_criteres

    charger_criteres(apps)


class Migration(migrations.Migration):
    dependencies = [("heures", "0002_initial")]
    operations = [migrations.RunPython(charger, migrations.RunPython.noop)]
