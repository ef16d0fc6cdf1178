"""Browser test of a search-as-you-type field (issue 15): type « genera » in the company
field, see « Générale … », pick it with the keyboard, then a lot of that company only, and
open the month's hours."""

import datetime as dt
from decimal import Decimal

import pytest

from entreprises.models import Entreprise
from heures.models import DeclarationMensuelle
from mife import roles
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_choisir_une_entreprise_et_un_de_ses_lots_au_clavier(make_user, connexion, tmp_path):
    lot = f.ClauseFactory(
        heures_requises=Decimal("300"),
        lot__date_debut=dt.date(2026, 1, 5),
        lot__date_fin=dt.date(2027, 6, 30),
        lot__marche__date_notification=dt.date(2025, 12, 1),
        lot__titulaire__raison_sociale="Générale du Bâtiment",
        lot__titulaire__commune="Belfort",
    ).lot
    f.MissionFactory(
        lot=lot,
        employeur=lot.titulaire,
        date_debut=dt.date(2026, 2, 1),
        date_fin=dt.date(2026, 12, 31),
    )
    autre_lot = f.LotFactory(intitule="Lot d'une autre entreprise")
    Entreprise.objects.bulk_create(
        f.EntrepriseFactory.build(raison_sociale=f"Entreprise {i:03d}") for i in range(300)
    )
    make_user(roles.FACILITATEUR, username="fanny")

    page = connexion("fanny")
    page.goto(f"{page.live_server_url}/heures/declarations/saisir/")
    assert page.locator("option").count() <= 2  # no list of 300 companies in the page

    entreprise = page.get_by_role("combobox", name="Entreprise")
    assert entreprise.get_attribute("aria-expanded") == "false"
    entreprise.press_sequentially("genera", delay=30)
    liste = page.locator(f"#{entreprise.get_attribute('aria-controls')}")
    suggestion = liste.get_by_role("option").first
    suggestion.wait_for()
    assert suggestion.inner_text().startswith("Générale du Bâtiment")
    assert "Belfort" in suggestion.inner_text()  # the detail: identifier and town
    assert entreprise.get_attribute("aria-expanded") == "true"
    entreprise.press("ArrowDown")
    assert entreprise.get_attribute("aria-activedescendant") == suggestion.get_attribute("id")
    assert suggestion.get_attribute("aria-selected") == "true"
    page.screenshot(path=str(tmp_path / "choix-entreprise.png"))
    entreprise.press("Enter")
    assert entreprise.input_value() == "Générale du Bâtiment"
    assert entreprise.get_attribute("aria-expanded") == "false"

    # The lot field offers the chosen company's lots only.
    lots = page.get_by_role("combobox", name="Lot")
    lots.focus()
    lots.press("ArrowDown")
    liste_lots = page.locator(f"#{lots.get_attribute('aria-controls')}")
    liste_lots.get_by_role("option").first.wait_for()
    textes = liste_lots.get_by_role("option").all_inner_texts()
    assert len(textes) == 1 and textes[0].startswith(str(lot))
    assert str(autre_lot) not in " ".join(textes)
    lots.press("Escape")
    assert lots.get_attribute("aria-expanded") == "false"
    lots.press("ArrowDown")
    liste_lots.get_by_role("option").first.wait_for()
    lots.press("ArrowDown")
    lots.press("Enter")
    assert lots.input_value() == str(lot)

    page.get_by_label("Mois").fill("2026-03")
    page.get_by_role("button", name="Ouvrir la saisie").click()
    page.wait_for_url("**/saisie/")
    declaration = DeclarationMensuelle.objects.get()
    assert (declaration.entreprise, declaration.lot) == (lot.titulaire, lot)
