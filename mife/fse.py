"""The FSE+ export: the participants' data the FSE+ common indicators need, one row per
participant and period, pseudonymised (no name, no birth date, no address: a stable keyed
pseudonym, age band, ISCED level, situation on entry, QPV, hours, sortie).

Rows are the people counted by ``mife.indicateurs`` for the period (validated hours in it),
with the profile read on their entry date of the period: the export and the bilan agree.
Protected health criteria are not exported per person.
"""

import hashlib
import hmac
import io

from django.conf import settings

from heures.models import CITE_FSE, SituationEntree, SituationSixMois, Sortie
from mife import indicateurs
from mife.core.excel import Classeur
from mife.indicateurs import TRANCHES_AGE_FSE, Filtres, tranche

COLONNES = [
    ("Pseudonyme", 14),
    ("Début de période", 12),
    ("Fin de période", 12),
    ("Sexe", 8),
    ("Tranche d'âge (FSE+)", 16),
    ("Niveau (CITE)", 14),
    ("Situation à l'entrée", 22),
    ("Chômeur de longue durée", 12),
    ("Résident QPV", 10),
    ("Heures validées", 12),
    ("Sortie", 30),
    ("Date de fin de mission", 12),
    ("Situation six mois après", 24),
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
                float(p["heures_periode"]),
                sorties[sortie[0]] if sortie else "",
                sortie[2] if sortie else None,
                six_mois.get(sortie[1], "") if sortie else "",
            ]
        )
    return sorted(rangs, key=lambda rang: rang[0])


def classeur(filtres: Filtres) -> bytes:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Classeur()
    ws = wb.active
    ws.title = "Participants FSE+"
    ws.append([titre for titre, _ in COLONNES])
    for cellule in ws[1]:
        cellule.font = Font(bold=True)
    for rang in lignes(filtres):
        ws.append(rang)
        ligne = ws.max_row
        ws.cell(row=ligne, column=2).number_format = "dd/mm/yyyy"
        ws.cell(row=ligne, column=3).number_format = "dd/mm/yyyy"
        ws.cell(row=ligne, column=10).number_format = "#,##0.00"
        ws.cell(row=ligne, column=12).number_format = "dd/mm/yyyy"
    for j, (_, largeur) in enumerate(COLONNES, start=1):
        ws.column_dimensions[get_column_letter(j)].width = largeur + 4
    ws.freeze_panes = "B2"
    sortie = io.BytesIO()
    wb.save(sortie)
    return sortie.getvalue()
