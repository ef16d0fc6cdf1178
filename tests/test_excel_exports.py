"""Excel exports: the kernel's typed, streamed tables (mife/core/excel.py) and the cells of the
app's workbooks (list export, month board, FSE+, bilan, DECP report, attendance sheet): number
formats, data types, frozen header, auto-filter, fitted widths, write-only mode."""

import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from heures.selectors_mois import LigneMois
from heures.views import mois as vue_mois
from marches.models import RapportImport
from mife import bilan, fse, roles
from mife.core import excel
from mife.core.excel import Cellule, Classeur, ColonneExcel, Pourcentage
from tests import factories as f
from tests import jeu_bilan

POURCENT = "0.00 %"
DATE = "dd/mm/yyyy"


def _relire(contenu: bytes):
    return load_workbook(io.BytesIO(contenu))


def _octets(reponse) -> bytes:
    if getattr(reponse, "streaming", False):
        return b"".join(reponse.streaming_content)
    return reponse.content


def _colonnes(ws, ligne_entete: int = 1) -> dict[str, str]:
    """Header text -> column letter."""
    return {c.value: c.column_letter for c in ws[ligne_entete] if c.value}


# --- the kernel ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("valeur", "type_", "attendu"),
    [
        (Decimal("12.50"), "", (12.5, "#,##0.00")),
        (1.5, "", (1.5, "#,##0.00")),
        (2026, "", (2026, None)),  # an integer (a year, a count) keeps Excel's general format
        (5, excel.NOMBRE, (5, "#,##0")),  # a count (actions, sessions…): no « 5,00 »
        (Decimal("5.5"), excel.NOMBRE, (5.5, "#,##0.00")),
        (Decimal("151.67"), excel.HEURES, (151.67, "#,##0.00")),
        (Decimal("1250000.5"), excel.MONTANT, (1250000.5, '#,##0.00 "€"')),
        (Decimal("64.07"), excel.POURCENTAGE, (0.6407, POURCENT)),
        (Pourcentage(Decimal("64.07")), "", (0.6407, POURCENT)),
        (Pourcentage(64.07), "", (0.6407, POURCENT)),
        (Pourcentage(None), "", (None, None)),
        (dt.date(2026, 3, 1), "", (dt.date(2026, 3, 1), DATE)),
        (dt.date(2026, 3, 1), excel.MOIS, (dt.date(2026, 3, 1), "mm/yyyy")),
        (True, "", ("Oui", None)),
        (None, excel.MONTANT, (None, None)),
        ("-3", excel.MONTANT, ("-3", None)),  # a text stays a text (made safe when written)
    ],
)
def test_valeur_typee(valeur, type_, attendu):
    assert excel.valeur_typee(valeur, type_) == attendu


def test_une_date_heure_devient_locale_sans_fuseau():
    instant = dt.datetime(2026, 3, 1, 13, 30, tzinfo=dt.UTC)
    valeur, format_ = excel.valeur_typee(instant)
    assert valeur == dt.datetime(2026, 3, 1, 14, 30)  # Europe/Paris in winter
    assert valeur.tzinfo is None and format_ == "dd/mm/yyyy hh:mm"
    assert ZoneInfo  # the project's TIME_ZONE is Europe/Paris


