"""Browser tests of issue 14 « Finitions »: the navigation folds away on a phone with the
search at the top, status badges are never wrapped nor cut, empty lists say what to do next,
the administration speaks French. Screenshots go to test-results/ (not committed)."""

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from mife import roles
from tests.test_lots_en_retard import _lot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CAPTURES = Path(__file__).resolve().parent.parent / "test-results"
TELEPHONE = {"width": 375, "height": 812}
BUREAU = {"width": 1366, "height": 900}

ECOUTE_CSP = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""

# For every status badge of the table: is it on one line and fully shown?
BADGES = """() => Array.from(document.querySelectorAll("table tbody .badge")).map((b) => {
  const cs = getComputedStyle(b);
  const uneLigne = parseFloat(cs.lineHeight) + parseFloat(cs.paddingTop)
    + parseFloat(cs.paddingBottom) + parseFloat(cs.borderTopWidth)
    + parseFloat(cs.borderBottomWidth);
  return {texte: b.textContent, hauteur: b.getBoundingClientRect().height, uneLigne: uneLigne,
          coupe: b.scrollWidth > b.clientWidth + 1};
})"""


def _capture(page, nom: str) -> None:
    CAPTURES.mkdir(exist_ok=True)
    page.screenshot(path=str(CAPTURES / f"finitions-{nom}.png"), full_page=False)


@pytest.fixture
def lots_longs():
    """Lots with long names, one of each displayed status, late one included."""
    jour = timezone.localdate()
    debut, fin = jour - dt.timedelta(days=100), jour + dt.timedelta(days=100)
    long = "Menuiseries intérieures et extérieures, serrurerie, métallerie et occultations"
    return [
        _lot(f"{long} — en retard", debut, fin, validees=["60", "40"]),
        _lot(f"{long} — en cours", debut, fin, validees=["150", "150", "150"]),
        _lot(f"{long} — à venir", jour + dt.timedelta(days=10), jour + dt.timedelta(days=300)),
        _lot(f"{long} — terminé", jour - dt.timedelta(days=400), jour - dt.timedelta(days=10)),
    ]


def _badges_sur_une_ligne(page) -> list[dict]:
    badges = page.evaluate(BADGES)
    assert badges, "aucun badge"
    for badge in badges:
        assert badge["hauteur"] <= badge["uneLigne"] + 1, badge
        assert not badge["coupe"], badge
    return badges


def test_telephone_menu_replie_recherche_visible(make_user, connexion, page, lots_longs):
    make_user(roles.FACILITATEUR, username="fanny", first_name="Fanny")
    page.add_init_script(ECOUTE_CSP)
    page.set_viewport_size(TELEPHONE)
    connexion("fanny")
    page.goto(f"{page.live_server_url}/marches/lots/")

    # The navigation is folded away; the search is in the first screen, usable.
    navigation = page.locator("#navigation-principale")
    assert not navigation.is_visible()
    recherche = page.get_by_label("Rechercher une entreprise, un participant ou un lot")
    assert recherche.is_visible()
    boite = recherche.bounding_box()
    assert boite["y"] + boite["height"] <= TELEPHONE["height"]
    assert boite["width"] >= 200  # not squeezed next to the brand
    _capture(page, "lots-telephone")

    # The « Menu » button opens it (keyboard too), Escape closes it.
    bouton = page.get_by_role("button", name="Menu")
    assert bouton.get_attribute("aria-controls") == "navigation-principale"
    bouton.focus()
    page.keyboard.press("Enter")
    lien = navigation.get_by_role("link", name="Lots et clauses")
    lien.wait_for(state="visible")
    assert lien.get_attribute("aria-current") == "page"
    page.wait_for_function(
        "() => document.getElementById('navigation-principale').classList.contains('show') "
        "&& document.getElementById('navigation-principale').contains(document.activeElement)"
    )
    _capture(page, "menu-ouvert-telephone")
    page.keyboard.press("Escape")
    navigation.wait_for(state="hidden")
    assert page.evaluate("window.__violations") == []


