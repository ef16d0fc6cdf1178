"""Re-sync the roles: reminders (relances) and monthly attestation batches."""

from django.db import migrations


def creer_roles(apps, schema_editor):
    from mife.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("mife", "0004_roles_echange"),
        ("heures", "0006_relances_et_generations"),
    ]
    operations = [migrations.RunPython(creer_roles, migrations.RunPython.noop)]
