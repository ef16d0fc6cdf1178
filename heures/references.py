"""Reference list of eligibility criteria (REFERENCE.md, national network's guide).

Loaded by a data migration and re-applied after each ``migrate`` (post_migrate), so a flushed
database (transactional tests) gets it back. Existing rows keep the admin's edits.
"""

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


def charger_criteres(apps) -> None:
    Critere = apps.get_model("heures", "CritereEligibilite")
    for ordre, (code, libelle, sensible) in enumerate(CRITERES, start=1):
        Critere.objects.get_or_create(
            code=code, defaults={"libelle": libelle, "sensible": sensible, "ordre": ordre}
        )
