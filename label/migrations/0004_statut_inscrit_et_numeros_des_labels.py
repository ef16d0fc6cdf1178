"""Existing data: « présenté en jury » becomes « inscrit à une session »; labels already
awarded get their number and verification code."""

import secrets

from django.db import migrations


def migrer(apps, schema_editor):
    DossierLabel = apps.get_model("label", "DossierLabel")
    Label = apps.get_model("label", "Label")
    DossierLabel.objects.filter(statut="presente").update(statut="inscrit")
    compteurs: dict[int, int] = {}
    for label in Label.objects.filter(numero="").order_by("date_obtention", "pk"):
        annee = label.date_obtention.year
        compteurs[annee] = compteurs.get(annee, 0) + 1
        numero = f"EMP-{annee}-{compteurs[annee]:03d}"
        while Label.objects.filter(numero=numero).exists():
            compteurs[annee] += 1
            numero = f"EMP-{annee}-{compteurs[annee]:03d}"
        label.numero = numero
        label.code_verification = label.code_verification or secrets.token_urlsafe(12)
        label.save(update_fields=["numero", "code_verification"])


def revenir(apps, schema_editor):
    DossierLabel = apps.get_model("label", "DossierLabel")
    DossierLabel.objects.filter(statut="inscrit").update(statut="presente")


class Migration(migrations.Migration):
    dependencies = [("label", "0003_dossiers_sessions_labels_evenements")]
    operations = [migrations.RunPython(migrer, revenir)]
