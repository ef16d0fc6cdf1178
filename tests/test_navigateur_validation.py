"""Browser test of the validation screen: the suivi sees the anomalies of a declaration."""

import datetime as dt
import os
from decimal import Decimal

import pytest

from heures.models import StatutDeclaration
from mife import roles
from tests.factories import (
    ClauseFactory,
    DeclarationMensuelleFactory,
    LigneDeclarationFactory,
    MissionFactory,
    ParticipantFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_le_suivi_voit_l_alerte_d_une_declaration_soumise(make_user, connexion):
    lot = ClauseFactory(
        heures_requises=Decimal("800"),
        lot__date_debut=dt.date(2026, 1, 1),
        lot__date_fin=dt.date(2026, 12, 31),
    ).lot
    mission = MissionFactory(
        lot=lot,
        employeur=lot.titulaire,
        reference="M-ALERTE",
        participant=ParticipantFactory(nom="Zébulon", prenom="Awa"),
        date_debut=dt.date(2026, 1, 1),
        date_fin=dt.date(2026, 12, 31),
    )
    declaration = DeclarationMensuelleFactory(
        lot=lot, mois=dt.date(2026, 3, 1), statut=StatutDeclaration.SOUMISE
    )
    LigneDeclarationFactory(declaration=declaration, mission=mission, heures=Decimal("170"))
    make_user(roles.SUIVI, username="sandrine", first_name="Sandrine")

    page = connexion("sandrine")
    page.goto(f"{page.live_server_url}/heures/declarations/{declaration.pk}/saisie/")

    resume = page.locator("#resume-anomalies")
    assert "1 alerte à examiner" in resume.inner_text()
    assert "au-delà du seuil d'alerte de 151,67 h" in resume.inner_text()
    ligne = page.locator(f"#ligne-{mission.pk}")
    assert "Attention : 170 h dans le mois" in ligne.inner_text()
    # The summary links to the line, and the validation stays possible.
    resume.get_by_role("link", name="M-ALERTE").click()
    assert page.url.endswith(f"#ligne-{mission.pk}")
    assert page.get_by_role("button", name="Valider et émettre l'attestation").is_visible()
    capture = os.environ.get("CAPTURE_VALIDATION")
    if capture:
        page.goto(f"{page.live_server_url}/heures/declarations/{declaration.pk}/saisie/")
        page.screenshot(path=capture, full_page=True)
