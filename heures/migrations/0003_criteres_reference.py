"""Reference list of eligibility criteria (REFERENCE.md, national network's guide)."""

from django.db import migrations

CRITERES = [
    ("deld", "Demandeur d'emploi de longue durée (plus de 12 mois d'inscription)", False),
    ("rsa", "Bénéficiaire du RSA", False),
    ("rqth", "Travailleur handicapé (RQTH, art. L5212-13 du code du travail)", True),
    ("ass_aah", "Bénéficiaire de l'ASS, de l'AAH ou d'une pension d'invalidité", True),
    ("jeune", "Jeune de moins de 26 ans sorti du système scolaire depuis 6 mois au moins", False),
    ("siae", "Personne suivie par une SIAE, un EPIDE ou une E2C", False),
    ("qpv", "Résident d'un quartier prioritaire de la ville (QPV)", False),
    ("senior", "Demandeur d'emploi de 50 ans et plus", False),
    ("autre", "Autre difficulté, validée sur avis motivé d'un prescripteur", False),
]


def charger(apps, schema_editor):
    Critere = apps.get_model("heures", "CritereEligibilite")
    for ordre, (code, libelle, sensible) in enumerate(CRITERES, start=1):
        Critere.objects.update_or_create(
            code=code, defaults={"libelle": libelle, "sensible": sensible, "ordre": ordre}
        )


class Migration(migrations.Migration):
    dependencies = [("heures", "0002_initial")]
    operations = [migrations.RunPython(charger, migrations.RunPython.noop)]
