"""The long breakdowns of the indicators page are bounded: the first rows, a line summing the
others (rows and hours, never people), a link to the complete breakdown with the same filters
(paginated, Excel); the page reads the same number of queries whatever the companies."""

import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from mife import ventilations
from mife.indicateurs import Ligne
from tests import jeu_bilan

pytestmark = pytest.mark.django_db


@pytest.fixture
def jeu():
    return jeu_bilan.construire()


@pytest.fixture
def beaucoup(jeu):
    # Companies: Bâtir Azur 270 h, Nettoyage Bleu 80 h, Extra 18 … Extra 01 (18 h … 1 h).
    jeu_bilan.ajouter_entreprises(jeu, 18)
    return jeu


def tableau(page: str, titre: str) -> str:
    debut = page.index(f">{titre}</caption>")
    return page[debut : page.index("</table>", debut)]


def test_page_montre_les_premieres_lignes_et_resume_les_autres(beaucoup, client_for):
    page = client_for("facilitateur").get(reverse("indicateurs"), {"annee": 2025})
    html = page.content.decode()
    entreprises = tableau(html, "Par entreprise")
    # 15 rows: 270 h, 80 h, then Extra 18 … Extra 06; Extra 05 … Extra 01 are summed.
    corps = entreprises[entreprises.index("<tbody>") :]
    assert corps.count("<tr>") == ventilations.LIMITE == 15
    assert "Extra 06" in entreprises and "Extra 05" not in entreprises
    reste = entreprises[entreprises.index('class="ligne-reste"') :]
    assert "… et 5 autres entreprises" in reste
    assert "15 h" in reste  # 5 + 4 + 3 + 2 + 1
    # No sum of people: a person may count in several rows.
    assert re.search(r'<td class="text-end" title="[^"]*">—</td>', reste)
    lien = reverse("indicateurs_ventilation", args=["entreprises"]) + "?annee=2025"
    assert f'href="{lien}"' in reste
    # Short breakdowns are whole, without a summary line.
    assert "ligne-reste" not in tableau(html, "Par donneur d&#x27;ordre")


def test_le_lien_mene_a_la_liste_complete_avec_les_memes_filtres(beaucoup, client_for):
    client = client_for("facilitateur")
    page = client.get(reverse("indicateurs"), {"annee": 2025, "nature": "travaux"})
    html = page.content.decode()
    reste = tableau(html, "Par entreprise")
    lien = re.search(r'<a href="([^"]+)">… et', reste).group(1).replace("&amp;", "&")
    assert lien == reverse("indicateurs_ventilation", args=["entreprises"]) + (
        "?annee=2025&nature=travaux"
    )
    complete = client.get(lien).content.decode()
    assert "Heures par entreprise — année 2025" in complete
    # Every company of the filtered perimeter (travaux: not Nettoyage Bleu, on services).
    for i in range(1, 19):
        assert f"Extra {i:02}" in complete
    assert "Bâtir Azur" in complete and "Nettoyage Bleu" not in complete
    assert "Total (19 lignes)" in complete
    assert "441 h" in complete  # 270 + 171
    assert reverse("entreprises:detail", args=[beaucoup["la"].titulaire.pk]) in complete
    # Back to the page with the same filters.
    assert f'href="{reverse("indicateurs")}?annee=2025&amp;nature=travaux"' in complete


def test_liste_complete_paginee(jeu, client_for):
    jeu_bilan.ajouter_entreprises(jeu, 30)  # 32 companies: 25 + 7
    client = client_for("direction")
    url = reverse("indicateurs_ventilation", args=["entreprises"])
    premiere = client.get(url, {"annee": 2025}).content.decode()
    assert "Page 1 sur 2" in premiere
    assert "Extra 30" in premiere and "Extra 01" not in premiere
    seconde = client.get(url, {"annee": 2025, "page": 2}).content.decode()
    assert "Extra 01" in seconde and "Extra 30" not in seconde
    assert "Total (32 lignes)" in seconde
    # The direction reads aggregates only: no list of people behind a row.
    assert reverse("heures:participant_liste") not in premiere + seconde