def test_tableau_type_fige_filtre_et_ajuste_les_largeurs():
    wb = Classeur()
    assert wb.write_only
    ws = wb.feuille("Un titre de feuille bien plus long que trente et un caractères")
    assert isinstance(ws, WriteOnlyWorksheet) and len(ws.title) == 31
    lignes = [
        ["Société " + "x" * 100, Decimal("1250000.5"), Pourcentage(64.07), dt.date(2026, 1, 31)],
        ['=HYPERLINK("http://x","clic")', Decimal("12"), Pourcentage(5), None],
        ["Court", None, Pourcentage(100), dt.date(2026, 2, 1)],
    ]
    nombre = ws.tableau(
        [
            ColonneExcel("Entreprise"),
            ColonneExcel("Montant", excel.MONTANT),
            ColonneExcel("Avancement"),
            ColonneExcel("Échéance", excel.DATE),
        ],
        iter(lignes),  # any iterable, read once
        avant=[[Cellule("Titre", font=excel.ENTETE)], []],
        apres=[[Cellule("Total", font=excel.ENTETE), Decimal("1250012.5")]],
    )
    assert nombre == 3 and ws.lignes_ecrites == 1 + 1 + 1 + 3 + 1
    relu = _relire(wb.octets()).active
    assert relu.freeze_panes == "A4"  # below the header on row 3
    assert relu.auto_filter.ref == "A3:D6"
    assert relu["A1"].value == "Titre" and relu["A1"].font.bold
    assert [c.value for c in relu[3]] == ["Entreprise", "Montant", "Avancement", "Échéance"]
    assert all(c.font.bold for c in relu[3])
    assert (relu["B4"].value, relu["B4"].number_format) == (1250000.5, '#,##0.00 "€"')
    assert relu["B4"].data_type == "n"
    assert relu["C4"].value == pytest.approx(0.6407) and relu["C4"].number_format == POURCENT
    assert relu["D4"].value == dt.datetime(2026, 1, 31) and relu["D4"].number_format == DATE
    # A formula-like text stays a text.
    assert relu["A5"].data_type == "s" and relu["A5"].quotePrefix
    assert relu["A7"].value == "Total" and relu["B7"].number_format == "#,##0.00"
    # Widths: fitted to the longest text of the sample, bounded.
    assert relu.column_dimensions["A"].width == excel.LARGEUR_MAX
    assert relu.column_dimensions["B"].width == len("1 250 000,50 €") + 2
    assert relu.column_dimensions["C"].width == len("Avancement") + 4  # the filter's button
    assert relu.column_dimensions["D"].width == len("00/00/0000") + 2


def test_largeur_calculee_sur_un_echantillon_seulement():
    wb = Classeur()
    ws = wb.feuille("Export")
    lignes = (["x" * (5 if i < 3 else 50)] for i in range(10))
    assert ws.tableau(["Nom"], lignes, echantillon=3) == 10
    relu = _relire(wb.octets()).active
    assert relu.column_dimensions["A"].width == excel.LARGEUR_MIN
    assert relu.max_row == 11


def test_tableau_doit_etre_la_premiere_ecriture():
    wb = Classeur()
    ws = wb.feuille("Export")
    ws.append(["déjà écrit"])
    with pytest.raises(ValueError, match="premières lignes"):
        ws.tableau(["A"], [])
    assert _relire(wb.octets()).active["A1"].value == "déjà écrit"


# --- the app's workbooks ---------------------------------------------------------------------


@pytest.mark.django_db
def test_export_de_la_liste_des_lots(client_for):
    clause = f.ClauseFactory(lot__montant_ht=Decimal("1250000.50"))
    lot = clause.lot
    client = client_for(roles.FACILITATEUR)
    ws = _relire(_octets(client.get(reverse("marches:lot_liste"), {"export": "xlsx"}))).active
    col = _colonnes(ws)
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{max(col.values())}2"
    ligne = 2
    requises = ws[f"{col['Heures requises']}{ligne}"]
    assert requises.value == pytest.approx(float(clause.heures_requises))
    assert requises.number_format == "#,##0.00" and requises.data_type == "n"
    avancement = ws[f"{col['Avancement']}{ligne}"]
    assert avancement.number_format == POURCENT and avancement.value == 0
    assert ws.column_dimensions["A"].width >= len("Référence")
    assert ws[f"A{ligne}"].value == str(lot)
    dates = [c for c in ws[ligne] if isinstance(c.value, dt.datetime)]
    assert dates and all(c.number_format == DATE for c in dates)


