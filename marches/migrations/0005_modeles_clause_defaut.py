"""Default model texts of the clause annex (see marches/modeles_clause.py)."""

from django.db import migrations


def charger(apps, schema_editor):
    from marches.modeles_clause import charger_modeles_clause

    charger_modeles_clause(apps)


class Migration(migrations.Migration):
    dependencies = [("marches", "0004_modele_clause")]
    operations = [migrations.RunPython(charger, migrations.RunPython.noop)]
