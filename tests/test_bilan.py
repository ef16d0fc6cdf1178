"""Annual bilan: PDF text and workbook cells against the hand-computed dataset
(tests/jeu_bilan.py), per-buyer masking, the ``bilan`` command and its errors."""

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from openpyxl import load_workbook
from pypdf import PdfReader

from mife import bilan
from mife.core import excel
from tests import jeu_bilan

pytestmark = pytest.mark.django_db


@pytest.fixture
def jeu():
    return jeu_bilan.construire()


def texte_pdf(contenu: bytes) -> str:
    """The PDF's text, line breaks read as spaces."""
    texte = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(contenu)).pages)
    return " ".join(texte.split())


def test_pdf_reprend_les_chiffres_calcules_a_la_main(jeu):
    texte = texte_pdf(bilan.pdf(2025))
    assert "Bilan 2025 des clauses sociales" in texte
    assert "350 h" in texte  # hours
    assert "0,22" in texte  # ETP
    assert "un an avant : 70 h" in texte
    assert "Ville d'Azur 2 270 h" in texte
    assert "Bailleur Bleu 1 80 h" in texte
    assert "Emploi durable 1" in texte
    assert "50 %" in texte  # sorties dynamiques
    assert "Méthodologie" in texte and "Sorties dynamiques" in texte


def test_classeur_cellules_typees(jeu):
    wb = load_workbook(io.BytesIO(bilan.classeur(2025)))
    assert "Chiffres clés" in wb.sheetnames and "Méthodologie" in wb.sheetnames
    cles = wb["Chiffres clés"]
    assert cles["A3"].value == "Heures d'insertion réalisées (validées)"
    assert cles["B3"].value == 350 and cles["C3"].value == 70
    assert cles["B4"].value == pytest.approx(0.22)
    assert cles.freeze_panes == "A3"
    donneurs = wb["Donneurs d'ordre"]
    lignes = {r[0]: r[1:] for r in donneurs.iter_rows(min_row=3, values_only=True) if r[0]}
    assert lignes["Ville d'Azur"] == (2, 270)
    assert lignes["Bailleur Bleu"] == (1, 80)
    assert donneurs["C3"].number_format == "#,##0.00"
    assert donneurs.column_dimensions["A"].width >= 14
    sexe = {r[0]: r[1:] for r in wb["Sexe"].iter_rows(min_row=3, values_only=True) if r[0]}
    assert sexe["Femme"] == (1, 220)  # the whole bilan is not masked


def test_bilan_par_donneur_masque_les_petits_effectifs(jeu):
    wb = load_workbook(io.BytesIO(bilan.classeur(2025, jeu["a"])))
    lignes = {
        r[0]: r[1:] for r in wb["Donneurs d'ordre"].iter_rows(min_row=3, values_only=True) if r[0]
    }
    assert lignes == {"Ville d'Azur": ("< 3", "< 3")}
    texte = texte_pdf(bilan.pdf(2025, jeu["a"]))
    assert "Marchés de Ville d'Azur" in texte
    assert "Bailleur Bleu" not in texte
    assert "270 h" in texte
    assert "< 3" in texte


def test_annee_sans_donnees_donne_un_bilan_qui_le_dit(jeu):
    texte = texte_pdf(bilan.pdf(2026))
    assert "Aucune heure validée ni sortie" in texte


def test_commande(jeu, tmp_path):
    sortie = io.StringIO()
    fichier = tmp_path / "b.xlsx"
    call_command(
        "bilan", "--annee", "2025", "--format", "xlsx", "--out", str(fichier), stdout=sortie
    )
    assert "Bilan 2025 écrit" in sortie.getvalue()
    wb = load_workbook(fichier)
    assert wb["Chiffres clés"]["B3"].value == 350
    fichier = tmp_path / "b.pdf"
    call_command(
        "bilan",
        "--annee",
        "2025",
        "--donneur-ordre",
        str(jeu["b"].pk),
        "--out",
        str(fichier),
        stdout=sortie,
    )
    assert "Bailleur Bleu" in texte_pdf(fichier.read_bytes())


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--annee", "2025", "--donneur-ordre", "999999"], "Donneur d'ordre inconnu"),
        (["--annee", "1990"], "Année 1990 hors des données"),
    ],
)
def test_commande_erreurs(jeu, tmp_path, arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("bilan", *arguments, "--out", str(tmp_path / "x.pdf"))
    assert not (tmp_path / "x.pdf").exists()


def test_cellules_excel_du_bilan():
    assert bilan._cellule_excel("< 3", bilan.HEURES) == "< 3"  # a masked figure stays text
    assert bilan._cellule_excel(Decimal("50"), bilan.POURCENT) == excel.Pourcentage(Decimal("50"))
    cellule = bilan._cellule_excel(Decimal("1.50"), bilan.HEURES)
    assert (cellule.valeur, cellule.styles) == (Decimal("1.50"), {"number_format": "#,##0.00"})


# --- from the browser ---------------------------------------------------------------------


@override_settings(
    TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
)
def test_bilan_demande_depuis_le_navigateur(jeu, client_for):
    from django.urls import reverse

    from mife.models import DemandeBilan

    client = client_for("direction")
    reponse = client.post(reverse("bilan"), {"annee": 2025, "format": "xlsx"})
    demande = DemandeBilan.objects.get()
    assert reponse.url == reverse("bilan_detail", args=[demande.pk])
    assert demande.statut == "terminee" and demande.progression == 100  # immediate backend
    page = client.get(reverse("bilan_progression", args=[demande.pk])).content.decode()
    assert "100 %" in page and reverse("bilan_fichier", args=[demande.pk]) in page
    fichier = client.get(reverse("bilan_fichier", args=[demande.pk]))
    contenu = b"".join(fichier.streaming_content)
    assert load_workbook(io.BytesIO(contenu))["Chiffres clés"]["B3"].value == 350
    assert 'filename="bilan-2025.xlsx"' in fichier["Content-Disposition"]


def test_bilan_navigateur_mauvaise_saisie(jeu, client_for):
    from django.urls import reverse

    from mife.models import DemandeBilan

    client = client_for("facilitateur")
    page = client.post(reverse("bilan"), {"annee": 1990, "format": "pdf", "donneur_ordre": 999999})
    texte = page.content.decode()
    assert "Année 1990 hors des données" in texte
    assert "Donneur d&#x27;ordre : ce choix n&#x27;existe pas ou ne vous est pas proposé" in texte
    assert not DemandeBilan.objects.exists()


def test_bilan_refuse_sans_droit(client_for):
    from django.urls import reverse

    assert client_for("suivi").get(reverse("bilan")).status_code == 403


def test_liste_des_bilans_nombre_de_requetes_constant(client_for, django_assert_max_num_queries):
    from django.urls import reverse

    from mife.models import DemandeBilan

    client = client_for("direction")
    acheteur = jeu_bilan.f.DonneurOrdreFactory()
    for annee in range(2010, 2020):
        DemandeBilan.objects.create(
            annee=annee, format="pdf", donneur_ordre=acheteur, demandee_par=client.user
        )
    with django_assert_max_num_queries(12):
        page = client.get(reverse("bilan"))
    assert page.content.decode().count("Bilan 201") == 10