def _lignes_du_mois(nombre: int) -> list[LigneMois]:
    return [
        LigneMois(
            mois=dt.date(2026, 5, 1),
            entreprise_id=i,
            entreprise=f"Entreprise {i:05d}",
            lot_id=i,
            lot=f"2026-MP-{i:04d} lot 1",
            marche_reference=f"2026-MP-{i:04d}",
            donneur_ordre_id=1,
            donneur_ordre="Ville de Belfort",
            statut="validee",
            total_heures=Decimal("151.67"),
            derniere_relance=dt.datetime(2026, 6, 3, 8, 0, tzinfo=dt.UTC) if i % 2 else None,
        )
        for i in range(nombre)
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("nombre", [300, 1200])
def test_export_du_tableau_du_mois_en_flux(client_for, monkeypatch, nombre):
    """N and 4N rows through the same path: a write-only workbook, rows appended once each
    (the sheet cannot be read back, so no ``max_row`` in the loop), typed cells."""
    classeurs = []

    class ClasseurEspion(Classeur):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            classeurs.append(self)

    monkeypatch.setattr(vue_mois, "Classeur", ClasseurEspion)
    monkeypatch.setattr(vue_mois, "lignes_du_mois", lambda mois, **criteres: lignes)
    lignes = _lignes_du_mois(nombre)
    client = client_for("suivi")
    reponse = client.get(reverse("heures:tableau_mois"), {"mois": "2026-05", "export": "xlsx"})
    contenu = _octets(reponse)
    (classeur,) = classeurs
    assert classeur.write_only
    (feuille,) = classeur.worksheets
    assert isinstance(feuille, WriteOnlyWorksheet) and not hasattr(feuille, "max_row")
    assert feuille.lignes_ecrites == nombre + 1
    ws = _relire(contenu).active
    assert ws.max_row == nombre + 1
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:F{nombre + 1}"
    assert (ws["E2"].value, ws["E2"].number_format) == (151.67, "#,##0.00")
    assert ws["F3"].value == dt.datetime(2026, 6, 3) and ws["F3"].number_format == DATE
    assert ws["F2"].value is None
    assert ws.column_dimensions["A"].width == len("Entreprise 00000") + 2


@pytest.mark.django_db
def test_export_fse_type_et_filtre():
    jeu_bilan.construire()
    filtres = fse.Filtres(debut=dt.date(2025, 1, 1), fin=dt.date(2025, 12, 31))
    ws = _relire(fse.classeur(filtres))["Participants FSE+"]
    assert ws.freeze_panes == "B2" and ws.auto_filter.ref == "A1:M4"
    assert ws["B2"].value == dt.datetime(2025, 1, 1) and ws["B2"].number_format == DATE
    assert ws["J2"].number_format == "#,##0.00" and ws["J2"].data_type == "n"
    assert ws.column_dimensions["A"].width == len("P-0123456789") + 2


@pytest.mark.django_db
def test_bilan_pourcentages_et_filtre():
    jeu_bilan.construire()
    wb = _relire(bilan.classeur(2025))
    cles = wb["Chiffres clés"]
    assert cles.auto_filter.ref.startswith("A2:")
    pourcentages = [
        c for ligne in cles.iter_rows(min_row=3) for c in ligne if "%" in c.number_format
    ]
    assert pourcentages and all(c.number_format == POURCENT for c in pourcentages)
    assert all(c.value is None or 0 <= c.value <= 1 for c in pourcentages)
    assert wb["Méthodologie"].column_dimensions["B"].width == 110


@pytest.mark.django_db
def test_rapport_d_import_decp(client_for):
    rapport = RapportImport.objects.create(
        origine="decp.json",
        ecartes=[
            {
                "rang": 12,
                "id": "X1",
                "champ": "montant",
                "motif": "Montant illisible",
                "genre": "refus",
            }
        ],
    )
    client = client_for(roles.FACILITATEUR)
    url = reverse("marches:rapport_import", args=[rapport.pk])
    wb = _relire(_octets(client.get(url, {"export": "xlsx"})))
    ecartes = wb["Écartés"]
    assert ecartes["A2"].value == 12 and ecartes["A2"].data_type == "n"
    assert ecartes.freeze_panes == "A2" and ecartes.auto_filter.ref == "A1:E2"
    assert ecartes.column_dimensions["D"].width == len("Montant illisible") + 2


@pytest.mark.django_db
def test_feuille_de_presences_d_un_evenement():
    from label.services import evenements

    evenement = f.EvenementAnimationFactory()
    participation = f.ParticipationEvenementFactory(
        evenement=evenement, present=True, nombre_personnes=3
    )
    with evenements.classeur_presences(evenement) as fichier:
        ws = _relire(fichier.read()).active
    assert ws["A4"].value == "Entreprise" and ws.freeze_panes == "A5"
    assert ws.auto_filter.ref == "A4:F5"
    assert ws["A5"].value == participation.entreprise.raison_sociale
    assert ws["E5"].value == 3 and ws["E5"].data_type == "n"
    assert ws["A6"].value == "Total" and ws["A6"].font.bold and ws["E6"].value == 3


def test_aucun_export_ne_relit_sa_feuille_dans_une_boucle():
    """Write-only sheets everywhere: no ``max_row`` nor ``ws.cell`` (quadratic on a normal
    sheet, impossible on a streamed one) in the code that writes workbooks."""
    from pathlib import Path

    racine = Path(__file__).resolve().parent.parent
    fautifs = []
    for dossier in ("mife", "entreprises", "marches", "heures", "label", "journal"):
        for chemin in (racine / dossier).rglob("*.py"):
            texte = chemin.read_text(encoding="utf-8")
            if "Classeur(" not in texte or chemin == racine / "mife" / "core" / "excel.py":
                continue
            for motif in (".max_row", ".cell(", "Classeur(write_only=False"):
                if motif in texte:
                    fautifs.append(f"{chemin.relative_to(racine)} : {motif}")
    assert fautifs == []


# --- issue 15: the export's cost per row ------------------------------------------------------


def test_tableau_une_cellule_par_colonne_typee_sans_melanger_les_lignes():
    """Typed values share their column's cell from one row to the next: every row keeps its
    own values, a text next to a date keeps the general format, unsafe texts stay texts."""
    wb = Classeur()
    ws = wb.feuille("Export")
    lignes = [
        [dt.date(2026, 1, i + 1), dt.date(2026, 2, i + 1), Decimal(i) + Decimal("0.5"), v, "t"]
        for i, v in enumerate(
            ["texte", 7, Decimal("1.25"), dt.date(2026, 3, 1), True, "=1+1", "#N/A", ""]
        )
    ]
    lignes.append([None, Cellule(dt.date(2026, 4, 1), font=excel.ENTETE), None, "-2", None])
    assert (
        ws.tableau(["Début", "Fin", ColonneExcel("Montant", excel.MONTANT), "Libre", "T"], lignes)
        == 9
    )
    relu = _relire(wb.octets()).active
    for i in range(8):
        ligne = relu[i + 2]
        assert ligne[0].value == dt.datetime(2026, 1, i + 1) and ligne[0].number_format == DATE
        assert ligne[1].value == dt.datetime(2026, 2, i + 1) and ligne[1].number_format == DATE
        assert ligne[2].value == i + 0.5 and ligne[2].number_format == '#,##0.00 "€"'
        assert ligne[4].value == "t" and ligne[4].number_format == "General"
    libre = [(c.value, c.number_format, c.data_type) for c in relu["D"][1:9]]
    assert libre == [
        ("texte", "General", "s"),
        (7, "General", "n"),
        (1.25, "#,##0.00", "n"),
        (dt.datetime(2026, 3, 1), DATE, "d"),
        ("Oui", "General", "s"),
        ("=1+1", "General", "s"),
        ("#N/A", "General", "s"),
        (None, "General", "n"),
    ]
    assert relu["D7"].quotePrefix and not relu["D2"].quotePrefix
    assert relu["A10"].value is None and relu["B10"].font.bold
    assert relu["B10"].value == dt.datetime(2026, 4, 1) and relu["B10"].number_format == DATE
    assert relu["D10"].value == "-2" and relu["D10"].quotePrefix


def _missions_exportees(client, **params):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as requetes:
        reponse = client.get(reverse("heures:mission_liste"), {"export": "xlsx", **params})
        contenu = _octets(reponse)
    assert reponse.status_code == 200
    return _relire(contenu).active, [q["sql"] for q in requetes.captured_queries]


@pytest.mark.django_db
def test_export_des_missions_ne_lit_que_ses_champs(client_for):
    """The export reads the columns' fields only (tuples of values), in one query whatever
    the number of rows, and writes the same cells as before."""
    from django.utils import timezone

    from heures.models import Modalite, Sortie

    lot = f.LotFactory()
    anonyme = f.ParticipantFactory(nom="Effacé", prenom="X", anonymise_le=timezone.now())
    mission = f.MissionFactory(
        lot=lot,
        participant__nom="Zébulon",
        participant__prenom="Awa",
        reference="MIS-A",
        modalite=Modalite.EMBAUCHE_CDI,
        date_debut=dt.date(2026, 1, 5),
        date_fin=dt.date(2026, 3, 31),
        sortie=Sortie.EMPLOI_DURABLE,
    )
    f.MissionFactory(lot=lot, participant=anonyme, reference="MIS-B", date_fin=None, sortie="")
    client = client_for(roles.FACILITATEUR)
    ws, requetes = _missions_exportees(client, tri="reference")
    col = _colonnes(ws)
    a, b = ws[2], ws[3]
    assert [c.value for c in a] == [
        "MIS-A",
        "ZÉBULON Awa",
        str(lot),
        mission.employeur.raison_sociale,
        "Embauche directe en CDI",
        dt.datetime(2026, 1, 5),
        dt.datetime(2026, 3, 31),
        "Emploi durable (CDI, CDD de plus de 6 mois)",
    ]
    assert ws[f"{col['Début']}2"].number_format == DATE
    assert b[1].value == f"{anonyme.nom_affiche}" and "Effacé" not in b[1].value
    assert b[6].value is None and b[7].value is None
    (lecture,) = [q for q in requetes if "heures_mission" in q and "heures_participant" in q]
    assert '"notes"' not in lecture and '"date_naissance"' not in lecture
    # More rows, the same queries.
    f.MissionFactory.create_batch(5, lot=lot)
    ws, encore = _missions_exportees(client, tri="reference")
    assert ws.max_row == 8 and len(encore) == len(requetes)


@pytest.mark.django_db
def test_export_des_missions_refuse_sans_le_droit(client_for):
    f.MissionFactory(reference="MIS-SECRET")
    reponse = client_for(roles.ANIMATEUR).get(reverse("heures:mission_liste"), {"export": "xlsx"})
    assert reponse.status_code == 403
    assert b"MIS-SECRET" not in _octets(reponse)


@pytest.mark.parametrize("sortie", ["emploi_durable", "", "valeur_inconnue"])
def test_colonne_libelle_de_choix_comme_django(sortie):
    """``"get_sortie_display"`` gives Django's label (choices read once per model)."""
    from heures.models import Mission
    from mife.core.listes import Colonne

    colonne = Colonne("Sortie", "get_sortie_display")
    mission = Mission(sortie=sortie, modalite="embauche_cdi")
    assert colonne.brute(mission) == mission.get_sortie_display()
    assert type(colonne.brute(mission)) is str
    assert Colonne("Modalité", "get_modalite_display").brute(mission) == "Embauche directe en CDI"
    assert Colonne("Référence", "reference").brute(Mission(reference="MIS-1")) == "MIS-1"


def _feuille_lisible(ws, ligne_entete: int = 1) -> None:
    """The header row is frozen, filtered and bold; every column of the table has a width."""
    assert ws.freeze_panes == f"A{ligne_entete + 1}", ws.title
    assert ws.auto_filter.ref and ws.auto_filter.ref.startswith(f"A{ligne_entete}:"), ws.title
    entetes = [c for c in ws[ligne_entete] if c.value]
    assert entetes and all(c.font.bold for c in entetes), ws.title
    for c in entetes:
        assert ws.column_dimensions[c.column_letter].width >= excel.LARGEUR_MIN, ws.title


@pytest.mark.django_db
def test_rapport_aux_donneurs_d_ordre_lisible_et_type():
    """The report e-mailed to a buyer: every sheet readable, hours and shares typed."""
    from mife import rapports

    jeu = jeu_bilan.construire()
    chiffres = rapports.calculer(jeu["la"].marche, None, rapports.lire_periode("T1 2025"))
    wb = _relire(rapports.classeur(chiffres))
    for ws in wb.worksheets:
        _feuille_lisible(ws, ligne_entete=2)  # the table's title above its header
    avancement = wb["Avancement"]
    assert avancement["B4"].value == 270 and avancement["B4"].number_format == "#,##0.00"
    entreprises = wb["Entreprises"]
    assert entreprises["B3"].value == 270 and entreprises["B3"].data_type == "n"
    assert entreprises["C3"].value == 1 and entreprises["C3"].number_format == POURCENT


@pytest.mark.django_db
def test_export_d_une_ventilation_des_indicateurs_lisible(client_for):
    jeu_bilan.construire()
    reponse = client_for(roles.DIRECTION).get(
        reverse("indicateurs_ventilation", args=["entreprises"]),
        {"annee": 2025, "export": "xlsx"},
    )
    ws = _relire(reponse.content).active
    _feuille_lisible(ws)
    assert ws["C2"].data_type == "n" and ws["C2"].number_format == "#,##0.00"


@pytest.mark.django_db
def test_un_compte_s_exporte_sans_decimales(client_for):
    """« Lots (titulaire) » is a count: 2, not 2,00."""
    titulaire = f.EntrepriseFactory()
    f.LotFactory(titulaire=titulaire)
    f.LotFactory(titulaire=titulaire)
    client = client_for(roles.FACILITATEUR)
    ws = _relire(_octets(client.get(reverse("entreprises:liste"), {"export": "xlsx"}))).active
    _feuille_lisible(ws)
    cellule = ws[f"{_colonnes(ws)['Lots (titulaire)']}2"]
    assert cellule.value == 2 and cellule.data_type == "n" and cellule.number_format == "#,##0"
