"""Re-sync the roles: reference values and clause models are the administrator's."""

from django.db import migrations


def creer_roles(apps, schema_editor):
    from mife.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [("mife", "0002_roles_et_parametres"), ("marches", "0005_modeles_clause_defaut")]
    operations = [migrations.RunPython(creer_roles, migrations.RunPython.noop)]
