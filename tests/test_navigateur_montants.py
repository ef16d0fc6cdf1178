"""Browser test of the amounts on the lot page: typed with spaces and « € », the « montant HT
retenu » following the lot's amount while the user types, the calculator reading them, a bad
amount refused with a message naming the field."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from marches.models import Lot
from mife import roles
from tests.choix_navigateur import choisir
from tests.factories import EntrepriseFactory, MarcheFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_montants_du_lot_saisis_a_la_francaise(make_user, connexion, tmp_path):
    make_user(roles.FACILITATEUR, username="fanny", first_name="Fanny", last_name="Girard")
    marche = MarcheFactory(reference="2026-VB-043", nature="travaux", date_notification=None)
    EntrepriseFactory(raison_sociale="Bâtiments du Lion SARL")
    page = connexion("fanny")
    page.goto(f"{page.live_server_url}/marches/{marche.pk}/lots/nouveau/")

    page.get_by_label("N° de lot").fill("01")
    page.get_by_label("Intitulé").fill("Gros œuvre")
    page.get_by_label("Début d'exécution").fill("2026-03-01")
    page.get_by_label("Fin d'exécution").fill("2027-12-31")
    choisir(page, "Titulaire", "lion", "Bâtiments du Lion SARL")
    # The lot's amount, typed the French way: the amount used by the calculator follows it.
    montant_lot = page.get_by_label("Montant HT (€)", exact=True)
    retenu = page.get_by_label("Montant HT retenu (€)")
    montant_lot.press_sequentially("1 250 000,50 €")
    assert retenu.input_value() == "1 250 000,50 €"
    assert montant_lot.get_attribute("inputmode") == "decimal"
    page.get_by_label("Part de main-d'œuvre (%)").fill("50")
    page.get_by_label("Taux d'insertion (%)").fill("5")
    page.get_by_label("Coût horaire chargé (€)").fill("30,00 €")
    # Each keystroke asks the server again; while a request runs, only the last keystroke is
    # queued (hx-sync « queue last »), so the result settles on the full amount instead of a
    # stale « 1,00 € ».
    resultat = page.locator("#resultat-calcul")
    expect(resultat).to_contain_text(re.compile(r"1\s042\sh"))
    expect(resultat).to_contain_text(re.compile(r"1\s250\s000,50\s€ × 50\s% × 5\s% ÷ 30,00\s€/h"))
    # Typed by hand, the retained amount no longer follows the lot's.
    retenu.fill("1 000 000")
    montant_lot.fill("")
    montant_lot.press_sequentially("2 000 000")
    assert retenu.input_value() == "1 000 000"

    # A bad amount: refused, the message names the field, nothing is saved.
    montant_lot.fill("deux millions")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_load_state()
    erreur = page.locator("#id_montant_ht_error")
    assert "« deux millions » n'est pas un montant." in erreur.inner_text()
    resume = page.locator("[id^=resume-erreurs]")
    assert "Montant HT (€) : « deux millions » n'est pas un montant." in resume.inner_text()
    assert not Lot.objects.filter(marche=marche).exists()
    page.locator("#id_montant_ht").scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "lot-montant-invalide.png"))

    page.get_by_label("Montant HT (€)", exact=True).fill("1\u202f250\u202f000,50 €")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/marches/lots/*/")
    lot = Lot.objects.get(marche=marche)
    assert lot.montant_ht == Decimal("1250000.50")
    assert lot.clause.montant_base == Decimal("1000000")
