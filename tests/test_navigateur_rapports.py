"""Browser test: a facilitator sends a progress report to a buyer; the e-mail is in the
outbox with both files and the log lists it, its PDF re-downloadable as sent."""

import pytest
from django.core import mail

from mife.models import RapportDonneur
from tests import jeu_bilan
from tests.choix_navigateur import choisir

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_envoi_d_un_rapport_au_donneur_d_ordre(make_user, connexion):
    jeu = jeu_bilan.construire()
    make_user("facilitateur", username="fanny", first_name="Fanny", last_name="Girard")
    page = connexion("fanny")
    base = page.live_server_url

    page.goto(f"{base}/indicateurs/?annee=2025")
    page.get_by_role("link", name="Rapports aux donneurs d'ordre").click()
    page.wait_for_url("**/rapports/")
    marche = jeu["la"].marche
    choisir(page, "Marché", marche.reference, str(marche))
    page.get_by_label("Période").fill("T1 2025")
    page.get_by_label("Message").fill("Bonjour, voici le point trimestriel de la clause.")
    page.get_by_role("button", name="Envoyer le rapport").click()
    page.wait_for_url("**/rapports/")
    assert f"Rapport envoyé à {jeu['a'].contact_email}" in page.locator(".messages").inner_text()

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [jeu["a"].contact_email]
    assert len(mail.outbox[0].attachments) == 2
    rapport = RapportDonneur.objects.get()
    assert rapport.envoye_par.username == "fanny"
    ligne = page.locator("table tbody tr").first
    assert "T1 2025" in ligne.inner_text() and "270 h" in ligne.inner_text()
    with page.expect_download() as telechargement:
        ligne.get_by_role("link", name="PDF").click()
    chemin = telechargement.value.path()
    with open(chemin, "rb") as fichier:
        assert fichier.read() == mail.outbox[0].attachments[0][1]
