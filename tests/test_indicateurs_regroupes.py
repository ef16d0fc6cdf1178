"""Indicators summed by the database: the figures of ``mife.indicateurs.calculer`` (lines
grouped per lot, company, person and modality; lots, companies and months read apart) are
those of a straightforward per-line recomputation, on a varied dataset, and the number of
queries does not grow with the lines, people, lots or buyers."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from heures.models import (
    CITE_FSE,
    CritereEligibilite,
    CritereParticipant,
    LigneDeclaration,
    Modalite,
    NiveauQualification,
    Sexe,
    SituationEntree,
    StatutDeclaration,
)
from marches.models import NatureMarche
from mife import bilan, indicateurs
from mife.core.mois import premier_jour
from mife.indicateurs import (
    GROUPES_MODALITE,
    SITUATIONS_BILAN,
    TRANCHES_AGE,
    TRANCHES_AGE_FSE,
    Filtres,
    age,
    tranche,
)
from tests import factories as f

pytestmark = pytest.mark.django_db

D = dt.date
ZERO = Decimal("0")


def _lot(donneur, nature, cpv, operation=True, **kwargs):
    return f.LotFactory(
        marche__donneur_ordre=donneur,
        marche__nature=nature,
        marche__code_cpv=cpv,
        **(
            {"marche__operation__donneur_ordre": donneur}
            if operation
            else {"marche__operation": None}
        ),
        date_debut=D(2024, 6, 1),
        date_fin=D(2026, 6, 30),
        **kwargs,
    )


def construire(n_personnes: int = 9, prefixe: str = "") -> dict:
    """Three buyers, four lots (one also declared by a co-contractor), people with one or
    several missions starting before or inside 2025, on one or several lots, with several
    modalities; criteria valid, expired, later or protected; drafts and replaced versions."""
    a = f.DonneurOrdreFactory(nom=f"{prefixe}Ville", commune="Belfort")
    b = f.DonneurOrdreFactory(nom=f"{prefixe}Bailleur", commune="Delle")
    c = f.DonneurOrdreFactory(nom=f"{prefixe}Département", commune="Vesoul")
    cotraitant = f.EntrepriseFactory(raison_sociale=f"{prefixe}Cotraitant")
    lots = [
        _lot(a, NatureMarche.TRAVAUX, "45000000-7"),
        _lot(a, NatureMarche.SERVICES, "90910000-9", cotraitants=[cotraitant]),
        _lot(b, NatureMarche.SERVICES, "", operation=False),
        _lot(c, NatureMarche.FOURNITURES, "30000000-9", operation=False),
    ]
    rsa = CritereEligibilite.objects.get(code="rsa")
    rqth = CritereEligibilite.objects.get(code="rqth")
    niveaux = [*NiveauQualification.values, ""]
    situations = [*SituationEntree.values, ""]
    modalites = list(GROUPES_MODALITE)
    personnes = []
    for i in range(n_personnes):
        personne = f.ParticipantFactory(
            sexe=[Sexe.FEMME, Sexe.HOMME][i % 2],
            # Birthdays around the entry dates: the age is the one of the entry date.
            date_naissance=D(1960 + 5 * (i % 9), 1 + (i * 5) % 12, 1 + (i * 7) % 28),
            niveau_qualification=niveaux[i % len(niveaux)],
            situation_entree=situations[i % len(situations)],
            resident_qpv=i % 3 == 0,
        )
        personnes.append(personne)
        # Valid on 01/01/2025; expired in March 2025; validated in June 2025; protected.
        f.CritereParticipantFactory(
            participant=personne,
            critere=rsa,
            date_validation=[D(2024, 1, 1), D(2023, 1, 1), D(2025, 6, 1)][i % 3],
            date_fin_validite=[None, D(2025, 3, 31), None][i % 3],
        )
        if i % 4 == 1:
            f.CritereParticipantFactory(
                participant=personne,
                critere=rqth,
                date_validation=D(2024, 2, 1),
                date_fin_validite=None,
            )
    missions = []  # (mission, months with hours)
    for i, personne in enumerate(personnes):
        # First mission: started in 2024 for some, inside 2025 for the others.
        debut = D(2024, 9 + i % 3, 1) if i % 2 else D(2025, 1 + i % 6, 1 + i)
        lot = lots[i % len(lots)]
        entreprise = cotraitant if (lot == lots[1] and i % 2) else lot.titulaire
        m = f.MissionFactory(
            participant=personne,
            lot=lot,
            employeur=entreprise,
            modalite=modalites[i % len(modalites)],
            date_debut=debut,
            date_fin=D(2025, 12, 31),
        )
        missions.append((m, [mois for mois in range(1, 13) if (mois + i) % 3]))
        if i % 3 == 0:  # a second mission on another lot, starting later in 2025
            autre = lots[(i + 1) % len(lots)]
            m2 = f.MissionFactory(
                participant=personne,
                lot=autre,
                employeur=autre.titulaire,
                modalite=modalites[(i + 1) % len(modalites)],
                date_debut=D(2025, 4 + i % 5, 15),
                date_fin=D(2025, 12, 31),
            )
            missions.append((m2, list(range(4 + i % 5, 13))))
        if i % 4 == 2:  # same lot and company, another modality (a second group)
            m3 = f.MissionFactory(
                participant=personne,
                lot=lot,
                employeur=entreprise,
                modalite=Modalite.FORMATION,
                date_debut=D(2024, 11, 1),
                date_fin=D(2025, 12, 31),
            )
            missions.append((m3, [11, 12]))
    # One declaration per (lot, company, month), hours of 2024 and 2025.
    par_declaration = defaultdict(list)
    for k, (m, mois_2025) in enumerate(missions):
        for mois in [D(2025, n, 1) for n in mois_2025] + [D(2024, 12, 1)]:
            if mois >= premier_jour(m.date_debut):
                cle = (m.lot, m.employeur, mois)
                par_declaration[cle].append((m, Decimal(10 + (k * 7 + mois.month) % 40) / 4))
    for (lot, entreprise, mois), lignes in par_declaration.items():
        d = f.DeclarationMensuelleFactory(lot=lot, entreprise=entreprise, mois=mois, validee=True)
        for m, heures in lignes:
            f.LigneDeclarationFactory(declaration=d, mission=m, heures=heures)
    # Not counted: a draft and a replaced version.
    m, _ = missions[0]
    for version, statut in enumerate((StatutDeclaration.BROUILLON, StatutDeclaration.REMPLACEE)):
        d = f.DeclarationMensuelleFactory(
            lot=m.lot,
            entreprise=m.employeur,
            mois=D(2025, 2, 1),
            statut=statut,
            numero_version=2 + version,
        )
        f.LigneDeclarationFactory(declaration=d, mission=m, heures=Decimal("999"))
    return {"donneurs": [a, b, c], "lots": lots, "cotraitant": cotraitant}


# --- the straightforward recomputation: one Python object per line -----------------------------


def recalculer(filtres: Filtres, voir_sensibles: bool = True) -> dict:
    lignes = [
        ligne
        for ligne in LigneDeclaration.objects.select_related(
            "declaration__lot__marche__donneur_ordre",
            "declaration__lot__marche__operation",
            "declaration__entreprise",
            "mission__participant",
        )
        if ligne.declaration.statut == StatutDeclaration.VALIDEE
        and premier_jour(filtres.debut) <= ligne.declaration.mois <= filtres.fin
        and filtres.donneur_ordre in (None, ligne.declaration.lot.marche.donneur_ordre)
        and filtres.entreprise in (None, ligne.declaration.entreprise)
    ]
    personnes = defaultdict(list)
    for ligne in lignes:
        personnes[ligne.mission.participant].append(ligne)
    entree = {
        p: max(min(ligne.mission.date_debut for ligne in ls), filtres.debut)
        for p, ls in personnes.items()
    }
    heures = {p: sum((ligne.heures for ligne in ls), ZERO) for p, ls in personnes.items()}

    def par_personne(cle) -> dict:
        r = defaultdict(lambda: (0, ZERO))
        for p in personnes:
            n, h = r[cle(p)]
            r[cle(p)] = (n + 1, h + heures[p])
        return dict(r)

    def par_ligne(cle) -> dict:
        gens, total = defaultdict(set), defaultdict(lambda: ZERO)
        for ligne in lignes:
            gens[cle(ligne)].add(ligne.mission.participant_id)
            total[cle(ligne)] += ligne.heures
        return {k: (len(gens[k]), total[k]) for k in total}

    criteres = defaultdict(lambda: (0, ZERO))
    for cp in CritereParticipant.objects.select_related("critere"):
        p = cp.participant
        if p not in personnes or not cp.critere.actif:
            continue
        if cp.date_validation > entree[p] or (
            cp.date_fin_validite is not None and cp.date_fin_validite < entree[p]
        ):
            continue
        if cp.critere.sensible and not voir_sensibles:
            continue
        n, h = criteres[cp.critere.code]
        criteres[cp.critere.code] = (n + 1, h + (ZERO if cp.critere.sensible else heures[p]))
    mois = defaultdict(lambda: ZERO)
    for ligne in lignes:
        mois[ligne.declaration.mois] += ligne.heures
    return {
        "heures": sum((ligne.heures for ligne in lignes), ZERO),
        "participants": len(personnes),
        "lots": len({ligne.declaration.lot_id for ligne in lignes}),
        "entreprises": len({ligne.declaration.entreprise_id for ligne in lignes}),
        "par_sexe": par_personne(lambda p: p.sexe),
        "par_age": par_personne(lambda p: tranche(age(p.date_naissance, entree[p]), TRANCHES_AGE)),
        "par_age_fse": par_personne(
            lambda p: tranche(age(p.date_naissance, entree[p]), TRANCHES_AGE_FSE)
        ),
        "par_niveau": par_personne(lambda p: p.niveau_qualification),
        "par_cite": par_personne(lambda p: CITE_FSE.get(p.niveau_qualification, "")),
        "par_situation": par_personne(lambda p: SITUATIONS_BILAN.get(p.situation_entree, "")),
        "par_qpv": par_personne(lambda p: "qpv" if p.resident_qpv else "hors_qpv"),
        "par_critere": dict(criteres),
        "par_modalite": par_ligne(lambda ligne: GROUPES_MODALITE[ligne.mission.modalite]),
        "par_donneur": par_ligne(lambda ligne: str(ligne.declaration.lot.marche.donneur_ordre_id)),
        "par_operation": par_ligne(
            lambda ligne: str(ligne.declaration.lot.marche.operation_id or 0)
        ),
        "par_entreprise": par_ligne(lambda ligne: str(ligne.declaration.entreprise_id)),
        "par_nature": par_ligne(lambda ligne: ligne.declaration.lot.marche.nature),
        "par_cpv": par_ligne(lambda ligne: ligne.declaration.lot.marche.code_cpv[:2] or "—"),
        "par_mois": dict(mois),
        "profils": {p.pk: (p.sexe, p.date_naissance, entree[p], heures[p]) for p in personnes},
    }


def obtenu(r: indicateurs.Indicateurs) -> dict:
    def lignes(liste):
        return {ligne.code: (ligne.personnes, ligne.heures) for ligne in liste if ligne.personnes}

    return {
        "heures": r.heures,
        "participants": r.participants,
        "lots": r.lots,
        "entreprises": r.entreprises,
        **{
            nom: lignes(getattr(r, nom))
            for nom in (
                "par_sexe",
                "par_age",
                "par_age_fse",
                "par_niveau",
                "par_cite",
                "par_situation",
                "par_qpv",
                "par_critere",
                "par_modalite",
                "par_donneur",
                "par_operation",
                "par_entreprise",
                "par_nature",
                "par_cpv",
            )
        },
        "par_mois": {mois: heures for mois, heures, _ in r.par_mois if heures},
        "profils": {
            pk: (p["sexe"], p["naissance"], p["entree"], p["heures_periode"])
            for pk, p in r.profils.items()
        },
    }


@pytest.fixture
def jeu():
    return construire()


def test_jeu_varie(jeu):
    """The dataset has what the grouping must get right."""
    attendu = recalculer(Filtres.annee(2025))
    assert attendu["participants"] == 9 and attendu["lots"] == 4 and attendu["entreprises"] == 5
    assert len(attendu["par_donneur"]) == 3 and len(attendu["par_modalite"]) >= 4
    assert {"rsa", "rqth"} <= set(attendu["par_critere"])
    entrees = {e for _, _, e, _ in attendu["profils"].values()}
    assert D(2025, 1, 1) in entrees and len(entrees) >= 3  # before the period and inside


@pytest.mark.parametrize(
    "periode",
    [
        (D(2025, 1, 1), D(2025, 12, 31)),
        (D(2025, 3, 10), D(2025, 8, 20)),  # missions started before: entry = period start
        (D(2024, 1, 1), D(2024, 12, 31)),
    ],
)
def test_chiffres_egaux_au_recalcul_ligne_par_ligne(jeu, periode):
    filtres = Filtres(*periode)
    r = indicateurs.calculer(filtres)
    assert obtenu(r) == recalculer(filtres)
    assert r.heures == sum((h for _, h, _ in r.par_mois), ZERO)
    resume = indicateurs.calculer(filtres, detail=False)
    assert indicateurs.chiffres_cles(resume, None) == indicateurs.chiffres_cles(r, None)


def test_chiffres_egaux_au_recalcul_par_perimetre(jeu, make_user):
    for filtres in (
        Filtres.annee(2025, donneur_ordre=jeu["donneurs"][0]),
        Filtres.annee(2025, entreprise=jeu["cotraitant"]),
        Filtres.annee(2025, entreprise=jeu["lots"][0].titulaire),
    ):
        assert obtenu(indicateurs.calculer(filtres)) == recalculer(filtres)
    # Protected criteria: left out for a user without the permission.
    direction = make_user("direction")
    filtres = Filtres.annee(2025)
    r = indicateurs.calculer(filtres, direction)
    assert obtenu(r)["par_critere"] == recalculer(filtres, voir_sensibles=False)["par_critere"]
    assert "rqth" not in obtenu(r)["par_critere"]


def test_nombre_de_requetes_independant_du_volume():
    construire(n_personnes=3)

    def compter(appel):
        with CaptureQueriesContext(connection) as contexte:
            appel()
        return len(contexte)

    appels = [
        lambda: indicateurs.calculer(Filtres.annee(2025)),
        lambda: indicateurs.calculer(Filtres.annee(2025), detail=False),
        lambda: bilan.calculer(2025),
    ]
    avant = [compter(appel) for appel in appels]
    lignes = LigneDeclaration.objects.count()
    construire(n_personnes=12, prefixe="Autre ")  # more buyers, lots, companies, people
    assert LigneDeclaration.objects.count() > 3 * lignes
    assert [compter(appel) for appel in appels] == avant
