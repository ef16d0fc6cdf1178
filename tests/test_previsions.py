"""Lot forecast at the current pace, shortfall and penalty exposure (computed by hand)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from heures import selectors
from marches.models import Lot
from tests import factories as f
from tests import jeu_bilan

pytestmark = pytest.mark.django_db


@pytest.fixture
def jeu():
    return jeu_bilan.construire()


def test_prevision_calculee_a_la_main(jeu):
    previsions = {
        p.lot.pk: p for p in selectors.previsions_lots(Lot.objects.all(), dt.date(2025, 6, 15))
    }
    lb = previsions[jeu["lb"].pk]
    # 80 h over 151 days (01/01 → 31/05), 214 days left (01/06 → 31/12): 80 + 80 × 214 / 151
    assert lb.heures_realisees == Decimal("80.00")
    assert lb.prevision == Decimal("193.38")
    assert lb.manque == Decimal("171.62")
    assert lb.exposition == Decimal("5148.60")  # 171.62 × 30 €
    assert lb.a_risque
    la = previsions[jeu["la"].pk]
    # 340 h (December 2024 included: the lot's hours) + 340 × 214 / 151 = 821.85
    assert la.heures_realisees == Decimal("340.00")
    assert la.prevision == Decimal("821.85") and la.manque == Decimal("178.15")
    assert la.exposition == Decimal("3563.00")  # 178.15 × 20 €
    au_debut = selectors.prevision_lot(
        selectors.annoter_avancement(
            Lot.objects.filter(pk=jeu["la"].pk), dt.date(2025, 3, 15)
        ).get(),
        dt.date(2025, 3, 15),
    )
    assert not au_debut.a_risque  # 340 h in January–February: 340 + 340 × 306 / 59


def test_lot_sans_penalite_ni_rythme(jeu):
    jeu["lb"].clause.penalite_horaire = None
    jeu["lb"].clause.save()
    p = selectors.prevision_lot(
        selectors.annoter_avancement(Lot.objects.filter(pk=jeu["lb"].pk).select_related("clause"),
                                     dt.date(2025, 1, 10)).get(),
        dt.date(2025, 1, 10),
    )  # fmt: skip
    assert p.rythme_jour == 0 and p.prevision == Decimal("80.00")
    assert p.manque == Decimal("285.00") and p.exposition == 0


def test_page_des_lots_a_risque(jeu, client_for, django_assert_max_num_queries):
    client = client_for("direction")
    for _ in range(5):
        f.ClauseFactory(lot__date_debut=dt.date.today() - dt.timedelta(days=60),
                        lot__date_fin=dt.date.today() + dt.timedelta(days=300),
                        lot__marche__date_notification=dt.date.today() - dt.timedelta(days=90),
                        heures_requises=Decimal("500"))  # fmt: skip
    with django_assert_max_num_queries(12):
        page = client.get(reverse("previsions")).content.decode()
    assert "<strong>5</strong> lots à risque" in page
    # no hours yet: the whole 500 h is missing on each lot, at 30 € per hour
    assert "75 000,00 €</strong>" in page.replace("\u202f", " ").replace("\xa0", " ")
    page = client.get(reverse("previsions"), {"tous": "1"}).content.decode()
    assert jeu["la"].intitule in page


def test_page_refusee_sans_droit(client_for):
    assert client_for("suivi").get(reverse("previsions")).status_code == 403


def test_page_paginee_totaux_sur_tous_les_lots(client_for, monkeypatch):
    """Thousands of lots nationally: the table shows a page, the totals cover every lot."""
    from mife import views

    monkeypatch.setattr(views, "PREVISIONS_PAR_PAGE", 2)
    for _ in range(5):
        f.ClauseFactory(lot__date_debut=dt.date.today() - dt.timedelta(days=60),
                        lot__date_fin=dt.date.today() + dt.timedelta(days=300),
                        lot__marche__date_notification=dt.date.today() - dt.timedelta(days=90),
                        heures_requises=Decimal("500"))  # fmt: skip
    client = client_for("direction")
    page = client.get(reverse("previsions"), {"page": "3"}).content.decode()
    assert "<strong>5</strong> lots à risque" in page
    assert "75 000,00 €</strong>" in page.replace("\u202f", " ").replace("\xa0", " ")
    assert page.count('class="table-warning"') == 1  # 5 lots, 2 a page: the third page has 1
    assert "Page 3 sur 3" in page
