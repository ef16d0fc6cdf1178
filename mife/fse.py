"""The FSE+ export: the participants' data the FSE+ common indicators need, one row per
participant and period, pseudonymised (no name, no birth date, no address: a stable keyed
pseudonym, age band, ISCED level, situation on entry, QPV, hours, sortie).

Rows are the people counted by ``mife.indicateurs`` for the period (validated hours in it),
with the profile read on their entry date of the period: the export and the bilan agree.
Protected health criteria are not exported per person.
"""

import hashlib
import hmac

from django.conf import settings

from heures.models import CITE_FSE, SituationEntree, SituationSixMois, Sortie
from mife import indicateurs
from mife.core import excel
from mife.core.excel import Classeur, ColonneExcel
from mife.indicateurs import TRANCHES_AGE_FSE, Filtres, tranche

COLONNES = [
    ColonneExcel("Pseudonyme"),
    ColonneExcel("Début de période", excel.DATE),
    ColonneExcel("Fin de période", excel.DATE),
    ColonneExcel("Sexe"),
    ColonneExcel("Tranche d'âge (FSE+)"),
    ColonneExcel("Niveau (CITE)"),
    ColonneExcel("Situation à l'entrée"),
    ColonneExcel("Chômeur de longue durée"),
    ColonneExcel("Résident QPV"),
    ColonneExcel("Heures validées", excel.HEURES),
    ColonneExcel("Sortie"),
    ColonneExcel("Date de fin de mission", excel.DATE),
    ColonneExcel("Situation six mois après"),
]
SITUATIONS_FSE = {
    SituationEntree.DEMANDEUR_EMPLOI: "Chômeur",
    SituationEntree.DEMANDEUR_LONGUE_DUREE: "Chômeur",
    SituationEntree.INACTIF: "Inactif",
    SituationEntree.EN_EMPLOI: "En emploi",
}


def pseudonyme(participant_id: int) -> str:
    """A stable pseudonym (keyed hash of the id): the same person keeps it from one export to
    the next, and it cannot be turned back into the id without the key."""
    cle = settings.SECRET_KEY.encode()
    empreinte = hmac.new(cle, f"fse:{participant_id}".encode(), hashlib.sha256).hexdigest()
    return f"P-{empreinte[:10].upper()}"


def lignes(filtres: Filtres) -> list[list]:
    resultat = indicateurs.calculer(filtres)
    sorties = dict(Sortie.choices)
    six_mois = dict(SituationSixMois.choices)
    rangs = []
    for pk, p in resultat.profils.items():
        age = indicateurs.age(p["naissance"], p["entree"])
        sortie = resultat.sorties_personnes.get(pk)
        rangs.append(
            [
                pseudonyme(pk),
                filtres.debut,
                filtres.fin,
                "Femme" if p["sexe"] == "F" else "Homme",
                tranche(age, TRANCHES_AGE_FSE),
                CITE_FSE.get(p["niveau"], "Non renseigné"),
                SITUATIONS_FSE.get(p["situation"], "Non renseignée"),
                "Oui" if p["situation"] == SituationEntree.DEMANDEUR_LONGUE_DUREE else "Non",
                "Oui" if p["qpv"] else "Non",
                p["heures_periode"],
                sorties[sortie[0]] if sortie else "",
                sortie[2] if sortie else None,
                six_mois.get(sortie[1], "") if sortie else "",
            ]
        )
    return sorted(rangs, key=lambda rang: rang[0])


def classeur(filtres: Filtres) -> bytes:
    """The export, streamed: typed columns, fitted widths, frozen header and pseudonym."""
    wb = Classeur()
    wb.feuille("Participants FSE+").tableau(COLONNES, lignes(filtres), colonnes_figees=1)
    return wb.octets()
