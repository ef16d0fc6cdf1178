"""« Mission active » defined once: ``Mission.objects.actives_entre / actives_sur_mois`` (SQL),
``Mission.active_entre / active_sur_mois / etat_le`` (Python), and both agree."""

import datetime as dt

import pytest

from heures.models import EtatMission, Mission
from tests.factories import LotFactory, MissionFactory

pytestmark = pytest.mark.django_db

NOVEMBRE = dt.date(2026, 11, 1)


@pytest.fixture
def missions():
    lot = LotFactory(date_debut=dt.date(2026, 1, 1), date_fin=dt.date(2027, 12, 31))
    dates = {
        "finie_en_octobre": (dt.date(2026, 9, 1), dt.date(2026, 10, 31)),
        "finie_le_1er": (dt.date(2026, 9, 1), dt.date(2026, 11, 1)),
        "commence_le_30": (dt.date(2026, 11, 30), None),
        "commence_en_decembre": (dt.date(2026, 12, 1), dt.date(2027, 3, 31)),
        "sans_fin": (dt.date(2026, 2, 1), None),
        "dans_le_mois": (dt.date(2026, 11, 10), dt.date(2026, 11, 20)),
    }
    return {
        nom: MissionFactory(lot=lot, date_debut=debut, date_fin=fin)
        for nom, (debut, fin) in dates.items()
    }


def test_actives_sur_mois_bornes_comprises(missions):
    actives = set(Mission.objects.actives_sur_mois(NOVEMBRE).values_list("pk", flat=True))
    attendues = {"finie_le_1er", "commence_le_30", "sans_fin", "dans_le_mois"}
    assert actives == {missions[nom].pk for nom in attendues}
    # Any day of the month gives the same month.
    assert set(
        Mission.objects.actives_sur_mois(dt.date(2026, 11, 17)).values_list("pk", flat=True)
    ) == {missions[nom].pk for nom in attendues}


def test_la_regle_python_et_la_regle_sql_sont_la_meme(missions):
    for mois in (dt.date(2026, 10, 1), NOVEMBRE, dt.date(2026, 12, 1), dt.date(2027, 4, 1)):
        en_sql = set(Mission.objects.actives_sur_mois(mois).values_list("pk", flat=True))
        en_python = {m.pk for m in missions.values() if m.active_sur_mois(mois)}
        assert en_sql == en_python, mois


def test_actives_entre_sans_fin_de_periode(missions):
    actives = set(
        Mission.objects.actives_entre(dt.date(2026, 12, 15), None).values_list("pk", flat=True)
    )
    assert actives == {
        missions[nom].pk for nom in ("commence_le_30", "commence_en_decembre", "sans_fin")
    }


def test_etat_le(missions):
    mission = missions["dans_le_mois"]
    assert mission.etat_le(dt.date(2026, 11, 9)) == EtatMission.A_VENIR
    assert mission.etat_le(dt.date(2026, 11, 10)) == EtatMission.EN_COURS
    assert mission.etat_le(dt.date(2026, 11, 20)) == EtatMission.EN_COURS
    assert mission.etat_le(dt.date(2026, 11, 21)) == EtatMission.TERMINEE
    assert missions["sans_fin"].etat_le(dt.date(2040, 1, 1)) == EtatMission.EN_COURS
    # The queryset filters of the list say the same.
    jour = dt.date(2026, 11, 15)
    for etat, filtre in (
        (EtatMission.A_VENIR, Mission.objects.a_venir),
        (EtatMission.EN_COURS, Mission.objects.actives_le),
        (EtatMission.TERMINEE, Mission.objects.terminees),
    ):
        assert set(filtre(jour).values_list("pk", flat=True)) == {
            m.pk for m in missions.values() if m.etat_le(jour) == etat
        }
