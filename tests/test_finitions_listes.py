"""Finishing touches of the list pages (issue 14): empty states, cells that never cut a badge,
one table of status colours."""

import lxml.html
import pytest
from django.template import Context, Template
from django.urls import reverse

from heures.models import StatutBesoin
from label.models import StatutDossier
from mife import roles
from mife.core import statuts
from mife.core.fiches import Tableau
from mife.core.listes import Colonne
from tests import factories as f

pytestmark = pytest.mark.django_db

URL_BESOINS = reverse("heures:besoin_liste")
URL_LOTS = reverse("marches:lot_liste")


def _doc(response):
    return lxml.html.fromstring(response.content.decode())


def _etat_vide(response) -> str:
    bloc = _doc(response).xpath('//*[@id="etat-vide"]')
    assert bloc, "pas d'état vide"
    return " ".join(bloc[0].text_content().split())


# --- empty states ------------------------------------------------------------------------------


def test_liste_vide_propose_l_action_principale(client_for):
    reponse = client_for(roles.FACILITATEUR).get(URL_BESOINS)
    assert reponse.context["total"] == 0
    assert _etat_vide(reponse) == "Aucun besoin de recrutement pour l'instant. Nouveau besoin"
    liens = _doc(reponse).xpath('//*[@id="etat-vide"]//a/@href')
    assert liens == [reverse("heures:besoin_creer")]


def test_liste_vide_sans_le_droit_de_creer_n_offre_pas_l_action(client_for):
    # The assistant·e de suivi sees the needs but may not create one.
    reponse = client_for(roles.SUIVI).get(URL_BESOINS)
    assert reponse.status_code == 200
    assert _etat_vide(reponse) == "Aucun besoin de recrutement pour l'instant."
    assert not _doc(reponse).xpath('//*[@id="etat-vide"]//a')
    assert reverse("heures:besoin_creer") not in reponse.content.decode()


def test_liste_vide_sans_bouton_dit_comment_ajouter(client_for):
    reponse = client_for(roles.FACILITATEUR).get(URL_LOTS)
    texte = _etat_vide(reponse)
    assert texte.startswith("Aucun lot pour l'instant.")
    assert "depuis la fiche de son marché" in texte


def test_aucun_resultat_pour_ces_filtres_propose_de_les_reinitialiser(client_for):
    f.BesoinRecrutementFactory(poste="Maçon VRD")
    client = client_for(roles.FACILITATEUR)
    reponse = client.get(URL_BESOINS, {"q": "plombier"})
    assert reponse.context["total"] == 0
    texte = _etat_vide(reponse)
    assert texte == (
        "Aucun résultat ne correspond à ces filtres. "
        "Élargissez votre recherche ou réinitialisez les filtres."
    )
    assert _doc(reponse).xpath('//*[@id="etat-vide"]//a/@href') == [URL_BESOINS]
    # The same filter on a list that has no row at all: the list is empty, not the filter.
    f.BesoinRecrutementFactory._meta.model.objects.all().delete()
    reponse = client.get(URL_BESOINS, {"q": "plombier"})
    assert _etat_vide(reponse).startswith("Aucun besoin de recrutement pour l'instant.")


def test_un_tri_seul_n_est_pas_un_filtre(client_for):
    reponse = client_for(roles.FACILITATEUR).get(URL_BESOINS, {"tri": "poste", "page": "1"})
    assert _etat_vide(reponse).startswith("Aucun besoin de recrutement pour l'instant.")
    assert reponse.context["filtres_actifs"] is False


def test_filtres_actifs_signales_et_gardes_ouverts(client_for):
    client = client_for(roles.FACILITATEUR)
    details = _doc(client.get(URL_BESOINS)).xpath("//details")[0]
    assert details.get("data-replier-petit-ecran") is not None
    assert details.get("data-filtres-actifs") is None
    details = _doc(client.get(URL_BESOINS, {"q": "maçon"})).xpath("//details")[0]
    assert details.get("data-filtres-actifs") is not None
    assert "actifs" in details.xpath("./summary")[0].text_content()


