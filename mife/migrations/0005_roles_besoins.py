"""Re-sync the roles: recruitment needs and proposals (facilitateur edits, suivi reads)."""

from django.db import migrations


def creer_roles(apps, schema_editor):
    from mife.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [("mife", "0003_roles_modeles_clause"), ("heures", "0004_besoins_propositions")]
    operations = [migrations.RunPython(creer_roles, migrations.RunPython.noop)]
