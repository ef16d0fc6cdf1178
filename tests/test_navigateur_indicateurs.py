"""Browser test: the indicators page shows the first companies and a line summing the
others; its link opens the complete breakdown with the same filters, then its second page."""

import pytest

from tests import jeu_bilan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def jeu_avec_beaucoup_d_entreprises():
    jeu = jeu_bilan.construire()
    jeu_bilan.ajouter_entreprises(jeu, 30)  # 32 companies in all
    return jeu


def ouvrir_la_liste_complete(page):
    """From the page (2025, travaux) to the second page of the complete list of companies."""
    base = page.live_server_url
    page.goto(f"{base}/indicateurs/?annee=2025&nature=travaux")
    tableau = page.locator("table", has=page.locator("caption", has_text="Par entreprise"))
    assert tableau.locator("tbody tr").count() == 16  # 15 companies + the summary line
    reste = tableau.locator("tr.ligne-reste")
    assert reste.locator("th").inner_text() == "… et 16 autres entreprises"
    assert reste.locator("td").last.inner_text() == "136 h"  # 16 + 15 + … + 1
    reste.get_by_role("link").click()
    page.wait_for_url("**/indicateurs/ventilation/entreprises/?annee=2025&nature=travaux")
    assert (
        page.get_by_role("heading", level=1)
        .inner_text()
        .startswith("Heures par entreprise — année 2025")
    )
    assert page.locator("table tbody tr").count() == 25
    page.get_by_role("link", name="Suivante ›").click()
    page.wait_for_url("**page=2**")
    assert "nature=travaux" in page.url
    assert page.locator("table tbody tr").count() == 6  # 31 travaux companies: 25 + 6
    assert page.locator("table tfoot").inner_text().split() == [
        "Total", "(31", "lignes)", "735", "h"
    ]  # fmt: skip


def test_liste_complete_des_entreprises_depuis_la_page(make_user, connexion):
    jeu_avec_beaucoup_d_entreprises()
    make_user("direction", username="diane")
    page = connexion("diane")
    ouvrir_la_liste_complete(page)
