"""Indicators: figures checked against a dataset computed by hand (tests/jeu_bilan.py),
filters, masking of small counts, bad input and a constant number of queries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mife import indicateurs
from mife.indicateurs import Filtres, FiltresInvalides
from tests import factories as f
from tests import jeu_bilan

pytestmark = pytest.mark.django_db


@pytest.fixture
def jeu():
    return jeu_bilan.construire()


def par_libelle(lignes):
    return {ligne.libelle: (ligne.personnes, ligne.heures) for ligne in lignes}


def test_chiffres_calcules_a_la_main(jeu):
    r = indicateurs.calculer(Filtres.annee(2025))
    assert r.heures == Decimal("350.00")
    assert r.etp == Decimal("0.22")
    assert r.participants == 3
    assert r.lots == 2 and r.entreprises == 2
    assert par_libelle(r.par_sexe) == {"Femme": (1, 220), "Homme": (2, 130)}
    assert par_libelle(r.par_age) == {
        "Moins de 26 ans": (1, 220),
        "26 à 44 ans": (1, 50),
        "45 à 54 ans": (0, 0),
        "55 ans et plus": (1, 80),
    }
    assert par_libelle(r.par_age_fse) == {
        "Moins de 18 ans": (0, 0),
        "18 à 29 ans": (1, 220),
        "30 à 54 ans": (1, 50),
        "55 ans et plus": (1, 80),
    }
    niveaux = par_libelle(r.par_niveau)
    assert niveaux["Infra 3 (sans diplôme, brevet)"] == (1, 220)
    assert niveaux["Niveau 4 (baccalauréat)"] == (1, 50)
    assert niveaux["Niveau 6 et plus (bac + 3 et au-delà)"] == (1, 80)
    assert par_libelle(r.par_cite) == {
        "CITE 0 à 2": (1, 220),
        "CITE 3 à 4": (1, 50),
        "CITE 5 à 8": (1, 80),
        "Non renseigné": (0, 0),
    }
    assert par_libelle(r.par_situation) == {
        "Demandeur d'emploi": (1, 220),
        "Inactif": (1, 50),
        "En emploi": (1, 80),
        "Non renseigné": (0, 0),
    }
    assert (r.dont_longue_duree.personnes, r.dont_longue_duree.heures) == (1, 220)
    assert par_libelle(r.par_qpv) == {"Résident d'un QPV": (1, 220), "Hors QPV": (2, 130)}
    modalites = par_libelle(r.par_modalite)
    assert modalites["Mise à disposition (ETTI, AI, GEIQ)"] == (1, 220)
    assert modalites["Embauche directe"] == (1, 50)
    assert modalites["Sous-traitance ou co-traitance SIAE"] == (1, 80)
    assert modalites["Action de formation"] == (0, 0)
    assert r.nb_sorties == 2
    assert {s.libelle: s.personnes for s in r.sorties}["Emploi durable"] == 1
    assert {s.libelle: s.personnes for s in r.sorties}["Autres sorties"] == 1
    assert r.part_sorties_dynamiques == Decimal("50.0")
    assert par_libelle(r.par_donneur) == {"Ville d'Azur": (2, 270), "Bailleur Bleu": (1, 80)}
    assert par_libelle(r.par_nature) == {"Travaux": (2, 270), "Services": (1, 80)}
    assert par_libelle(r.par_entreprise) == {"Bâtir Azur": (2, 270), "Nettoyage Bleu": (1, 80)}
    assert par_libelle(r.par_operation) == {
        "Groupe scolaire Azur": (2, 270),
        "Hors opération": (1, 80),
    }
    assert par_libelle(r.par_cpv) == {"Division CPV 45": (2, 270), "Division CPV 90": (1, 80)}
    mois = {m: (h, attendu) for m, h, attendu in r.par_mois}
    assert mois[dt.date(2025, 1, 1)] == (Decimal("100"), Decimal("116"))  # 1000×31/365 + 31
    assert mois[dt.date(2025, 2, 1)][0] == Decimal("170")
    assert mois[dt.date(2025, 3, 1)][0] == 0  # the draft does not count
    assert r.heures_requises == Decimal("1365")


def test_criteres_proteges_en_nombre_seulement_et_pour_les_habilites(jeu, make_user):
    facilitateur = make_user("facilitateur")
    direction = make_user("direction")
    r = indicateurs.calculer(Filtres.annee(2025), facilitateur)
    criteres = {c.code: (c.personnes, c.heures) for c in r.par_critere}
    assert criteres["rsa"] == (1, 220)
    assert criteres["rqth"] == (1, 0)  # count only
    r = indicateurs.calculer(Filtres.annee(2025), direction)
    assert "rqth" not in {c.code for c in r.par_critere}


def test_filtres_perimetre(jeu):
    r = indicateurs.calculer(Filtres.annee(2025, donneur_ordre=jeu["b"]))
    assert r.heures == Decimal("80.00") and r.participants == 1
    assert r.nb_sorties == 0
    r = indicateurs.calculer(Filtres.annee(2025, nature="travaux"))
    assert r.heures == Decimal("270.00") and r.nb_sorties == 2
    r = indicateurs.calculer(Filtres.annee(2025, commune="Delle"))
    assert r.heures == Decimal("80.00")
    r = indicateurs.calculer(Filtres.annee(2025, entreprise=jeu["la"].titulaire))
    assert r.heures == Decimal("270.00")
    r = indicateurs.calculer(Filtres(dt.date(2025, 2, 1), dt.date(2025, 2, 28)))
    assert r.heures == Decimal("170.00") and r.participants == 2
    r = indicateurs.calculer(Filtres.annee(2024))
    assert r.heures == Decimal("70.00") and r.participants == 1


def test_periode_inversee_refusee():
    with pytest.raises(FiltresInvalides, match="période inversée"):
        Filtres(dt.date(2025, 3, 1), dt.date(2025, 1, 1))


def test_annee_sans_donnees():
    r = indicateurs.calculer(Filtres.annee(2019))
    assert r.vide and r.heures == 0 and r.part_sorties_dynamiques is None


def test_masquage_des_petits_effectifs():
    assert indicateurs.masquer(0) == 0
    assert indicateurs.masquer(1) == "< 3"
    assert indicateurs.masquer(2) == "< 3"
    assert indicateurs.masquer(3) == 3


def test_nombre_de_requetes_constant(jeu):
    def compter():
        with CaptureQueriesContext(connection) as contexte:
            indicateurs.calculer(Filtres.annee(2025))
        return len(contexte)

    avant = compter()
    for _ in range(3):
        ligne = f.LigneDeclarationFactory(
            declaration__lot=jeu["la"], declaration__validee=True,
            declaration__mois=dt.date(2025, 6, 1), declaration__entreprise=f.EntrepriseFactory(),
            mission__lot=jeu["la"],
        )  # fmt: skip
        f.EchangeFactory(entreprise=ligne.declaration.entreprise, date=dt.date(2025, 6, 2))
    assert compter() == avant


# --- page -----------------------------------------------------------------------------------


def test_page_chiffres_et_liens_facilitateur(jeu, client_for):
    client = client_for("facilitateur")
    page = client.get(reverse("indicateurs"), {"annee": 2025}).content.decode()
    assert "année 2025" in page
    assert 'data-chiffre="heures">350 h' in page
    assert 'data-chiffre="participants">3' in page
    assert 'data-chiffre="etp">0,22' in page
    assert reverse("marches:donneur_detail", args=[jeu["a"].pk]) in page
    assert reverse("heures:participant_liste") + "?niveau_qualification=infra3" in page
    assert reverse("heures:mission_liste") + "?sortie=emploi_durable" in page
    assert reverse("heures:participant_liste") + "?sexe=F" in page
    assert "&lt; 3" in page  # one woman: masked
    assert "50 %" in page  # sorties dynamiques


def test_page_direction_sans_acces_aux_personnes(jeu, client_for):
    client = client_for("direction")
    page = client.get(reverse("indicateurs"), {"annee": 2025}).content.decode()
    assert 'data-chiffre="heures">350 h' in page
    assert reverse("heures:participant_liste") not in page
    assert reverse("heures:mission_liste") not in page
    assert "Travailleur handicapé" not in page


def test_page_refusee_sans_droit(client_for):
    assert client_for("suivi").get(reverse("indicateurs")).status_code == 403
    assert (
        client_for("animateur").get(reverse("indicateurs_graphique", args=["mois"])).status_code
        == 403
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"debut": "2025-03-01", "fin": "2025-01-01"}, "période inversée"),
        ({"annee": "1990"}, "Année 1990 hors des données"),
        (
            {"donneur_ordre": "999999"},
            "Donneur d&#x27;ordre : ce choix n&#x27;existe pas ou ne vous est pas proposé",
        ),
    ],
)
def test_page_mauvais_filtres(jeu, client_for, params, message):
    page = client_for("direction").get(reverse("indicateurs"), params).content.decode()
    assert message in page
    assert "data-chiffre" not in page


def test_graphique_svg(jeu, client_for):
    client = client_for("direction")
    reponse = client.get(reverse("indicateurs_graphique", args=["mois"]), {"annee": 2025})
    assert reponse["Content-Type"] == "image/svg+xml"
    assert reponse.content.startswith(b"<?xml") and b"<svg" in reponse.content
    assert client.get(reverse("indicateurs_graphique", args=["inconnu"])).status_code == 404


def test_page_nombre_de_requetes_constant(jeu, client_for, django_assert_max_num_queries):
    client = client_for("facilitateur")
    with django_assert_max_num_queries(40):
        client.get(reverse("indicateurs"), {"annee": 2025})


def test_graphiques_masquent_les_petits_effectifs():
    from mife import graphiques
    from mife.indicateurs import Ligne

    lignes = [Ligne("F", "Femme", 2, Decimal("220")), Ligne("M", "Homme", 5, Decimal("130"))]
    assert graphiques.valeurs_affichees(lignes) == [
        ("Femme", 0.0, "< 3"),
        ("Homme", 130.0, "130 h"),
    ]
    assert graphiques.valeurs_affichees(lignes, "personnes")[1] == ("Homme", 5.0, "5")
    assert graphiques.barres(lignes, "Essai").startswith("<?xml")


# --- speed: last year's key figures only, charts drawn once per data ------------------------


def test_chiffres_cles_sans_detail_identiques(jeu):
    """Last year beside the page is computed without the breakdowns: same key figures."""
    for filtres in (
        Filtres.annee(2025),
        Filtres.annee(2025, donneur_ordre=jeu["la"].marche.donneur_ordre),
    ):
        complet = indicateurs.calculer(filtres)
        resume = indicateurs.calculer(filtres, detail=False)
        assert indicateurs.chiffres_cles(resume, None) == indicateurs.chiffres_cles(complet, None)
        assert complet.par_donneur and resume.par_donneur == []
    assert indicateurs.calculer(Filtres.annee(2025), detail=False).heures > 0


def test_page_un_an_avant(jeu, client_for):
    """The « Un an avant » column reads the same figures as the page of that year."""
    client = client_for("direction")
    avant = client.get(reverse("indicateurs"), {"annee": 2024}).context["chiffres"]
    page = client.get(reverse("indicateurs"), {"annee": 2025}).context["chiffres"]
    assert [c["precedent"] for c in page] == [c["valeur"] for c in avant]
    assert any(c["precedent"] for c in page)


def test_graphique_dessine_une_fois_par_donnees():
    from unittest import mock

    from django.core.cache import cache

    from mife import graphiques
    from mife.indicateurs import Ligne

    cache.clear()
    lignes = [Ligne("F", "Femme", 4, Decimal("220")), Ligne("M", "Homme", 5, Decimal("130"))]
    with mock.patch.object(graphiques, "_figure", wraps=graphiques._figure) as figure:
        premier = graphiques.barres(lignes, "Essai")
        lignes[0].lien = "/participants/?sexe=F"  # a link is not drawn: same chart
        second = graphiques.barres(list(lignes), "Essai")
        assert figure.call_count == 1 and second == premier
        autre = graphiques.barres([Ligne("F", "Femme", 4, Decimal("221")), lignes[1]], "Essai")
        assert figure.call_count == 2 and autre != premier
        assert graphiques.barres(lignes, "Essai", valeur="personnes") != premier
        assert graphiques.barres(lignes, "Autre titre") != premier
        assert figure.call_count == 4
        empilees = {"Femmes": lignes, "Hommes": lignes}
        assert graphiques.barres_empilees(empilees, "T") == graphiques.barres_empilees(
            {"Femmes": list(lignes), "Hommes": list(lignes)}, "T"
        )
        assert figure.call_count == 5
    cache.clear()
    assert graphiques.barres(lignes, "Essai") == premier  # drawn again: the very same SVG


def test_graphique_page_et_pdf_dessines_une_fois(jeu, client_for):
    from unittest import mock

    from django.core.cache import cache

    from mife import graphiques

    cache.clear()
    client = client_for("direction")
    url = reverse("indicateurs_graphique", args=["mois"])
    with mock.patch.object(graphiques, "_figure", wraps=graphiques._figure) as figure:
        premier = client.get(url, {"annee": 2025}).content
        assert client.get(url, {"annee": 2025}).content == premier
        assert figure.call_count == 1
        # The bilan draws the same chart from the same figures: taken from the cache.
        assert graphiques.dessiner("mois", indicateurs.calculer(Filtres.annee(2025))) == (
            premier.decode()
        )
        assert figure.call_count == 1
        autre = client.get(url, {"annee": 2024}).content
        assert figure.call_count == 2 and autre != premier
    cache.clear()


def test_heures_requises_de_lots_identiques_comptees_chacune():
    """Two lots of the same company with the same dates and required hours are two lots: the
    required pace, filtered by that company, counts both (not one ``DISTINCT`` row)."""
    entreprise = f.EntrepriseFactory()
    for _ in range(2):
        lot = f.LotFactory(
            titulaire=entreprise, date_debut=dt.date(2025, 1, 1), date_fin=dt.date(2025, 12, 31)
        )
        f.ClauseFactory(lot=lot, heures_requises=Decimal("365"))
    r = indicateurs.calculer(Filtres.annee(2025, entreprise=entreprise))
    assert r.heures_requises == Decimal("730")
    assert r.par_mois[0][2] == Decimal("62")  # 2 × 31 days × 1 h a day
