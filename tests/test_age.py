"""A participant's age, computed in one place: ``Participant.age_le``."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from heures.models import Participant
from mife import roles
from tests.factories import ParticipantFactory


@pytest.mark.parametrize(
    ("naissance", "jour", "age"),
    [
        (dt.date(2000, 6, 15), dt.date(2026, 6, 14), 25),  # the day before the birthday
        (dt.date(2000, 6, 15), dt.date(2026, 6, 15), 26),  # the birthday
        (dt.date(2000, 6, 15), dt.date(2026, 12, 31), 26),
        (dt.date(2004, 2, 29), dt.date(2026, 2, 28), 21),  # born on 29 February
        (dt.date(2004, 2, 29), dt.date(2026, 3, 1), 22),
        (dt.date(2004, 2, 29), dt.date(2028, 2, 29), 24),
    ],
)
def test_age_le(naissance, jour, age):
    assert Participant(date_naissance=naissance).age_le(jour) == age


@pytest.mark.django_db
def test_la_fiche_affiche_l_age_du_jour(client_for):
    aujourd_hui = timezone.localdate()
    naissance = aujourd_hui.replace(year=aujourd_hui.year - 30, day=1)  # 30 this month
    participant = ParticipantFactory(date_naissance=naissance)
    texte = (
        client_for(roles.FACILITATEUR)
        .get(reverse("heures:participant_detail", args=[participant.pk]))
        .content.decode()
    )
    assert f"{participant.age_le(aujourd_hui)} ans" in texte
    assert "30 ans" in texte
