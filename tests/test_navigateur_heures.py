"""Browser test of a month's hours: entry, submission, validation, attestation, verification."""

import datetime as dt
from decimal import Decimal

import pytest

from heures.models import Attestation, DeclarationMensuelle, StatutDeclaration
from mife import roles
from tests.choix_navigateur import choisir
from tests.factories import ClauseFactory, MissionFactory, ParticipantFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_saisie_soumission_validation_attestation_verification(make_user, connexion, navigateur):
    lot = ClauseFactory(
        heures_requises=Decimal("400"),
        lot__date_debut=dt.date(2026, 1, 5),
        lot__date_fin=dt.date(2027, 6, 30),
        lot__marche__date_notification=dt.date(2025, 12, 1),
    ).lot
    mission = MissionFactory(
        lot=lot,
        employeur=lot.titulaire,
        participant=ParticipantFactory(nom="Zébulon", prenom="Awa"),
        date_debut=dt.date(2026, 2, 1),
        date_fin=dt.date(2026, 12, 31),
    )
    make_user(roles.FACILITATEUR, username="fanny", first_name="Fanny")
    make_user(roles.SUIVI, username="sandrine", first_name="Sandrine")

    # The facilitator opens March 2026 for the company and lot, and types the hours.
    page = connexion("fanny")
    page.goto(f"{page.live_server_url}/heures/declarations/saisir/")
    choisir(page, "Entreprise", str(lot.titulaire)[:6], str(lot.titulaire))
    choisir(page, "Lot", lot.marche.reference, str(lot))
    page.locator("#id_mois").fill("2026-03")
    page.get_by_role("button", name="Ouvrir la saisie").click()
    page.wait_for_url("**/saisie/")
    case = page.get_by_label(f"Heures de {mission.reference}")
    case.fill("7h30")
    case.press("Tab")
    page.locator("#total-declaration", has_text="7,5 h").wait_for()
    case = page.get_by_label(f"Heures de {mission.reference}")
    case.fill("120,5")
    case.press("Tab")
    page.locator("#total-declaration", has_text="120,5 h").wait_for()
    page.get_by_role("button", name="Soumettre pour validation").click()
    page.wait_for_load_state()
    assert "Déclaration soumise" in page.locator(".messages").inner_text()
    declaration = DeclarationMensuelle.objects.get()
    assert declaration.statut == StatutDeclaration.SOUMISE
    page.locator("#menu-utilisateur").click()
    page.get_by_role("button", name="Se déconnecter").click()

    # The admin staff validates: the attestation is issued.
    page = connexion("sandrine")
    page.goto(f"{page.live_server_url}/heures/declarations/{declaration.pk}/saisie/")
    page.get_by_role("button", name="Valider et émettre l'attestation").click()
    page.wait_for_load_state()
    message = page.locator(".messages").inner_text()
    assert "Déclaration validée — attestation ATT-2026-03-00001 émise." in message
    attestation = Attestation.objects.get()
    with page.expect_download() as attente:
        page.get_by_role("link", name="Télécharger le PDF").click()
    assert attente.value.suggested_filename == "ATT-2026-03-00001.pdf"

    # Anyone holding the paper checks it on the public page, without logging in.
    anonyme = navigateur.new_context(locale="fr-FR")
    verification = anonyme.new_page()
    verification.goto(f"{page.live_server_url}/verifier/{attestation.code_verification}/")
    texte = verification.locator("main").inner_text()
    assert "Attestation valide" in texte
    assert "ATT-2026-03-00001" in texte
    assert "120,5 h" in texte
    assert "Zébulon" not in texte
    anonyme.close()
