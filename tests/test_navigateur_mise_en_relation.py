"""Browser test of the « mise en relation »: a company's need → a proposed participant →
interview → retained → the mission created in one click."""

import datetime as dt

import pytest

from heures.models import (
    BesoinRecrutement,
    CritereEligibilite,
    Mission,
    Proposition,
    StatutBesoin,
    StatutProposition,
)
from mife import roles
from tests.factories import (
    CritereParticipantFactory,
    EntrepriseFactory,
    LotFactory,
    ParticipantFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_du_besoin_a_la_mission(make_user, connexion):
    make_user(roles.FACILITATEUR, username="fanny", first_name="Fanny", last_name="Girard")
    titulaire = EntrepriseFactory(raison_sociale="Bâtiments du Lion SARL")
    lot = LotFactory(
        titulaire=titulaire,
        intitule="Gros œuvre",
        marche__reference="2025-VB-031",
        marche__date_notification=dt.date(2024, 11, 1),
        date_debut=dt.date(2025, 1, 1),
        date_fin=dt.date(2026, 12, 31),
    )
    lea = ParticipantFactory(nom="Durand", prenom="Léa", commune="Belfort", sexe="F")
    CritereParticipantFactory(
        participant=lea,
        critere=CritereEligibilite.objects.get(code="rsa"),
        date_validation=dt.date(2024, 6, 1),
        date_fin_validite=None,
    )
    ailleurs = ParticipantFactory(nom="Marchal", prenom="Hugo", commune="Montbéliard")
    CritereParticipantFactory(
        participant=ailleurs,
        critere=CritereEligibilite.objects.get(code="deld"),
        date_validation=dt.date(2024, 6, 1),
        date_fin_validite=None,
    )
    page = connexion("fanny")
    base = page.live_server_url

    # 1. The company's need, recorded from the lot's page (lot and company prefilled).
    page.goto(f"{base}{lot.get_absolute_url()}")
    page.get_by_role("link", name="Nouveau besoin de recrutement").click()
    page.wait_for_url("**/heures/besoins/nouveau/?lot=*")
    entreprise = page.get_by_role("combobox", name="Entreprise")
    assert entreprise.input_value() == "Bâtiments du Lion SARL"
    page.locator("#id_poste").fill("Maçon coffreur")
    page.locator("#id_nombre_postes").fill("1")
    page.locator("#id_date_debut").fill("2025-03-03")
    page.locator("#id_date_fin").fill("2025-08-29")
    page.locator("#id_commune").fill("Belfort")
    page.locator("#id_exigences").fill("Port de charges ; permis B apprécié.")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/heures/besoins/*/")
    assert "enregistré" in page.locator(".messages").inner_text()
    besoin = BesoinRecrutement.objects.get()
    assert besoin.entreprise == titulaire and besoin.lot == lot
    assert page.get_by_role("heading", level=1).inner_text().startswith("Besoin : Maçon coffreur")

    # 2. Participants eligible on the first day, searched by commune; Léa is proposed.
    recherche = page.get_by_role("form", name="Rechercher des participants à proposer")
    recherche.get_by_label("Commune").fill("Belfort")
    recherche.get_by_role("button", name="Rechercher").click()
    page.wait_for_url("**commune=Belfort**")
    candidats = page.locator("#candidats")
    assert "DURAND Léa" in candidats.inner_text()
    assert "Bénéficiaire du RSA" in candidats.inner_text()
    assert "MARCHAL" not in candidats.inner_text()
    page.get_by_role("button", name="Proposer DURAND Léa").click()
    page.wait_for_load_state()
    assert "DURAND Léa proposée pour ce besoin." in page.locator(".messages").inner_text()
    proposition = Proposition.objects.get()
    ligne = page.locator(f"#proposition-{proposition.pk}")
    assert "Proposé" in ligne.inner_text()

    # 3. Interview, then retained: the need (one post) is filled.
    ligne.get_by_role("button", name="Passer en entretien : DURAND Léa").click()
    page.wait_for_load_state()
    ligne = page.locator(f"#proposition-{proposition.pk}")
    assert "Entretien" in ligne.locator(".badge").inner_text()
    ligne.get_by_role("button", name="Retenir : DURAND Léa", exact=True).click()
    page.wait_for_load_state()
    ligne = page.locator(f"#proposition-{proposition.pk}")
    assert ligne.locator(".badge").inner_text() == "Retenu"
    assert page.locator("h1 + .badge, h1 ~ .badge").first.inner_text() == "Pourvu"
    besoin.refresh_from_db()
    assert besoin.statut == StatutBesoin.POURVU

    # 4. One click: the mission, prefilled from the need.
    ligne.get_by_role("button", name="Créer la mission : DURAND Léa").click()
    page.wait_for_url("**/heures/missions/*/")
    mission = Mission.objects.get()
    assert page.get_by_role("heading", level=1).inner_text() == f"Mission {mission.reference}"
    assert mission.reference == "MIS-2025-0001"
    contenu = page.locator("main").inner_text()
    assert "DURAND Léa" in contenu
    assert "2025-VB-031 lot" in contenu and "Gros œuvre" in contenu
    assert "Bâtiments du Lion SARL" in contenu
    assert "Maçon coffreur" in contenu and "03/03/2025" in contenu
    assert (
        "créée pour DURAND Léa chez Bâtiments du Lion SARL"
        in page.locator(".messages").inner_text()
    )
    proposition.refresh_from_db()
    assert proposition.statut == StatutProposition.RETENU and proposition.mission == mission

    # 5. Back on the need, the proposal links its mission.
    page.goto(f"{base}{besoin.get_absolute_url()}")
    page.get_by_role("link", name=f"Mission {mission.reference}").click()
    page.wait_for_url(f"**{mission.get_absolute_url()}")
