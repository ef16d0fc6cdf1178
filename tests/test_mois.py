"""Month arithmetic of the kernel (mife/core/mois.py): the only place months are computed."""

from datetime import date

import pytest

from mife.core.mois import (
    MOIS_INVALIDE,
    ajouter_mois,
    dernier_jour,
    lire_mois,
    mois_precedent,
    premier_jour,
)


def test_premier_et_dernier_jour():
    assert premier_jour(date(2026, 11, 17)) == date(2026, 11, 1)
    assert dernier_jour(date(2026, 11, 17)) == date(2026, 11, 30)
    assert dernier_jour(date(2026, 12, 1)) == date(2026, 12, 31)
    assert dernier_jour(date(2024, 2, 10)) == date(2024, 2, 29)  # bissextile
    assert dernier_jour(date(2025, 2, 10)) == date(2025, 2, 28)


def test_ajouter_mois_traverse_les_annees():
    assert ajouter_mois(date(2026, 11, 30), 1) == date(2026, 12, 1)
    assert ajouter_mois(date(2026, 11, 30), 2) == date(2027, 1, 1)
    assert ajouter_mois(date(2026, 1, 31), -1) == date(2025, 12, 1)
    assert ajouter_mois(date(2026, 3, 15), -27) == date(2023, 12, 1)
    assert ajouter_mois(date(2026, 3, 15), 0) == date(2026, 3, 1)


def test_mois_precedent():
    assert mois_precedent(date(2026, 1, 15)) == date(2025, 12, 1)
    assert mois_precedent(date(2026, 3, 31)) == date(2026, 2, 1)


@pytest.mark.parametrize(
    ("texte", "attendu"),
    [
        ("2026-11", date(2026, 11, 1)),
        (" 11/2026 ", date(2026, 11, 1)),
        ("3/2025", date(2025, 3, 1)),
    ],
)
def test_lire_mois(texte, attendu):
    assert lire_mois(texte) == attendu


@pytest.mark.parametrize("texte", ["", "2026-13", "00/2026", "novembre 2026", "1899-05", None])
def test_lire_mois_refuse_en_francais(texte):
    with pytest.raises(ValueError, match="Mois invalide"):
        lire_mois(texte)
    assert MOIS_INVALIDE.startswith("Mois invalide")
