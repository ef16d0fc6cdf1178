"""The five roles as groups with their permissions, and the settings row."""

from django.db import migrations


def creer_roles(apps, schema_editor):
    from mife.roles import sync_roles

    sync_roles(apps)


def creer_parametres(apps, schema_editor):
    Parametres = apps.get_model("mife", "Parametres")
    Parametres.objects.get_or_create(
        pk=1,
        defaults={
            "nom_structure": "MIFE du Territoire de Belfort",
            "adresse": "Maison de l'Information, de la Formation et de l'Emploi\n90000 Belfort",
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("mife", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("marches", "0003_references_calcul"),
        ("entreprises", "0002_initial"),
        ("heures", "0003_criteres_reference"),
        ("label", "0002_initial"),
        ("axes", "0001_initial"),
        ("django_tasks_database", "0001_initial"),
    ]
    operations = [
        migrations.RunPython(creer_roles, migrations.RunPython.noop),
        migrations.RunPython(creer_parametres, migrations.RunPython.noop),
    ]
