"""The direction's menu leads somewhere useful: every entry opens, for that role, a page with
content (never a 403, never an empty page or a work queue it cannot act on)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from mife import roles
from mife.navigation import navigation_pour
from tests import factories as f

pytestmark = pytest.mark.django_db

ATTENDUES = {
    "Opérations",
    "Marchés",
    "Lots et clauses",
    "Donneurs d'ordre",
    "Entreprises",
    "Attestations",
    "Dossiers",
    "Diagnostics",
    "Sessions de jury",
    "Membres du jury",
    "Labels",
    "Événements du réseau",
    "Annuaire public",
    "Indicateurs",
    "Bilan annuel",
    "Prévision des lots",
    "Rapports",
}
VIDES = ("Aucun résultat", "Aucun rapport", "Aucun lot", "Aucune entreprise")


@pytest.fixture
def activite():
    """A little of everything the direction reads."""
    aujourd_hui = timezone.localdate()
    lot = f.ClauseFactory(
        heures_requises=Decimal("2000"),
        lot__date_debut=aujourd_hui - dt.timedelta(days=200),
        lot__date_fin=aujourd_hui + dt.timedelta(days=200),
    ).lot  # no hours yet: at risk in the forecast
    f.AttestationFactory(declaration__lot=lot)
    f.RapportDonneurFactory(marche=lot.marche)
    f.LabelFactory(date_obtention=aujourd_hui - dt.timedelta(days=30))
    f.DiagnosticEligibiliteFactory()
    f.SessionJuryFactory()
    f.MembreJuryFactory()
    f.EvenementAnimationFactory()
    return lot


def _texte_principal(reponse) -> str:
    html = reponse.content.decode()
    principal = re.search(r"<main.*?</main>", html, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", principal.group(0) if principal else html).split())


def test_chaque_entree_du_menu_de_la_direction_a_du_contenu(client_for, activite):
    client = client_for(roles.DIRECTION)
    entrees = {e["libelle"]: e["url"] for s in navigation_pour(client.user) for e in s["entrees"]}
    assert set(entrees) == ATTENDUES
    for libelle, url in entrees.items():
        reponse = client.get(url)
        assert reponse.status_code == 200, libelle
        texte = _texte_principal(reponse)
        assert not any(vide in texte for vide in VIDES), (libelle, texte[:300])
        if "total" in reponse.context:  # a list page: at least one row
            assert reponse.context["total"] > 0, libelle


def test_le_menu_de_la_direction_mene_au_bilan_et_aux_previsions(client_for, activite):
    client = client_for(roles.DIRECTION)
    html = client.get("/").content.decode()
    assert 'href="/bilan/"' in html and "Bilan annuel" in html
    assert 'href="/indicateurs/previsions/"' in html and "Prévision des lots" in html
    previsions = _texte_principal(client.get("/indicateurs/previsions/"))
    assert str(activite.marche.reference) in previsions
    bilan = _texte_principal(client.get("/bilan/"))
    assert "Bilan annuel" in bilan and "Année" in bilan


def test_la_file_de_qualification_n_est_au_menu_que_de_qui_peut_qualifier(make_user):
    def entrees(role):
        user = make_user(role, username=f"u-{role}")
        return {e["libelle"] for s in navigation_pour(user) for e in s["entrees"]}

    assert "Marchés à qualifier" in entrees(roles.FACILITATEUR)
    assert "Marchés à qualifier" in entrees(roles.ADMIN)
    for role in (roles.DIRECTION, roles.SUIVI, roles.ANIMATEUR):
        assert "Marchés à qualifier" not in entrees(role)


@pytest.mark.parametrize("role", [roles.SUIVI, roles.ANIMATEUR])
def test_bilan_et_previsions_hors_du_menu_sans_le_droit(make_user, client_for, role):
    client = client_for(role)
    libelles = {e["libelle"] for s in navigation_pour(client.user) for e in s["entrees"]}
    assert not {"Bilan annuel", "Prévision des lots", "Indicateurs"} & libelles
    assert client.get("/bilan/").status_code == 403
    assert client.get("/indicateurs/previsions/").status_code == 403
