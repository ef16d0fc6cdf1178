"""Browser test: what the browser keeps after a logout (Clear-Site-Data) and the idle
timeout's message."""

import pytest
from django.contrib.sessions.backends.db import SessionStore

from mife import roles
from mife.core.http import CLE_ACTIVITE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _cookies(page) -> dict[str, str]:
    return {c["name"]: c["value"] for c in page.context.cookies()}


def test_la_deconnexion_efface_cookies_et_stockage(make_user, connexion):
    make_user(roles.SUIVI, username="sandrine")
    page = connexion("sandrine")
    page.evaluate("localStorage.setItem('brouillon', 'Zébulon Awa')")
    avant = _cookies(page)
    assert "sessionid" in avant
    page.locator("#menu-utilisateur").click()
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/connexion/")
    apres = _cookies(page)
    assert "sessionid" not in apres
    # The CSRF cookie was wiped too: the login page had to set a new one.
    assert apres.get("csrftoken") != avant["csrftoken"]
    assert page.evaluate("localStorage.getItem('brouillon')") is None


def test_inactivite_deconnecte_et_l_explique(make_user, connexion):
    make_user(roles.SUIVI, username="sandrine")
    page = connexion("sandrine")
    session = SessionStore(session_key=_cookies(page)["sessionid"])
    session[CLE_ACTIVITE] -= 31 * 60  # 31 minutes without activity
    session.save()
    page.goto(f"{page.live_server_url}/heures/declarations/")
    page.wait_for_url("**/connexion/?next=/heures/declarations/")
    assert "Session fermée après 30 minutes sans activité" in page.locator("main").inner_text()
    assert "sessionid" not in _cookies(page)