def test_filtre_invalide_liste_vide_reste_utilisable(client_for):
    f.BesoinRecrutementFactory()
    reponse = client_for(roles.FACILITATEUR).get(URL_BESOINS, {"statut": "nimporte"})
    assert reponse.status_code == 200
    assert "Un filtre est invalide" in reponse.content.decode()


def test_liste_non_vide_sans_etat_vide(client_for):
    f.BesoinRecrutementFactory(poste="Maçon VRD")
    reponse = client_for(roles.FACILITATEUR).get(URL_BESOINS)
    assert not _doc(reponse).xpath('//*[@id="etat-vide"]')
    assert "Maçon VRD" in reponse.content.decode()


@pytest.mark.parametrize("n", [0, 3, 30])
def test_requetes_de_la_liste_des_lots_constantes(client_for, django_assert_max_num_queries, n):
    for _ in range(n):
        f.ClauseFactory()
    client = client_for(roles.FACILITATEUR)
    client.get(URL_LOTS)
    with django_assert_max_num_queries(12):
        client.get(URL_LOTS)
    # Filtered to nothing: one more query to tell « no row » from « no match ».
    with django_assert_max_num_queries(13):
        client.get(URL_LOTS, {"q": "introuvable"})


# --- cells and badges ----------------------------------------------------------------------------


def test_cellules_courtes_sur_une_ligne_et_nom_dans_une_largeur_lisible(client_for):
    f.ClauseFactory(lot__intitule="Menuiseries intérieures et extérieures, serrurerie, métallerie")
    reponse = client_for(roles.FACILITATEUR).get(URL_LOTS)
    cellules = _doc(reponse).xpath("//table//tbody/tr[1]/td")
    entetes = [" ".join(th.text_content().split()) for th in _doc(reponse).xpath("//thead//th")]
    classes = dict(zip(entetes, [td.get("class") for td in cellules], strict=True))
    assert classes["Lot"] == "colonne-nom"
    assert classes["Titulaire"] == "colonne-texte"
    assert classes["Début"] == "text-nowrap"
    assert classes["Heures requises"] == "text-nowrap text-end"
    assert classes["Statut"] == "text-nowrap"
    badge = cellules[-1].xpath(".//span[contains(@class, 'badge')]")[0]
    assert "text-nowrap" in badge.get("class").split()


@pytest.mark.parametrize(
    ("colonne", "classe"),
    [
        (Colonne("Montant", "m", format="montant"), "text-nowrap"),
        (Colonne("Mois", "m", format="mois"), "text-nowrap"),
        (Colonne("Nombre", "n", numerique=True), "text-nowrap text-end"),
        (Colonne("Statut", "s", statut="s"), "text-nowrap"),
        (Colonne("Nom", "n", lien=True), "colonne-nom"),
        (Colonne("Numéro", "n", reference=True), "text-nowrap"),  # « ATT-2026-09-00006 »
        (Colonne("Référence", "r", lien=True, reference=True), "text-nowrap"),
        (Colonne("Commune", "c"), "colonne-texte"),
    ],
)
def test_classe_des_colonnes(colonne, classe):
    assert colonne.classe == classe


