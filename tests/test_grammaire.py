"""French grammar of generated text (mife/core/grammaire.py) and the SIRET format."""

import datetime as dt

import pytest

from mife.core import formats, grammaire
from mife.core.grammaire import Article


@pytest.mark.parametrize(
    ("nom", "article", "de", "a", "par", "sujet"),
    [
        (
            "MIFE du Territoire de Belfort",
            Article.LA,
            "de la MIFE du Territoire de Belfort",
            "à la MIFE du Territoire de Belfort",
            "par la MIFE du Territoire de Belfort",
            "La MIFE du Territoire de Belfort",
        ),
        (
            "Conseil départemental",
            Article.LE,
            "du Conseil départemental",
            "au Conseil départemental",
            "par le Conseil départemental",
            "Le Conseil départemental",
        ),
        ("Agence", Article.L, "de l'Agence", "à l'Agence", "par l'Agence", "L'Agence"),
        # « le » / « la » before a vowel elide (« l'Office »), no contraction (« de l' »).
        ("Office public", Article.LE, "de l'Office public", "à l'Office public", None, None),
        ("Compagnons", Article.LES, "des Compagnons", "aux Compagnons", "par les Compagnons", None),
        # A proper noun without an article: « de » elides before a vowel.
        ("Territoire habitat", Article.AUCUN, "de Territoire habitat", "à Territoire habitat",
         "par Territoire habitat", "Territoire habitat"),
        ("Emploi 90", Article.AUCUN, "d'Emploi 90", "à Emploi 90", None, None),
        ("Héricourt", Article.AUCUN, "d'Héricourt", None, None, None),
    ],
)  # fmt: skip
def test_prepositions_et_articles(nom, article, de, a, par, sujet):
    assert grammaire.de(nom, article) == de
    if a:
        assert grammaire.a(nom, article) == a
    if par:
        assert grammaire.par(nom, article) == par
    if sujet:
        assert grammaire.avec_article(nom, article, majuscule=True) == sujet


@pytest.mark.parametrize(
    ("mois", "attendu"),
    [
        (dt.date(2026, 10, 1), "d'octobre 2026"),
        (dt.date(2026, 4, 1), "d'avril 2026"),
        (dt.date(2026, 8, 1), "d'août 2026"),
        (dt.date(2026, 11, 1), "de novembre 2026"),
        (dt.date(2026, 5, 1), "de mai 2026"),
    ],
)
def test_de_mois_elide_devant_une_voyelle(mois, attendu):
    assert grammaire.de_mois(mois) == attendu


def test_de_mois_sans_annee_et_vide():
    assert grammaire.de_mois(dt.date(2026, 8, 1), annee=False) == "d'août"
    assert grammaire.de_mois(None) == ""


def test_accord_selon_le_genre_du_modele():
    class Operation:
        genre_grammatical = grammaire.FEMININ

    class Lot:
        pass

    assert grammaire.accorde("enregistré", Operation) == "enregistrée"
    assert grammaire.accorde("enregistré", Operation()) == "enregistrée"
    assert grammaire.accorde("enregistré", Lot) == "enregistré"
    assert grammaire.accorde("convoqué", feminin=False, pluriel=True) == "convoqués"
    assert grammaire.pluriel(1, "membre convoqué") == "1 membre convoqué"
    assert grammaire.pluriel(3, "membre convoqué", "membres convoqués") == "3 membres convoqués"
    assert grammaire.pluriel(0, "avis enregistré", "avis enregistrés") == "0 avis enregistré"


def test_nouveau_selon_le_genre():
    class Operation:
        genre_grammatical = grammaire.FEMININ

        class _meta:
            verbose_name = "opération"

    class Marche:
        class _meta:
            verbose_name = "marché"

    class Echange:
        class _meta:
            verbose_name = "échange"

    assert grammaire.nouveau(Operation) == "Nouvelle opération"
    assert grammaire.nouveau(Marche) == "Nouveau marché"
    assert grammaire.nouveau(Echange) == "Nouvel échange"


def test_siret_espace():
    assert formats.siret("12345678900012") == "123 456 789 00012"
    assert formats.siret("123 456 789 00012") == "123 456 789 00012"
    assert formats.siret("FR12345678901") == "FR12345678901"  # another identifier, untouched
    assert formats.siret("") == ""
