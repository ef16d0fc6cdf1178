"""The qualification queue of contracts found in the DECP: why each one matters, and its rank.

An imported contract is « à qualifier »: it has no lot and counts in no home figure. Its
interest is the sum of the reasons below (weights in ``POIDS``); the queue is ranked by it,
so a contract with a published clause sociale comes first. The reasons depend on lists the
administrator edits (``FamilleCPV``, ``SeuilsQualification``): saving them re-ranks the queue
(``evaluer`` on every contract still to qualify).
"""

from django.db.models import Exists, OuterRef

from marches.models import FamilleCPV, Lot, Marche, Qualification, SeuilsQualification
from mife.core import formats

CLAUSE_SOCIALE = "Clause sociale publiée"
CRITERE_SOCIAL = "Critère social publié"
MARCHE_RESERVE = "Marché réservé publié"
PARTENAIRE = "Acheteur déjà partenaire"
POIDS = {
    CLAUSE_SOCIALE: 100,
    CRITERE_SOCIAL: 40,
    MARCHE_RESERVE: 40,
    "famille": 20,
    PARTENAIRE: 15,
    "montant": 10,
    "duree": 5,
}


def raisons(marche: Marche, familles, seuils, partenaires: set[int]) -> list[tuple[str, int]]:
    """(reason, weight) of one contract."""
    trouvees = []
    if marche.clause_sociale:
        trouvees.append((CLAUSE_SOCIALE, POIDS[CLAUSE_SOCIALE]))
    if marche.critere_social:
        trouvees.append((CRITERE_SOCIAL, POIDS[CRITERE_SOCIAL]))
    if marche.marche_reserve:
        trouvees.append((MARCHE_RESERVE, POIDS[MARCHE_RESERVE]))
    code = (marche.code_cpv or "").replace("-", "")
    famille = next((f for f in familles if code.startswith(f.prefixe)), None)
    if code and famille:
        trouvees.append((f"Famille CPV : {famille.libelle}", POIDS["famille"]))
    if marche.donneur_ordre_id in partenaires:
        trouvees.append((PARTENAIRE, POIDS[PARTENAIRE]))
    if marche.montant_ht is not None and marche.montant_ht >= seuils.montant_min:
        trouvees.append(
            (f"Montant d'au moins {formats.montant(seuils.montant_min)}", POIDS["montant"])
        )
    if marche.duree_mois is not None and marche.duree_mois >= seuils.duree_min_mois:
        trouvees.append((f"Durée d'au moins {seuils.duree_min_mois} mois", POIDS["duree"]))
    return trouvees


def donneurs_partenaires() -> set[int]:
    """Buyers of at least one followed contract with a lot."""
    avec_lot = Exists(Lot.objects.filter(marche=OuterRef("pk")))
    return set(
        Marche.objects.filter(avec_lot, qualification=Qualification.SUIVI).values_list(
            "donneur_ordre_id", flat=True
        )
    )


def evaluer(marches=None) -> int:
    """Store the reasons and the interest of contracts to qualify; how many were updated."""
    if marches is None:
        marches = Marche.objects.all()
    marches = marches.filter(qualification=Qualification.A_QUALIFIER).only(
        "pk",
        "clause_sociale",
        "critere_social",
        "marche_reserve",
        "code_cpv",
        "donneur_ordre_id",
        "montant_ht",
        "duree_mois",
    )
    familles = sorted(FamilleCPV.objects.all(), key=lambda f: -len(f.prefixe))
    seuils = SeuilsQualification.get()
    partenaires = donneurs_partenaires()
    a_jour = []
    for marche in marches.iterator(chunk_size=2000):
        trouvees = raisons(marche, familles, seuils, partenaires)
        marche.raisons_qualification = [r for r, _ in trouvees]
        marche.score_qualification = sum(p for _, p in trouvees)
        a_jour.append(marche)
    Marche.objects.bulk_update(
        a_jour, ["raisons_qualification", "score_qualification"], batch_size=500
    )
    return len(a_jour)
