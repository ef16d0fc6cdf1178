"""Default inputs of the hours calculator per contract kind (REFERENCE.md); admin-editable."""

from decimal import Decimal

from django.db import migrations

VALEURS = {
    # nature: (part de main-d'œuvre %, taux d'insertion %, coût horaire chargé €)
    "travaux": (Decimal("50"), Decimal("5"), Decimal("30")),
    "services": (Decimal("60"), Decimal("5"), Decimal("28")),
    "fournitures": (Decimal("20"), Decimal("5"), Decimal("28")),
}


def charger(apps, schema_editor):
    ReferenceCalcul = apps.get_model("marches", "ReferenceCalcul")
    for nature, (part, taux, cout) in VALEURS.items():
        ReferenceCalcul.objects.get_or_create(
            nature=nature,
            defaults={"part_main_oeuvre": part, "taux_insertion": taux, "cout_horaire": cout},
        )


class Migration(migrations.Migration):
    dependencies = [("marches", "0002_initial")]
    operations = [migrations.RunPython(charger, migrations.RunPython.noop)]
