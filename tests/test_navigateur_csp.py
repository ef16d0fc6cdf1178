"""Browser test: the main pages under the Content-Security-Policy report no violation, and what
used to be inline (scripts, onclick, style attributes, htmx's indicator styles) still works.

Violations are read twice: Chromium's console messages (« Refused to … Content Security
Policy ») and the ``securitypolicyviolation`` events of the page.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from heures.models import StatutDeclaration, StatutGeneration
from mife import roles
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ECOUTE = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
window.print = function () { window.__imprime = true; };
"""


@pytest.fixture
def surveillee(page):
    """The page, with every CSP violation and console error collected."""
    page.console_csp = []
    page.erreurs_js = []

    def console(message):
        texte = message.text
        if "Content Security Policy" in texte or "Refused to" in texte:
            page.console_csp.append(texte)
        elif message.type == "error" and "Failed to load resource" not in texte:
            page.erreurs_js.append(texte)

    page.on("console", console)
    page.on("pageerror", lambda erreur: page.erreurs_js.append(str(erreur)))
    page.add_init_script(ECOUTE)
    return page


def _visiter(page, chemin: str):
    page.goto(f"{page.live_server_url}{chemin}")
    page.wait_for_load_state("networkidle")
    _sans_violation(page, chemin)


def _sans_violation(page, chemin: str):
    violations = page.evaluate("window.__violations || []")
    assert violations == [], (chemin, violations)
    assert page.console_csp == [], (chemin, page.console_csp)
    assert page.erreurs_js == [], (chemin, page.erreurs_js)
    # htmx did not inject its <style> (its indicator styles come from app.css).
    assert page.evaluate("document.querySelectorAll('style').length") == 0, chemin


def _donnees():
    lot = f.ClauseFactory(
        heures_requises=Decimal("1000"),
        lot__date_debut=dt.date(2025, 1, 6),
        lot__date_fin=dt.date(2027, 6, 30),
        lot__marche__date_notification=dt.date(2024, 12, 1),
    ).lot
    mission = f.MissionFactory(
        lot=lot,
        employeur=lot.titulaire,
        participant=f.ParticipantFactory(nom="Zébulon", prenom="Awa"),
        date_debut=dt.date(2025, 2, 1),
        date_fin=dt.date(2026, 12, 31),
    )
    validee = f.DeclarationMensuelleFactory(
        lot=lot,
        entreprise=lot.titulaire,
        mois=dt.date(2025, 3, 1),
        statut=StatutDeclaration.VALIDEE,
    )
    f.LigneDeclarationFactory(declaration=validee, mission=mission, heures=Decimal("100"))
    brouillon = f.DeclarationMensuelleFactory(
        lot=lot, entreprise=lot.titulaire, mois=dt.date(2025, 4, 1)
    )
    f.LigneDeclarationFactory(declaration=brouillon, mission=mission, heures=Decimal("7"))
    return lot, mission, brouillon


def test_pages_du_facilitateur_sans_violation(make_user, connexion, surveillee):
    lot, mission, brouillon = _donnees()
    participant = mission.participant
    make_user(roles.FACILITATEUR, username="fanny")
    page = connexion("fanny")
    _sans_violation(page, "accueil")
    for chemin in (
        reverse("heures:participant_liste"),
        participant.get_absolute_url(),
        reverse("marches:lot_liste"),
        reverse("marches:marche_liste"),
        reverse("entreprises:liste"),
        reverse("marches:import_decp"),
        reverse("heures:declaration_excel"),
        reverse("recherche") + "?q=zeb",
    ):
        _visiter(page, chemin)

    # Progress bar of the lot: width set from data-largeur by static/js/app.js (10 %).
    _visiter(page, lot.get_absolute_url())
    barre = page.locator("[role=progressbar] .progress-bar").first
    largeur = barre.evaluate(
        "e => e.getBoundingClientRect().width / e.parentElement.getBoundingClientRect().width"
    )
    assert largeur == pytest.approx(0.10, abs=0.01)

    # The calculator of the lot form (htmx) answers while typing.
    _visiter(page, reverse("marches:lot_modifier", args=[lot.pk]))
    page.get_by_label("Montant HT retenu (€)").fill("1000000")
    page.get_by_label("Part de main-d'œuvre (%)").fill("50")
    page.get_by_label("Taux d'insertion (%)").fill("5")
    page.get_by_label("Coût horaire chargé (€)").fill("30")
    page.locator("#resultat-calcul [data-heures-calculees]").wait_for()
    _sans_violation(page, "calculateur")

    # The participant form: « Ajouter un critère » (static/js/participant-edition.js).
    _visiter(page, reverse("heures:participant_modifier", args=[participant.pk]))
    lignes = page.locator("#lignes-criteres select[id$='-critere']")
    avant = lignes.count()
    page.get_by_role("button", name="Ajouter un critère").click()
    assert lignes.count() == avant + 1
    _sans_violation(page, "ajout de critère")

    # The right-of-access page: its print button (was an onclick).
    _visiter(page, reverse("heures:participant_export", args=[participant.pk]))
    page.get_by_role("button", name="Imprimer").click()
    assert page.evaluate("window.__imprime === true")

    # Hours entry with htmx, then the workflow forms follow the new version.
    _visiter(page, reverse("heures:declaration_saisie", args=[brouillon.pk]))
    case = page.get_by_label(f"Heures de {mission.reference}")
    case.fill("12")
    case.press("Tab")
    page.locator("#total-declaration", has_text="12 h").wait_for()
    version = page.locator("#version_lue").input_value()
    versions = page.locator("form input[name=version_lue]").evaluate_all(
        "champs => champs.map(c => c.value)"
    )
    assert versions and set(versions) == {version}
    _sans_violation(page, "saisie des heures")


def test_pages_du_suivi_et_de_l_administrateur_sans_violation(
    make_user, connexion, surveillee, navigateur
):
    generation = f.GenerationAttestationsFactory(
        mois=dt.date(2025, 3, 1), statut=StatutGeneration.EN_COURS, faites=2, total=5
    )
    make_user(roles.SUIVI, username="sandrine")
    page = connexion("sandrine")
    _sans_violation(page, "accueil du suivi")
    for chemin in (
        reverse("heures:declaration_liste"),
        reverse("heures:tableau_mois"),
        reverse("heures:attestation_liste"),
    ):
        _visiter(page, chemin)

    # The generation page polls with htmx: the request says it is a poll (X-Sondage), and the
    # bar is drawn again after each swap.
    with page.expect_request(lambda r: "progression" in r.url) as attente:
        page.goto(
            f"{page.live_server_url}{reverse('heures:generation_detail', args=[generation.pk])}"
        )
    assert attente.value.headers.get("x-sondage") == "1"
    page.wait_for_timeout(300)
    barre = page.locator("#generation-progression .progress-bar")
    largeur = barre.evaluate(
        "e => e.getBoundingClientRect().width / e.parentElement.getBoundingClientRect().width"
    )
    assert largeur == pytest.approx(0.40, abs=0.01)
    _sans_violation(page, "génération")
    page.locator("#menu-utilisateur").click()
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/connexion/")
    _sans_violation(page, "connexion")

    make_user(roles.ADMIN, username="alice", is_staff=True)
    page = connexion("alice")
    for chemin in (
        reverse("indicateurs"),
        reverse("admin:index"),
        reverse("admin:axes_accessattempt_changelist"),
        reverse("admin:mife_user_changelist"),
        reverse("admin:mife_parametres_change", args=[1]),
        "/page-inexistante/",
    ):
        _visiter(page, chemin)
