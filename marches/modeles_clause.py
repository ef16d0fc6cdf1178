"""Default model texts of the clause annex, one per clause kind (admin-editable afterwards).

Wording follows the Code de la commande publique articles of REFERENCE.md. Loaded by a data
migration and re-applied after each ``migrate`` for missing kinds only (edits are kept).
"""

_COMMUN_ELIGIBLES = """# Public éligible
Les heures d'insertion sont réalisées par des personnes rencontrant des difficultés sociales ou professionnelles particulières, notamment :
- demandeurs d'emploi inscrits depuis plus de 12 mois ;
- bénéficiaires du RSA, de l'ASS, de l'AAH ou d'une pension d'invalidité ;
- travailleurs reconnus handicapés (article L5212-13 du code du travail) ;
- jeunes de moins de 26 ans sortis du système scolaire depuis au moins 6 mois, en parcours d'insertion ;
- personnes suivies par une structure d'insertion par l'activité économique (article L5132-4 du code du travail), un EPIDE ou une E2C ;
- résidents des quartiers prioritaires de la politique de la ville ;
- autres personnes en difficulté, sur avis motivé de France Travail, d'une Mission locale, d'une Maison de l'emploi ou de la MDPH.
L'éligibilité de chaque personne est validée {{ par_la_structure }} avant le début de sa mission."""

_COMMUN_MODALITES = """# Modalités de mise en œuvre
Le titulaire peut remplir son engagement :
- par l'embauche directe de personnes éligibles (CDI, CDD, contrat d'apprentissage ou de professionnalisation) ;
- par la mise à disposition de personnel par une entreprise de travail temporaire d'insertion (ETTI), une association intermédiaire (AI) ou un groupement d'employeurs pour l'insertion et la qualification (GEIQ) ;
- par la sous-traitance ou la co-traitance d'une partie des prestations à une structure d'insertion par l'activité économique (entreprise d'insertion, atelier et chantier d'insertion) ou à une entreprise adaptée ;
- par des actions de formation au bénéfice de personnes éligibles."""

_COMMUN_SUIVI = """# Suivi et justificatifs
Le titulaire transmet chaque mois {{ a_la_structure }} l'état des heures réalisées par les personnes en insertion (nom de la personne, contrat, heures du mois). {{ La_structure }} établit une attestation mensuelle puis, à la fin de l'obligation, une attestation de réalisation adressée au titulaire et au maître d'ouvrage.

Contact : {{ facilitateur }}{% if facilitateur_email %} — {{ facilitateur_email }}{% endif %}{% if facilitateur_telephone %} — {{ facilitateur_telephone }}{% endif %}, {{ structure }}.{% if penalite %}

# Pénalités
En cas de non-respect de l'engagement d'insertion non justifié par le titulaire, une pénalité de {{ penalite }} par heure d'insertion non réalisée est appliquée, sans mise en demeure préalable.{% endif %}"""

_HEURES = """Le volume d'heures d'insertion exigé pour le lot « {{ lot }} » est de **{{ heures }}**.{% if calcul %}
Ce volume est calculé ainsi : {{ calcul }}.{% endif %}{% if ajustement %}
Il a été ajusté pour le motif suivant : {{ ajustement }}.{% endif %}"""

