"""Browser tests of the pages made to scale: the month board paginated by the database, and a
company page whose table of lots is bounded with a link to the full filtered list."""

import datetime as dt
import os
from decimal import Decimal

import pytest

from mife import roles
from mife.core.fiches import LIMITE_TABLEAU
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CAPTURES = os.environ.get("CAPTURES_NAVIGATEUR", "")


def _capture(page, nom):
    if CAPTURES:
        page.screenshot(path=os.path.join(CAPTURES, nom), full_page=True)


def test_tableau_du_mois_pagine_et_recherche_sans_accents(make_user, connexion):
    lot = f.LotFactory(date_debut=dt.date(2025, 1, 1), date_fin=dt.date(2026, 12, 31))
    for i in range(55):
        employeur = f.EntrepriseFactory(raison_sociale=f"Entreprise {i:02d}")
        mission = f.MissionFactory(
            lot=lot, employeur=employeur, date_debut=dt.date(2025, 3, 1), date_fin=None
        )
        if i % 5:
            d = f.DeclarationMensuelleFactory(
                lot=lot, entreprise=employeur, mois=dt.date(2025, 6, 1), validee=True
            )
            f.LigneDeclarationFactory(declaration=d, mission=mission, heures=Decimal("12.5"))
    f.EntrepriseFactory._meta.model.objects.filter(raison_sociale="Entreprise 15").update(
        raison_sociale="Menuiserie Œuvre Élan"
    )
    make_user(roles.SUIVI, username="sandrine")
    page = connexion("sandrine")
    page.goto(f"{page.live_server_url}/heures/mois/?mois=2025-06")
    lignes = page.locator("table.table-liste tbody tr")
    assert lignes.count() == 50
    assert "55" in page.get_by_role("heading", level=1).inner_text()
    assert lignes.first.locator("td").first.inner_text() == "Entreprise 00"
    _capture(page, "tableau-mois.png")
    suivante = page.get_by_role("link", name="Suivante ›")
    suivante.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**page=2**")
    assert lignes.count() == 5
    assert "Page 2 sur 2" in page.locator("nav[aria-label=Pagination]").inner_text()

    page.get_by_label("Recherche (entreprise, lot, marché)").fill("oeuvre ELAN")
    page.get_by_label("Statut").select_option(label="Non reçue")
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_load_state()
    assert lignes.count() == 1
    assert "Menuiserie Œuvre Élan" in lignes.first.inner_text()
    assert "Relancer toutes les non reçues (1)" in page.content()


def test_fiche_entreprise_lots_bornes_avec_lien(make_user, connexion):
    entreprise = f.EntrepriseFactory(raison_sociale="Bâtiments du Lion")
    for _ in range(LIMITE_TABLEAU + 2):
        f.LotFactory(titulaire=entreprise)
    make_user(roles.FACILITATEUR, username="fanny")
    page = connexion("fanny")
    page.goto(f"{page.live_server_url}{entreprise.get_absolute_url()}")
    titre = page.get_by_role(
        "heading", name=f"Lots comme titulaire ({LIMITE_TABLEAU} plus récents)"
    )
    assert titre.is_visible()
    lien = page.get_by_role("link", name="Voir tous les lots de l'entreprise comme titulaire")
    _capture(page, "fiche-entreprise.png")
    lien.click()
    page.wait_for_url(f"**/marches/lots/?entreprise={entreprise.pk}")
    assert page.locator("table.table-liste tbody tr").count() == 25  # first page of the list
    assert f"{LIMITE_TABLEAU + 2}" in page.get_by_role("heading", level=1).inner_text()