def test_badges_des_lots_sur_une_ligne(make_user, connexion, page, lots_longs):
    make_user(roles.FACILITATEUR, username="fanny", first_name="Fanny")
    connexion("fanny")
    for nom, taille in (("bureau", BUREAU), ("portable", {"width": 1024, "height": 768})):
        page.set_viewport_size(taille)
        page.goto(f"{page.live_server_url}/marches/lots/")
        textes = {b["texte"] for b in _badges_sur_une_ligne(page)}
        assert {"En retard", "En cours", "À venir", "Terminé"} <= textes
        # The lot's name wraps within a readable width, three lines at most; the whole name is
        # in its title (tooltip).
        lien = page.locator("table tbody tr td.colonne-nom a").first
        hauteur_ligne = page.evaluate(
            "parseFloat(getComputedStyle(document.querySelector('td.colonne-nom a')).lineHeight)"
        )
        assert lien.bounding_box()["height"] <= 3 * hauteur_ligne + 1
        assert lien.get_attribute("title") == lien.text_content()
        assert "occultations" in lien.get_attribute("title")
        _capture(page, f"lots-{nom}")
    # The navigation is a column on a desktop: visible without any click.
    page.set_viewport_size(BUREAU)
    assert page.locator("#navigation-principale").is_visible()
    assert not page.get_by_role("button", name="Menu").is_visible()

    # On a phone the table scrolls sideways; its badges stay whole.
    page.set_viewport_size(TELEPHONE)
    page.goto(f"{page.live_server_url}/marches/lots/")
    _badges_sur_une_ligne(page)


# The percentage of a lot's progress on the facilitator's home: never clipped by its bar.
POURCENTAGES = """() => Array.from(document.querySelectorAll("td.colonne-avancement span"))
  .filter((s) => s.textContent.includes("%"))
  .map((s) => ({texte: s.textContent, coupe: s.scrollWidth > s.clientWidth + 1,
                dansLaBarre: !!s.closest(".progress")}))"""


def test_avancement_de_l_accueil_lisible_meme_petit(make_user, connexion, page):
    """At 10 % the bar is too narrow for « 10 % »: the text sits beside the bar, whole."""
    fanny = make_user(roles.FACILITATEUR, username="fanny", first_name="Fanny")
    jour = timezone.localdate()
    debut, fin = jour - dt.timedelta(days=100), jour + dt.timedelta(days=100)
    _lot("Voirie", debut, fin, validees=["60", "40"], facilitateur=fanny)  # 10 %, late
    connexion("fanny")
    page.set_viewport_size(BUREAU)
    page.goto(f"{page.live_server_url}/")
    pourcentages = page.evaluate(POURCENTAGES)
    assert [p["texte"] for p in pourcentages] == ["10 %"]
    assert not pourcentages[0]["coupe"] and not pourcentages[0]["dansLaBarre"]
    assert page.locator("td.colonne-avancement .progress-bar").first.text_content() == ""
    assert {b["texte"] for b in _badges_sur_une_ligne(page)} >= {"En retard"}
    _capture(page, "accueil-avancement")


def test_liste_vide_dit_quoi_faire(make_user, connexion, page):
    make_user(roles.FACILITATEUR, username="fanny", first_name="Fanny")
    connexion("fanny")
    page.goto(f"{page.live_server_url}/heures/besoins/")
    vide = page.locator("#etat-vide")
    assert "Aucun besoin de recrutement pour l'instant." in vide.inner_text()
    vide.get_by_role("link", name="Nouveau besoin").click()
    page.wait_for_url("**/heures/besoins/nouveau/")
    page.goto(f"{page.live_server_url}/heures/besoins/")
    _capture(page, "liste-vide-bureau")
    page.set_viewport_size(TELEPHONE)
    page.reload()
    # On a phone the filters are folded: the empty state is in the first screen.
    filtres = page.locator("details.filtres-repliables")
    assert filtres.evaluate("(d) => d.open") is False
    vide = page.locator("#etat-vide")
    assert vide.bounding_box()["y"] < TELEPHONE["height"]
    _capture(page, "liste-vide-telephone")
    filtres.locator("summary").click()
    assert page.get_by_label("Recherche (poste, entreprise)").is_visible()
    # With a filter set, they stay open to show it.
    page.goto(f"{page.live_server_url}/heures/besoins/?q=plombier")
    assert filtres.evaluate("(d) => d.open") is True
    assert "Aucun" in vide.inner_text()


def test_index_de_l_admin_en_francais(make_user, connexion, page):
    user = make_user(roles.ADMIN, username="marc", first_name="Marc")
    user.is_staff = True
    user.save()
    connexion("marc")
    page.goto(f"{page.live_server_url}/admin/")
    titres = page.locator("caption").all_inner_texts()
    titres = [t.strip().lower() for t in titres]
    assert "marchés" in titres and "connexions et blocages" in titres
    assert not any(t == "axes" or "tasks" in t or t == "marches" for t in titres)
    page.screenshot(path=str(CAPTURES / "finitions-admin.png"), full_page=True)