DEFAUTS = {
    "L2112-2": (
        "Clause d'insertion — condition d'exécution",
        f"""# Objet de la clause
En application de l'article L2112-2 du code de la commande publique, le titulaire du marché « {{{{ marche }}}} » passé {{{{ par_donneur_ordre }}}} s'engage à réserver une part du temps de travail nécessaire à l'exécution des prestations à une action d'insertion professionnelle de publics éloignés de l'emploi. Cette condition d'exécution s'impose au titulaire, qu'il exécute lui-même les prestations ou qu'il en sous-traite une partie.

# Volume d'heures d'insertion
{_HEURES}

{_COMMUN_ELIGIBLES}

{_COMMUN_MODALITES}

{_COMMUN_SUIVI}""",
    ),
    "L2152-7": (
        "Clause d'insertion — critère d'attribution",
        f"""# Objet de la clause
En application de l'article L2152-7 du code de la commande publique, les offres du marché « {{{{ marche }}}} » passé {{{{ par_donneur_ordre }}}} sont notamment appréciées au regard d'un critère relatif aux performances en matière d'insertion professionnelle des publics en difficulté, pondéré à **{{{{ ponderation }}}}** de la note globale.

# Sous-critères
- nombre d'heures d'insertion proposées au-delà du minimum de {{{{ heures }}}} ;
- qualité de l'accompagnement proposé (tutorat, formation, encadrement) ;
- perspectives d'emploi durable offertes aux personnes à l'issue du marché.

# Volume minimal d'heures d'insertion
{_HEURES}

{_COMMUN_ELIGIBLES}

{_COMMUN_MODALITES}

{_COMMUN_SUIVI}""",
    ),
    "L2113-12": (
        "Marché réservé aux entreprises adaptées et ESAT",
        f"""# Objet de la clause
En application de l'article L2113-12 du code de la commande publique, le marché « {{{{ marche }}}} » passé {{{{ par_donneur_ordre }}}} est réservé aux entreprises adaptées (article L5213-13 du code du travail), aux établissements et services d'aide par le travail (article L344-2 du code de l'action sociale et des familles) et aux structures équivalentes, employant une proportion minimale de travailleurs handicapés.

# Volume d'heures d'insertion
{_HEURES}

{_COMMUN_SUIVI}""",
    ),
    "L2113-13": (
        "Marché réservé aux structures d'insertion par l'activité économique",
        f"""# Objet de la clause
En application de l'article L2113-13 du code de la commande publique, le marché « {{{{ marche }}}} » passé {{{{ par_donneur_ordre }}}} est réservé aux structures d'insertion par l'activité économique mentionnées à l'article L5132-4 du code du travail (entreprises d'insertion, entreprises de travail temporaire d'insertion, associations intermédiaires, ateliers et chantiers d'insertion) et aux structures équivalentes. Conformément à l'article R2113-7, au moins 50 % des travailleurs employés par ces structures sont des personnes défavorisées.

# Volume d'heures d'insertion
{_HEURES}

{_COMMUN_ELIGIBLES}

{_COMMUN_SUIVI}""",
    ),
    "R2123-1": (
        "Marché d'insertion et de qualification",
        f"""# Objet du marché
Le marché « {{{{ marche }}}} » passé {{{{ par_donneur_ordre }}}} est un marché de services d'insertion et de qualification professionnelle passé selon la procédure adaptée prévue à l'article R2123-1 du code de la commande publique. Son objet même est l'insertion professionnelle de personnes éloignées de l'emploi : le support d'activité est le moyen de leur parcours.

# Volume d'heures d'insertion
{_HEURES}

{_COMMUN_ELIGIBLES}

# Accompagnement
Le titulaire assure l'accompagnement socioprofessionnel et la formation des personnes, et rend compte de leurs parcours et de leurs sorties (emploi durable, emploi de transition, formation qualifiante).

{_COMMUN_SUIVI}""",
    ),
}


# Texts of the first defaults whose grammar was wrong (« à MIFE… », « passé par Ville de
# Belfort »): replaced in the stored models by ``corriger_grammaire`` (other edits are kept).
CORRECTIONS_GRAMMAIRE = (
    ("validée par {{ structure }} avant", "validée {{ par_la_structure }} avant"),
    (
        "transmet chaque mois à {{ structure }} l'état",
        "transmet chaque mois {{ a_la_structure }} l'état",
    ),
    ("heures du mois). {{ structure }} établit", "heures du mois). {{ La_structure }} établit"),
    ("passé par {{ donneur_ordre }}", "passé {{ par_donneur_ordre }}"),
)


def corriger_grammaire(apps) -> None:
    ModeleClause = apps.get_model("marches", "ModeleClause")
    for modele in ModeleClause.objects.all():
        texte = modele.texte
        for avant, apres in CORRECTIONS_GRAMMAIRE:
            texte = texte.replace(avant, apres)
        if texte != modele.texte:
            modele.texte = texte
            modele.save(update_fields=["texte"])


def charger_modeles_clause(apps) -> None:
    ModeleClause = apps.get_model("marches", "ModeleClause")
    for type_clause, (titre, texte) in DEFAUTS.items():
        ModeleClause.objects.get_or_create(
            type=type_clause, defaults={"titre": titre, "texte": texte}
        )
