"""FSE+ export: one pseudonymised row per participant of the period (hand-computed dataset)."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from mife import fse
from tests import jeu_bilan

pytestmark = pytest.mark.django_db


def test_export_fse_pseudonymise(client_for):
    jeu = jeu_bilan.construire()
    client = client_for("direction")
    reponse = client.get(reverse("export_fse"), {"annee": 2025})
    assert reponse.status_code == 200
    assert 'filename="fse-participants-20250101-20251231.xlsx"' in reponse["Content-Disposition"]
    ws = load_workbook(io.BytesIO(reponse.content))["Participants FSE+"]
    assert ws.freeze_panes == "B2"
    rangs = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert len(rangs) == 3
    p1 = rangs[fse.pseudonyme(jeu["p1"].pk)]
    assert p1[3:10] == ("Femme", "18 à 29 ans", "CITE 0 à 2", "Chômeur", "Oui", "Oui", 220)
    assert p1[10].startswith("Emploi durable") and p1[12] == "En emploi durable"
    p3 = rangs[fse.pseudonyme(jeu["p3"].pk)]
    assert p3[4:9] == ("55 ans et plus", "CITE 5 à 8", "En emploi", "Non", "Non")
    contenu = "|".join(str(v) for r in rangs.values() for v in r)
    for identite in ("Un", "Deux", "Trois", "2000-03-01", str(jeu["p1"].pk) + "|"):
        assert identite not in contenu.split("|")
    assert "RQTH" not in contenu and "Travailleur handicapé" not in contenu


def test_pseudonyme_stable_et_distinct():
    assert fse.pseudonyme(1) == fse.pseudonyme(1)
    assert fse.pseudonyme(1) != fse.pseudonyme(2)
    assert fse.pseudonyme(1).startswith("P-") and fse.pseudonyme(1)[2:] != "1"


def test_export_fse_refuse_sans_droit_et_filtres_invalides(client_for):
    assert client_for("suivi").get(reverse("export_fse")).status_code == 403
    client = client_for("direction", username="dir2")
    reponse = client.get(reverse("export_fse"), {"debut": "2025-03-01", "fin": "2025-01-01"})
    assert reponse.status_code == 302
