"""Default CPV families known to carry insertion clauses (the admin edits the list), and the
three social considerations of contracts imported before they were separate facts."""

from django.db import migrations

FAMILLES = [
    ("45", "Travaux de construction"),
    ("4521", "Bâtiment"),
    ("4523", "Travaux publics, voirie et réseaux"),
    ("50", "Réparation et entretien"),
    ("55", "Restauration collective"),
    ("7731", "Espaces verts"),
    ("9050", "Collecte et traitement des déchets"),
    ("9051", "Déchets"),
    ("909", "Nettoyage"),
    ("98341", "Gardiennage"),
]


def creer(apps, schema_editor):
    FamilleCPV = apps.get_model("marches", "FamilleCPV")
    for prefixe, libelle in FAMILLES:
        FamilleCPV.objects.get_or_create(prefixe=prefixe, defaults={"libelle": libelle})
    Marche = apps.get_model("marches", "Marche")
    for marche in Marche.objects.exclude(considerations_sociales=[]):
        textes = " ".join(marche.considerations_sociales).lower()
        marche.clause_sociale = "clause sociale" in textes
        marche.critere_social = "critère social" in textes or "critere social" in textes
        marche.marche_reserve = "réservé" in textes or "reserve" in textes
        marche.save(update_fields=["clause_sociale", "critere_social", "marche_reserve"])


class Migration(migrations.Migration):
    dependencies = [("marches", "0007_reperage_marches")]
    operations = [migrations.RunPython(creer, migrations.RunPython.noop)]