def test_chaque_statut_du_domaine_a_sa_couleur():
    from heures.models import (
        EtatMission,
        StatutAttestation,
        StatutDeclaration,
        StatutGeneration,
        StatutProposition,
        StatutRelance,
    )
    from heures.selectors_mois import STATUTS_TABLEAU
    from label.models import Avis, Decision, StatutSession
    from label.selectors import EtatLabel
    from marches.models import EtatAction, Qualification, StatutLot, StatutTache
    from mife.models import StatutDemandeBilan

    codes = {code for code, _ in STATUTS_TABLEAU}
    for choix in (
        StatutDeclaration,
        StatutAttestation,
        StatutBesoin,
        StatutProposition,
        StatutRelance,
        StatutGeneration,
        EtatMission,
        StatutDossier,
        StatutSession,
        Decision,
        Avis,
        EtatLabel,
        StatutLot,
        Qualification,
        EtatAction,
        StatutTache,
        StatutDemandeBilan,
    ):
        codes |= set(choix.values)
    sans_couleur = codes - set(statuts.COULEURS)
    assert not sans_couleur
    assert set(statuts.COULEURS.values()) <= {
        statuts.GRIS,
        statuts.BLEU,
        statuts.BLEU_FONCE,
        statuts.VERT,
        statuts.ROUGE,
        statuts.ORANGE,
        statuts.ATTENUE,
        statuts.GRIS_FONCE,
    }


def test_couleurs_definies_dans_la_feuille_de_style():
    from django.conf import settings

    css = (settings.BASE_DIR / "static" / "css" / "app.css").read_text()
    for nom in set(statuts.COULEURS.values()):
        assert f".couleur-{nom} {{" in css, nom
    assert ".statut-" not in css  # the colour of a status is chosen in Python, once


@pytest.mark.parametrize(
    ("code", "couleur"),
    [
        (StatutDossier.INSCRIT, "bleu-fonce"),
        (StatutDossier.INCOMPLET, "orange"),
        ("en_retard", "orange"),
        ("code-inconnu", "gris"),
        ("", "gris"),
    ],
)
def test_balise_statut(code, couleur):
    rendu = Template('{% load fr %}{% statut code "Libellé" %}').render(Context({"code": code}))
    span = lxml.html.fromstring(rendu)
    assert span.text_content() == "Libellé"
    assert set(span.get("class").split()) == {
        "badge",
        "text-nowrap",
        f"statut-{code}",
        f"couleur-{couleur}",
    }


def test_dossier_inscrit_et_incomplet_colores_dans_la_liste(client_for):
    f.DossierLabelFactory(statut=StatutDossier.INSCRIT)
    f.DossierLabelFactory(statut=StatutDossier.INCOMPLET)
    reponse = client_for(roles.ANIMATEUR).get(reverse("label:dossier_liste"))
    doc = _doc(reponse)
    inscrit = doc.xpath('//tbody//span[contains(@class, "statut-inscrit")]')[0]
    incomplet = doc.xpath('//tbody//span[contains(@class, "statut-incomplet")]')[0]
    assert "couleur-bleu-fonce" in inscrit.get("class")
    assert inscrit.text_content() == "Inscrit à une session"
    assert "couleur-orange" in incomplet.get("class")
    assert incomplet.text_content() == "Incomplet"


def test_tableaux_des_fiches_references_et_dates_sur_une_ligne(client_for):
    """A detail page's table never cuts a reference (« MIS-2026-0057 ») or a date at its
    hyphen or slash; cells of several words still wrap."""
    mission = f.MissionFactory()
    client = client_for(roles.FACILITATEUR)
    doc = _doc(client.get(mission.participant.get_absolute_url()))
    cellule = doc.xpath(f'//td[a[normalize-space()="{mission.reference}"]]')
    assert cellule and "text-nowrap" in cellule[0].get("class", "")
    lot = doc.xpath(f'//td[a[normalize-space()="{mission.lot}"]]')
    assert lot and " " in str(mission.lot) and "text-nowrap" not in lot[0].get("class", "")


def test_tableau_cellule_d_un_mot_sur_une_ligne():
    t = Tableau(
        "T",
        ["a", "b", "c"],
        [[("ATT-2026-09-00006", "/x"), ("12/03/2026", ""), ("Gros œuvre", "")]],
    )
    assert [une_ligne for *_, une_ligne in t.rangees[0]] == [True, True, False]
    assert Tableau("T", ["a"], [[("X" * 30, "")]]).rangees[0][0][2] is False
