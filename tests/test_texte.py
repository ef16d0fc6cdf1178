"""Text without accents, defined once in ``mife.core.texte`` and used by every comparison,
sort and search: DECP labels (``test_decp``), possible duplicate participants, the month board."""

import datetime as dt

import pytest

from heures.selectors_mois import lignes_du_mois
from heures.services import participants
from mife.core.texte import cle_recherche, sans_accents
from tests import factories as f


@pytest.mark.parametrize(
    ("texte", "attendu"),
    [
        ("Cœur d'Élodie", "Coeur d'Elodie"),
        ("ŒUVRE Æsop", "OeUVRE Aesop"),
        ("Procédure négociée", "Procedure negociee"),
        ("", ""),
    ],
)
def test_sans_accents_garde_la_casse(texte, attendu):
    assert sans_accents(texte) == attendu


@pytest.mark.parametrize(
    ("texte", "attendu"),
    [
        ("  Cœur  d’Élodie ", "coeur d'elodie"),
        ("Appel d’offres ouvert", "appel d'offres ouvert"),
        ("LEFÈVRE\u00a0Jean-Noël", "lefevre jean-noel"),  # non-breaking space
        ("", ""),
    ],
)
def test_cle_de_recherche(texte, attendu):
    assert cle_recherche(texte) == attendu


@pytest.mark.django_db
def test_doublon_possible_malgre_ligature_et_apostrophe():
    naissance = dt.date(1990, 5, 18)
    existant = f.ParticipantFactory(nom="D’Œillet", prenom="Zoé", date_naissance=naissance)
    assert participants.doublons_possibles("d'oeillet", "ZOE", naissance) == [existant]


@pytest.mark.django_db
def test_tableau_du_mois_trie_et_cherche_sans_accents():
    mois = dt.date(2025, 3, 1)
    for nom in ("Zénith Bâtiment", "Éclair Services", "Œillet Rénovation"):
        f.MissionFactory(
            employeur=f.EntrepriseFactory(raison_sociale=nom),
            date_debut=dt.date(2025, 1, 6),
            date_fin=dt.date(2025, 6, 30),
            lot__date_debut=dt.date(2025, 1, 1),
            lot__date_fin=dt.date(2025, 12, 31),
        )
    assert [li.entreprise for li in lignes_du_mois(mois)] == [
        "Éclair Services",
        "Œillet Rénovation",
        "Zénith Bâtiment",
    ]
    assert [li.entreprise for li in lignes_du_mois(mois, q="oeillet")] == ["Œillet Rénovation"]
    assert [li.entreprise for li in lignes_du_mois(mois, q="ECLAIR")] == ["Éclair Services"]
