"""``make bench`` end to end at a tiny scale: the dataset, results.json and its keys.

No timing is asserted (the machine decides them); the test proves the run completes, measures
what the issue asks and writes the file the README explains.
"""

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from entreprises.models import Entreprise
from heures.models import Attestation, DeclarationMensuelle, LigneDeclaration, Mission
from marches.models import Lot
from mife.bench import donnees, mesures
from mife.core.mois import ajouter_mois, premier_jour
from mife.management.commands import bench

pytestmark = pytest.mark.django_db
DECP = Path(__file__).parent / "data" / "decp" / "decp_v2_gip_maximilien_excerpt.json"
ECHELLE = 0.0005


@pytest.fixture
def base_de_bench(monkeypatch, settings, tmp_path):
    """The test database stands for a bench database (its name has no « bench »)."""
    monkeypatch.setattr(bench, "base_acceptee", lambda nom: True)
    settings.MEDIA_ROOT = tmp_path / "media"


def _lancer(tmp_path, echelle=ECHELLE, **extra) -> tuple[dict, str]:
    sortie = tmp_path / "results.json"
    texte = io.StringIO()
    call_command(
        "bench",
        echelle=echelle,
        repetitions=1,
        attestations=3,
        decp=str(DECP),
        sortie=str(sortie),
        stdout=texte,
        **extra,
    )
    return json.loads(sortie.read_text()), texte.getvalue()


def test_bench_de_bout_en_bout(base_de_bench, tmp_path):
    resultats, texte = _lancer(tmp_path)

    # The dataset has its extremes: the big company, the big lot, the busy facilitator.
    e = donnees.Echelle(ECHELLE)
    assert donnees.echelle_en_place() == ECHELLE
    assert Lot.objects.count() == e.lots
    grosse = Entreprise.objects.annotate(n=Count("lots_titulaire")).order_by("pk").first()
    assert grosse.n == e.lots_grosse_entreprise
    assert Mission.objects.filter(lot=Lot.objects.order_by("pk").first()).count() == (
        e.missions_gros_lot
    )
    assert LigneDeclaration.objects.count() == resultats["echelle"]["lignes_heures_visees"]
    assert DeclarationMensuelle.objects.values("mois").distinct().count() >= 24  # five years

    # results.json holds what the README explains.
    assert set(resultats["ratios"]) == {
        "attestation_vs_weasyprint",
        "bilan_vs_sql",
        "export_vs_openpyxl",
        "pages_max_vs_sql",
    }
    assert all(isinstance(v, float | int) for v in resultats["ratios"].values())
    for cle in ("pages_max_ms", "queries_max", "commit", "date", "cibles"):
        assert resultats[cle] not in (None, "")
    assert resultats["machine"]["coeurs"] >= 1
    assert resultats["machine"]["debug"] is False
    assert resultats["echelle"]["facteur"] == ECHELLE
    assert resultats["pages_en_erreur"] == []

    # Every list page in its four views, each role's home and the big records.
    urls = {p["url"] for p in resultats["pages"]}
    for nom, _classe in mesures.pages_de_liste():
        url = reverse(nom)
        assert url in urls and f"{url}?page=last" in urls, nom
    noms = {p["nom"] for p in resultats["pages"]}
    assert {f"Accueil {code}" for code in donnees.COMPTES} <= noms
    assert {"Indicateurs", "Lot aux 2 000 missions", "Entreprise aux 2 000 lots"} <= noms
    assert all(p["requetes"] > 0 and p["sql_p95_ms"] >= 0 for p in resultats["pages"])

    assert resultats["lot_attestations"]["attestations"] == 3
    assert resultats["export"]["lignes"] > 0
    assert resultats["export"]["app_pic_memoire_mio"] > 0
    classeur = resultats["imports"]["classeur_heures"]
    assert classeur["lignes"] == e.missions_gros_lot + 4 * (e.lots_grosse_entreprise - 1)
    assert classeur["erreurs"] == 0 and classeur["declarations_enregistrees"] > 0
    assert resultats["imports"]["decp_national"]["enregistrements_lus"] > 0

    # Every measured write was rolled back: the bench database stays as seeded.
    assert not Attestation.objects.exists()
    dernier_mois = ajouter_mois(premier_jour(timezone.localdate()), -1)
    assert not DeclarationMensuelle.objects.filter(entreprise=grosse, mois=dernier_mois).exists()
    assert "attestation_vs_weasyprint" in texte and "pages_max_ms" in texte


def test_une_base_deja_remplie_n_est_pas_remplie_deux_fois(base_de_bench, tmp_path):
    call_command("bench", echelle=ECHELLE, remplir_seulement=True, stdout=io.StringIO())
    lignes = LigneDeclaration.objects.count()
    texte = io.StringIO()
    call_command("bench", echelle=ECHELLE, remplir_seulement=True, stdout=texte)
    assert "remplissage sauté" in texte.getvalue()
    assert LigneDeclaration.objects.count() == lignes

    with pytest.raises(CommandError, match=r"remplie à l'échelle 0\.0005, pas 0\.01"):
        call_command("bench", echelle=0.01, remplir_seulement=True, stdout=io.StringIO())


def test_refus_d_une_base_qui_n_est_pas_dediee(settings):
    with pytest.raises(CommandError, match="utilisez une base dédiée"):
        call_command("bench", echelle=ECHELLE, stdout=io.StringIO())
    assert not Lot.objects.exists()


def test_refus_d_une_base_qui_a_deja_des_donnees(base_de_bench):
    from tests.factories import LotFactory

    LotFactory()
    with pytest.raises(CommandError, match="ne viennent pas du bench"):
        call_command("bench", echelle=ECHELLE, remplir_seulement=True, stdout=io.StringIO())
    assert Lot.objects.count() == 1


def test_refus_en_debug(base_de_bench, settings):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="DEBUG est activé"):
        call_command("bench", echelle=ECHELLE, stdout=io.StringIO())
    assert not Lot.objects.exists()


def test_make_load_demarre_avec_des_sessions_ouvertes(base_de_bench, tmp_path, client):
    """``mife.bench.charge`` opens one session per bench account: with its cookie alone, a
    Locust user lands on its role's home, without typing a password."""
    from django.conf import settings

    from mife.bench import charge

    call_command("bench", echelle=ECHELLE, remplir_seulement=True, stdout=io.StringIO())
    fichier = tmp_path / "sessions.json"
    assert charge.ecrire_sessions(str(fichier)) == sum(donnees.COMPTES.values())
    contenu = json.loads(fichier.read_text())
    assert contenu["cookie"] == settings.SESSION_COOKIE_NAME
    client.cookies[settings.SESSION_COOKIE_NAME] = contenu["sessions"]["bench-suivi-003"]
    reponse = client.get("/", secure=True)
    assert reponse.status_code == 200
    assert reponse.wsgi_request.user.username == "bench-suivi-003"
    # A forged cookie opens nothing.
    client.cookies[settings.SESSION_COOKIE_NAME] = "inconnu"
    assert client.get("/", secure=True).status_code == 302