def test_export_excel_de_la_liste_complete(beaucoup, client_for):
    url = reverse("indicateurs_ventilation", args=["entreprises"])
    reponse = client_for("direction").get(url, {"annee": 2025, "export": "xlsx"})
    assert reponse["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "heures-par-entreprise-20250101-20251231.xlsx" in reponse["Content-Disposition"]
    feuille = load_workbook(io.BytesIO(reponse.content)).active
    lignes = list(feuille.iter_rows(values_only=True))
    assert lignes[0] == ("Entreprise", "Personnes", "Heures")
    assert len(lignes) == 1 + 20
    assert lignes[1] == ("Bâtir Azur", 2, 270)
    assert lignes[-1] == ("Extra 01", 1, 1)


def test_ventilation_inconnue_et_filtres_invalides(jeu, client_for):
    client = client_for("direction")
    assert client.get(reverse("indicateurs_ventilation", args=["inconnue"])).status_code == 404
    reponse = client.get(reverse("indicateurs_ventilation", args=["cpv"]), {"debut": "2025-05-01"})
    assert reponse.status_code == 302
    assert reponse["Location"].startswith(reverse("indicateurs") + "?debut=2025-05-01")


def test_liste_complete_refusee_sans_droit(jeu, client_for):
    url = reverse("indicateurs_ventilation", args=["entreprises"])
    assert client_for("suivi").get(url).status_code == 403


def test_page_nombre_de_requetes_constant_avec_plus_d_entreprises(
    jeu, client_for, django_assert_max_num_queries
):
    client = client_for("direction")
    url = reverse("indicateurs")
    client.get(url, {"annee": 2025})  # warm caches (session, permissions)
    with CaptureQueriesContext(connection) as avant:
        client.get(url, {"annee": 2025})
    jeu_bilan.ajouter_entreprises(jeu, 40)
    with django_assert_max_num_queries(len(avant)):
        page = client.get(url, {"annee": 2025}).content.decode()
    assert "… et 27 autres entreprises" in page  # 42 companies: 15 shown


def test_le_resume_ne_revele_pas_un_effectif_masque():
    # Hours 100, 99 … 81: the five summed rows have 85 + 84 + 83 + 82 + 81 = 415 h.
    lignes = [Ligne(str(i), f"L{i}", 5, Decimal(100 - i)) for i in range(20)]
    visibles, reste = ventilations.tronquer(lignes, "lignes", masquer=True, limite=15)
    assert len(visibles) == 15
    assert (reste.nombre, reste.heures, reste.libelle) == (5, Decimal(415), "… et 5 autres lignes")
    # One of the summed rows has 2 people: its hours are hidden in the full list, so the
    # summary line gives no hours (they would follow by subtraction).
    lignes[17].personnes = 2
    assert ventilations.tronquer(lignes, "lignes", masquer=True, limite=15)[1].heures is None
    # Where counts are not masked, the hours are shown.
    assert ventilations.tronquer(lignes, "lignes", limite=15)[1].heures == Decimal(415)


def test_une_seule_ligne_de_trop_est_montree_plutot_que_resumee():
    lignes = [Ligne(str(i), f"L{i}", 5, Decimal(1)) for i in range(16)]
    assert ventilations.tronquer(lignes, "lignes", limite=15) == (lignes, None)
    assert len(ventilations.tronquer([*lignes, lignes[0]], "lignes", limite=15)[0]) == 15


def test_ligne_resume_masquee_dans_le_gabarit():
    from django.template.loader import render_to_string

    lignes = [Ligne(str(i), f"L{i}", 5, Decimal(100)) for i in range(15)]
    reste = ventilations.Reste(3, None, "… et 3 autres lignes", "/x/")
    html = render_to_string(
        "mife/_tableau_indicateur.html",
        {"titre": "Essai", "lignes": lignes, "reste": reste, "masquer": True},
    )
    ligne_reste = html[html.index("ligne-reste") :]
    assert '<a href="/x/">… et 3 autres lignes</a>' in ligne_reste
    assert " h<" not in ligne_reste  # neither hours nor people
