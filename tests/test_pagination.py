"""The list pages' paginator (mife/core/pagination.py): deep and last pages read from the end or
keys first, and give exactly the rows plain slicing gives, ties and empty values included."""

import datetime as dt

import pytest
from django.urls import reverse

from marches.models import Lot
from mife.core.pagination import PaginateurListe
from tests.factories import LotFactory, MarcheFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lots():
    marches = [MarcheFactory(reference=f"M-{i % 4}") for i in range(4)]
    for i in range(23):
        # Ties (several lots per day) and empty dates, in both ends of the ordering.
        debut = None if i % 5 == 0 else dt.date(2026, 1, 1) + dt.timedelta(days=i % 7)
        fin = debut and debut + dt.timedelta(days=365)
        LotFactory(marche=marches[i % 4], numero=f"{i:02d}", date_debut=debut, date_fin=fin)
    return Lot.objects.all()


@pytest.mark.parametrize(
    "tri",
    [("date_debut", "pk"), ("-date_debut", "pk"), ("marche__reference", "-pk"), ("-numero", "pk")],
)
@pytest.mark.parametrize("seuil", [0, 1000])
def test_chaque_page_donne_les_lignes_du_decoupage_simple(lots, tri, seuil, monkeypatch):
    monkeypatch.setattr(PaginateurListe, "seuil", seuil)
    qs = lots.select_related("marche").order_by(*tri)
    attendu = [lot.pk for lot in qs]
    paginateur = PaginateurListe(qs, 4)
    lues = []
    for numero in paginateur.page_range:
        page = paginateur.page(numero)
        lues += [lot.pk for lot in page.object_list]
        assert len(page) == len(page.object_list)
    assert lues == attendu


def test_page_profonde_en_deux_requetes_sans_jointure_pour_les_lignes_sautees(
    lots, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(PaginateurListe, "seuil", 0)
    qs = lots.select_related("marche").order_by("date_debut", "pk")
    paginateur = PaginateurListe(qs, 4)
    paginateur.count  # noqa: B018 (the count is its own query)
    with django_assert_num_queries(2) as requetes:
        lignes = list(paginateur.page(2).object_list)
    cles, lignes_sql = (q["sql"] for q in requetes.captured_queries)
    assert "JOIN" not in cles and "marches_marche" in lignes_sql
    assert [lot.pk for lot in lignes] == [lot.pk for lot in qs[4:8]]
    with django_assert_num_queries(0):
        assert all(lot.marche.reference for lot in lignes)  # select_related kept


def test_derniere_page_lue_depuis_la_fin(lots, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(PaginateurListe, "seuil", 0)
    qs = lots.select_related("marche").order_by("-date_debut", "pk")
    paginateur = PaginateurListe(qs, 4)
    paginateur.count  # noqa: B018
    with django_assert_num_queries(2) as requetes:
        derniere = list(paginateur.page(paginateur.num_pages).object_list)
    assert "OFFSET" not in requetes.captured_queries[0]["sql"]
    assert [lot.pk for lot in derniere] == [lot.pk for lot in qs[20:]]


def test_petite_liste_en_une_requete(lots, django_assert_num_queries):
    qs = lots.select_related("marche").order_by("numero", "pk")
    paginateur = PaginateurListe(qs, 4)
    paginateur.count  # noqa: B018
    with django_assert_num_queries(1):
        assert [lot.numero for lot in paginateur.page(2).object_list] == ["04", "05", "06", "07"]


def test_derniere_page_d_une_liste_identique_au_decoupage(client_for, monkeypatch):
    """Through a real list page: the last page shows the rows it showed before."""
    from mife import roles

    monkeypatch.setattr(PaginateurListe, "seuil", 0)
    for i in range(30):
        MarcheFactory(reference=f"R-{i:02d}")
    client = client_for(roles.FACILITATEUR)
    url = reverse("marches:marche_liste")
    page = client.get(url, {"page": "last", "tri": "-reference"})
    assert [m.reference for m in page.context["object_list"]] == [
        "R-04",
        "R-03",
        "R-02",
        "R-01",
        "R-00",
    ]
