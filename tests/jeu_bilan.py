"""A small dataset whose figures are computed by hand (tests of the indicators and the bilan).

Year 2025. Buyer A (travaux, CPV 45…): lot LA, 1 000 h required over 2025. Buyer B (services,
CPV 90…): lot LB, 365 h required over 2025.

- P1: woman born 01/03/2000, infra 3, long-term job seeker, QPV, RSA since 2024. Mission M1
  on LA (mise à disposition) 01/11/2024 → 31/03/2025, sortie emploi durable (six months:
  emploi durable). Entry of the period 01/01/2025 → 24 years (< 26; FSE 18–29).
- P2: man born 15/06/1980, level 4, inactive. Mission M2 on LA (CDD) 10/02/2025 → 30/06/2025,
  sortie « autre ». Entry 10/02/2025 → 44 years (26–44; FSE 30–54).
- P3: man born 20/01/1968, level 6, employed, RQTH (protected). Mission M3 on LB (SIAE
  subcontracting) from 01/05/2025. Entry 01/05/2025 → 57 years (≥ 55).

Validated hours in 2025: LA January M1 100; LA February M1 120 + M2 50; LB May M3 80 → 350 h.
Not counted: December 2024 (70 h, other year), a draft of March (999 h), a replaced version
of February (500 h).

Expected: 350 h; ETP 0,22; 3 people; F 1 (220 h), M 2 (130 h); sorties 2 (1 emploi durable,
1 autre) → 50 % dynamiques; buyer A 270 h (2 people), B 80 h (1 person).
"""

import datetime as dt
from decimal import Decimal

from heures.models import (
    CritereEligibilite,
    Modalite,
    NiveauQualification,
    Sexe,
    SituationEntree,
    SituationSixMois,
    Sortie,
    StatutDeclaration,
)
from marches.models import NatureMarche
from tests import factories as f

D = dt.date


def construire() -> dict:
    a = f.DonneurOrdreFactory(nom="Ville d'Azur", commune="Belfort")
    b = f.DonneurOrdreFactory(nom="Bailleur Bleu", commune="Delle")
    la = f.LotFactory(
        marche__donneur_ordre=a,
        marche__operation__donneur_ordre=a,
        marche__operation__nom="Groupe scolaire Azur",
        marche__nature=NatureMarche.TRAVAUX,
        marche__code_cpv="45000000-7",
        marche__date_notification=D(2024, 10, 1),
        date_debut=D(2025, 1, 1),
        date_fin=D(2025, 12, 31),
        titulaire__raison_sociale="Bâtir Azur",
    )
    lb = f.LotFactory(
        marche__donneur_ordre=b,
        marche__operation=None,
        marche__nature=NatureMarche.SERVICES,
        marche__code_cpv="90910000-9",
        marche__date_notification=D(2024, 10, 1),
        date_debut=D(2025, 1, 1),
        date_fin=D(2025, 12, 31),
        titulaire__raison_sociale="Nettoyage Bleu",
    )
    # LA starts in 2025 but M1 started on 01/11/2024 (a lot prolonging an earlier one).
    f.ClauseFactory(lot=la, heures_requises=Decimal("1000"), penalite_horaire=Decimal("20"))
    f.ClauseFactory(lot=lb, heures_requises=Decimal("365"), penalite_horaire=Decimal("30"))
    p1 = f.ParticipantFactory(
        nom="Un", sexe=Sexe.FEMME, date_naissance=D(2000, 3, 1), resident_qpv=True,
        niveau_qualification=NiveauQualification.INFRA_3,
        situation_entree=SituationEntree.DEMANDEUR_LONGUE_DUREE,
    )  # fmt: skip
    p2 = f.ParticipantFactory(
        nom="Deux", sexe=Sexe.HOMME, date_naissance=D(1980, 6, 15),
        niveau_qualification=NiveauQualification.NIVEAU_4,
        situation_entree=SituationEntree.INACTIF,
    )  # fmt: skip
    p3 = f.ParticipantFactory(
        nom="Trois", sexe=Sexe.HOMME, date_naissance=D(1968, 1, 20),
        niveau_qualification=NiveauQualification.NIVEAU_6,
        situation_entree=SituationEntree.EN_EMPLOI,
    )  # fmt: skip
    f.CritereParticipantFactory(
        participant=p1, critere=CritereEligibilite.objects.get(code="rsa"),
        date_validation=D(2024, 1, 1),
    )  # fmt: skip
    f.CritereParticipantFactory(
        participant=p3, critere=CritereEligibilite.objects.get(code="rqth"),
        date_validation=D(2024, 1, 1),
    )  # fmt: skip
    m1 = f.MissionFactory(
        participant=p1, lot=la, modalite=Modalite.MISE_A_DISPOSITION,
        date_debut=D(2024, 11, 1), date_fin=D(2025, 3, 31),
        sortie=Sortie.EMPLOI_DURABLE, date_sortie=D(2025, 3, 31),
        situation_six_mois=SituationSixMois.EMPLOI_DURABLE,
    )  # fmt: skip
    m2 = f.MissionFactory(
        participant=p2, lot=la, modalite=Modalite.EMBAUCHE_CDD,
        date_debut=D(2025, 2, 10), date_fin=D(2025, 6, 30),
        sortie=Sortie.AUTRE, date_sortie=D(2025, 6, 30),
    )  # fmt: skip
    m3 = f.MissionFactory(
        participant=p3, lot=lb, modalite=Modalite.SOUS_TRAITANCE_SIAE,
        date_debut=D(2025, 5, 1), date_fin=None,
    )  # fmt: skip

    def declarer(lot, mois, lignes, **kwargs):
        declaration = f.DeclarationMensuelleFactory(lot=lot, mois=mois, **kwargs)
        for mission, heures in lignes:
            f.LigneDeclarationFactory(
                declaration=declaration, mission=mission, heures=Decimal(heures)
            )
        return declaration

    declarer(la, D(2024, 12, 1), [(m1, 70)], validee=True)
    declarer(la, D(2025, 1, 1), [(m1, 100)], validee=True)
    ancienne = declarer(la, D(2025, 2, 1), [(m1, 500)], numero_version=1,
                        statut=StatutDeclaration.REMPLACEE)  # fmt: skip
    declarer(la, D(2025, 2, 1), [(m1, 120), (m2, 50)], validee=True, numero_version=2,
             remplace=ancienne)  # fmt: skip
    declarer(la, D(2025, 3, 1), [(m1, 999)])  # draft
    declarer(lb, D(2025, 5, 1), [(m3, 80)], validee=True)
    return {"a": a, "b": b, "la": la, "lb": lb, "p1": p1, "p2": p2, "p3": p3}


def ajouter_entreprises(jeu, nombre: int, debut: int = 1):
    """``nombre`` more companies on lot LA (buyer A, travaux) in June 2025, « Extra 01 » with
    1 h, « Extra 02 » with 2 h…, one new person each."""
    for i in range(debut, debut + nombre):
        f.LigneDeclarationFactory(
            declaration__lot=jeu["la"], declaration__validee=True,
            declaration__mois=dt.date(2025, 6, 1),
            declaration__entreprise=f.EntrepriseFactory(raison_sociale=f"Extra {i:02}"),
            mission__lot=jeu["la"], heures=Decimal(i),
        )  # fmt: skip
