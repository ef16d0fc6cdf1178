"""Browser: the first login of an administrator enrols the second factor, then « Mes sessions »."""

import base64

import pytest
from django_otp.oath import totp

from mife import roles
from tests.conftest import debut_de_pas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_premiere_connexion_active_le_second_facteur(make_user, page):
    make_user(roles.ADMIN, username="alice", first_name="Alice")
    page.goto(f"{page.live_server_url}/connexion/")
    page.get_by_label("Identifiant").fill("alice")
    page.get_by_label("Mot de passe").fill("mot-de-passe-de-test")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/compte/double-facteur/**")
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Activer la double authentification"
    )
    assert page.locator("figure.qr-code svg").count() == 1
    # No menu before the second factor.
    assert page.get_by_role("navigation", name="Navigation principale").count() == 0
    # What a person does with an authenticator application: type the key, read the code.
    cle = page.locator("#cle-manuelle").inner_text().replace(" ", "")
    secret = base64.b32decode(cle + "=" * (-len(cle) % 8))
    debut_de_pas()
    page.get_by_label("Code").fill(f"{totp(secret):06d}")
    page.get_by_role("button", name="Activer").click()
    page.wait_for_load_state("domcontentloaded")
    assert page.get_by_role("heading", level=1).inner_text() == "Vos codes de secours"
    codes = page.get_by_role("list", name="Codes de secours").locator("li").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="J'ai noté mes codes, continuer").click()
    page.wait_for_load_state("domcontentloaded")
    assert page.get_by_role("heading", level=1).inner_text() == "Bonjour Alice"
    # « Mes sessions », from the user menu.
    page.locator("#menu-utilisateur").click()
    page.get_by_role("link", name="Mes sessions").click()
    page.wait_for_load_state("domcontentloaded")
    assert "cette session" in page.content()
    assert page.get_by_role("cell", name="127.0.0.1").count() == 1
