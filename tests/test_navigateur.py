"""Browser tests: a real Chromium logs in as each role and checks its home and navigation."""

import pytest

from mife import roles

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ATTENDU = {
    roles.FACILITATEUR: (
        "Facilitateur·rice",
        {"Marchés", "Lots et clauses", "Participants", "Indicateurs", "Rapports"},
        {"Administration"},
    ),
    roles.SUIVI: (
        "Assistant·e de suivi",
        {"Déclarations", "Attestations"},
        {"Indicateurs", "Administration"},
    ),
    roles.ANIMATEUR: (
        "Animateur·rice du label",
        {"Dossiers", "Sessions de jury"},
        {"Participants"},
    ),
    roles.DIRECTION: ("Direction", {"Indicateurs", "Marchés"}, {"Participants", "Déclarations"}),
    roles.ADMIN: ("Administrateur", {"Administration"}, set()),
}


@pytest.mark.parametrize("code", list(ATTENDU))
def test_chaque_role_se_connecte_et_voit_sa_navigation(code, make_user, connexion):
    libelle_role, visibles, caches = ATTENDU[code]
    make_user(code, username=f"demo-{code}", first_name="Camille")
    page = connexion(f"demo-{code}")
    assert page.get_by_role("heading", level=1).inner_text() == "Bonjour Camille"
    assert libelle_role in page.locator("#menu-utilisateur").inner_text()
    nav = page.get_by_role("navigation", name="Navigation principale")
    liens = set(nav.get_by_role("link").all_inner_texts())
    liens = {lien.strip() for lien in liens}
    assert visibles <= liens, liens
    assert not (caches & liens), liens
    # The skip link is the first focusable element.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Aller au contenu principal"
    # Logout is a POST from the user menu.
    page.locator("#menu-utilisateur").click()
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/connexion/")


def test_mauvais_mot_de_passe_affiche_un_message(make_user, connexion):
    make_user(roles.SUIVI, username="suzanne")
    page = connexion("suzanne", "mauvais-mot-de-passe")
    assert "Saisissez un nom d’utilisateur et un mot de passe valides" in page.content()
