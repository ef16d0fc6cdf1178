"""Default inputs of the hours calculator per contract kind (REFERENCE.md); admin-editable.

Loaded by a data migration and re-applied after each ``migrate`` (existing rows are kept).
"""

from decimal import Decimal

VALEURS = {
    # nature: (part de main-d'œuvre %, taux d'insertion %, coût horaire chargé €)
    "travaux": (Decimal("50"), Decimal("5"), Decimal("30")),
    "services": (Decimal("60"), Decimal("5"), Decimal("28")),
    "fournitures": (Decimal("20"), Decimal("5"), Decimal("28")),
}


def charger_references_calcul(apps) -> None:
    ReferenceCalcul = apps.get_model("marches", "ReferenceCalcul")
    for nature, (part, taux, cout) in VALEURS.items():
        ReferenceCalcul.objects.get_or_create(
            nature=nature,
            defaults={"part_main_oeuvre": part, "taux_insertion": taux, "cout_horaire": cout},
        )
