"""Re-sync the roles: exchanges with companies (facilitateur logs them, the others read)."""

from django.db import migrations


def creer_roles(apps, schema_editor):
    from mife.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    # Also after 0005_roles_besoins (written at the same time) so that the graph stays linear.
    dependencies = [
        ("mife", "0003_roles_modeles_clause"),
        ("mife", "0005_roles_besoins"),
        ("marches", "0006_echange"),
    ]
    operations = [migrations.RunPython(creer_roles, migrations.RunPython.noop)]
