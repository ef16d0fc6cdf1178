"""Browser test of the contracts area: operation → contract → lot with the hours calculator,
the lot in the filtered list, and the clause annex downloaded."""

import io
import re
from pathlib import Path

import pytest
from docx import Document
from playwright.sync_api import expect

from marches.models import Lot
from mife import roles
from tests.choix_navigateur import choisir
from tests.factories import DonneurOrdreFactory, EntrepriseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_operation_marche_lot_calculateur_liste_et_annexe(make_user, connexion):
    make_user(roles.FACILITATEUR, username="fanny", first_name="Fanny", last_name="Girard")
    DonneurOrdreFactory(nom="Ville de Belfort")
    EntrepriseFactory(raison_sociale="Bâtiments du Lion SARL")
    page = connexion("fanny")
    base = page.live_server_url

    # 1. A new operation.
    page.goto(f"{base}/marches/operations/nouvelle/")
    choisir(page, "Donneur d'ordre", "belfort", "Ville de Belfort")
    page.get_by_label("Nom").fill("Rénovation du groupe scolaire Louis Pergaud")
    page.get_by_label("Commune").fill("Belfort")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/marches/operations/*/")
    assert "enregistré" in page.locator(".messages").inner_text()

    # 2. A contract of this operation, from the operation page.
    page.get_by_role("link", name="Nouveau marché").click()
    page.get_by_label("Référence").fill("2026-VB-042")
    page.get_by_label("Objet").fill("Travaux de rénovation énergétique")
    page.get_by_label("Nature").select_option("travaux")
    page.get_by_label("Code CPV").fill("45214200-2")
    page.get_by_label("Montant HT (€)").fill("1000000")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/marches/*/")
    assert "45214200-2" in page.content()

    # 3. A lot with its clause: the calculator shows the hours while typing.
    page.get_by_role("link", name="Nouveau lot").click()
    page.get_by_label("N° de lot").fill("01")
    page.get_by_label("Intitulé").fill("Gros œuvre")
    page.get_by_label("Début d'exécution").fill("2026-03-01")
    page.get_by_label("Fin d'exécution").fill("2027-12-31")
    choisir(page, "Titulaire", "batiments du lion", "Bâtiments du Lion SARL")
    page.get_by_label("Montant HT retenu (€)").fill("1000000")
    page.get_by_label("Part de main-d'œuvre (%)").fill("50")
    page.get_by_label("Taux d'insertion (%)").fill("5")
    page.get_by_label("Coût horaire chargé (€)").fill("30")
    resultat = page.locator("#resultat-calcul")
    expect(resultat).to_contain_text(re.compile(r"833\sh"))
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/marches/lots/*/")
    assert "833 h d'insertion requises" in page.locator(".messages").inner_text()
    lot = Lot.objects.get(numero="01", marche__reference="2026-VB-042")
    assert lot.clause.heures_requises == 833
    assert lot.clause.heures_calculees == 833

    # 4. The lot in the list filtered by its buyer.
    page.goto(f"{base}/marches/lots/")
    choisir(page, "Donneur d'ordre", "belfort", "Ville de Belfort")
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_load_state()
    tableau = page.locator("table.table-liste")
    assert "2026-VB-042 lot 01 — Gros œuvre" in tableau.inner_text()
    assert tableau.locator("tbody tr").count() == 1

    # 5. The clause annex, as a Word document, names the article and the hours.
    page.goto(f"{base}{lot.get_absolute_url()}")
    with page.expect_download() as attente:
        page.get_by_role("link", name="Annexe clause (Word)").click()
    telechargement = attente.value
    assert telechargement.suggested_filename.endswith(".docx")
    document = Document(io.BytesIO(Path(telechargement.path()).read_bytes()))
    texte = "\n".join(p.text for p in document.paragraphs)
    assert "L2112-2" in texte
    assert "833 h" in texte
    assert "Fanny Girard" in texte
