"""Fault tests: what a crash, a lost connection or two people at once must not break.

- the worker killed (SIGKILL, a real process) in the middle of a month batch: restarted, it
  finishes the batch with every number once and no gap (PostgreSQL: the worker is a separate
  process that needs a shared database; the same story is simulated on any database in
  ``test_generation_attestations.py``);
- the database connection lost in the middle of an import (hours workbook, DECP file): nothing
  is written, not even half of it;
- two users saving the same declaration, label dossier or lot, each through the pages: the
  first is saved, the second is told who changed it and nothing of theirs is written.
"""

import datetime as dt
import hashlib
import io
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from entreprises.models import Entreprise
from heures.models import (
    Attestation,
    CompteurNumero,
    DeclarationMensuelle,
    LigneDeclaration,
    StatutAttestation,
    StatutGeneration,
)
from heures.services import declarations, excel_heures, generation
from label.models import StatutDossier
from marches import decp
from marches.models import DonneurOrdre, Lot, Marche
from mife import roles
from tests import factories as f
from tests.test_excel_heures import _lot, _mission
from tests.test_generation_attestations import _validees
from tests.test_marches_edition import (
    NOTIFICATION,
    _champs,
    _champs_en_erreur,
    _lot_existant,
    _texte,
)

pytestmark = pytest.mark.django_db
RACINE = Path(settings.BASE_DIR)
POSTGRESQL_SEULEMENT = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="le worker tué est un vrai processus : il lui faut une base partagée (PostgreSQL, "
    "comme en CI) ; sur SQLite la base de test est en mémoire. La même panne est simulée sur "
    "toute base dans test_generation_attestations.py.",
)


def _url_base_de_test() -> str:
    reglages = connection.settings_dict
    auth = reglages["USER"] + (f":{reglages['PASSWORD']}" if reglages["PASSWORD"] else "")
    return f"postgres://{auth}@{reglages['HOST']}:{reglages['PORT'] or 5432}/{reglages['NAME']}"


def _worker(*options) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mife.settings_test",
        "DATABASE_URL": _url_base_de_test(),
        "CONN_MAX_AGE": "0",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--interval", "0.1", *options],
        cwd=RACINE,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


# --- the worker killed in the middle of a batch --------------------------------------------------


@POSTGRESQL_SEULEMENT
@pytest.mark.django_db(transaction=True)
def test_worker_tue_pendant_un_lot_puis_redemarre_sans_numero_en_double_ni_manquant():
    mois = dt.date(2026, 3, 1)
    a_attester = _validees(8, mois)
    g = generation.demander(mois)  # the database queue: waits for a worker
    assert g.statut == StatutGeneration.EN_ATTENTE

    worker = _worker()
    try:
        limite = time.monotonic() + 180
        while Attestation.objects.filter(mois=mois).count() < 2:
            assert time.monotonic() < limite, "le worker n'a rien émis en 3 minutes"
            assert worker.poll() is None, "le worker s'est arrêté tout seul"
            time.sleep(0.05)
        worker.send_signal(signal.SIGKILL)  # no clean shutdown: as a crash or an OOM kill
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    g.refresh_from_db()
    avant = Attestation.objects.filter(mois=mois).count()
    assert g.statut == StatutGeneration.EN_COURS
    assert 2 <= avant < 8, "le lot devait être interrompu au milieu"

    # Restarted, the worker resumes the batch left « en cours » and stops when the queue is empty.
    reprise = _worker("--batch")
    assert reprise.wait(timeout=300) == 0
    g.refresh_from_db()
    assert g.statut == StatutGeneration.TERMINEE
    assert g.faites == g.total == 8
    numeros = sorted(Attestation.objects.filter(mois=mois).values_list("numero", flat=True))
    assert numeros == [f"ATT-2026-03-{n:05d}" for n in range(1, 9)]
    assert CompteurNumero.objects.get(prefixe="ATT-2026-03").dernier == 8  # no number lost
    for declaration in a_attester:
        (attestation,) = Attestation.objects.filter(declaration=declaration)
        assert attestation.statut == StatutAttestation.EMISE
        with attestation.fichier.open("rb") as fichier:
            assert hashlib.sha256(fichier.read()).hexdigest() == attestation.sha256


# --- the connection lost during an import -----------------------------------------------------


class ConnexionPerdue:
    """Let ``n`` calls through, then fail as a dropped database connection does."""

    def __init__(self, original, n: int):
        self.original, self.reste = original, n

    def __call__(self, *args, **kwargs):
        if self.reste == 0:
            raise OperationalError("server closed the connection unexpectedly")
        self.reste -= 1
        return self.original(*args, **kwargs)


def _tables_heures() -> dict:
    return {
        "déclarations": DeclarationMensuelle.objects.count(),
        "lignes": LigneDeclaration.objects.count(),
        "historique déclarations": DeclarationMensuelle.history.count(),
        "historique lignes": LigneDeclaration.history.count(),
    }


def test_connexion_perdue_pendant_l_import_d_un_classeur_d_heures(
    monkeypatch, make_user, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    mois = dt.date(2026, 3, 1)
    entreprise = f.EntrepriseFactory()
    lot1, lot2 = _lot(entreprise, "2026-MP-0001"), _lot(entreprise, "2026-MP-0002")
    _mission(lot1, "MX-001", "Zébulon", "Awa", dt.date(2026, 2, 1), None)
    _mission(lot2, "MX-002", "Durand", "Hugo", dt.date(2026, 2, 1), None)
    user = make_user(roles.FACILITATEUR)
    wb = load_workbook(io.BytesIO(excel_heures.generer_modele(entreprise, mois, user)))
    for ws in wb.worksheets[:2]:
        ws.cell(excel_heures.PREMIERE_LIGNE, excel_heures.COL_HEURES).value = 35
    tampon = io.BytesIO()
    wb.save(tampon)
    rapport = excel_heures.analyser(tampon.getvalue(), entreprise, mois)
    assert not rapport.erreurs and len(rapport.lots) == 2
    avant = _tables_heures()

    # The first lot is written, then the connection drops while writing the second.
    monkeypatch.setattr(
        declarations, "enregistrer_lignes", ConnexionPerdue(declarations.enregistrer_lignes, 1)
    )
    with pytest.raises(OperationalError):
        excel_heures.enregistrer(rapport, user)
    assert _tables_heures() == avant
    assert not rapport.enregistre

    # Once the connection is back, the same file goes through whole.
    monkeypatch.undo()
    rapport = excel_heures.analyser(tampon.getvalue(), entreprise, mois)
    excel_heures.enregistrer(rapport, user)
    assert LigneDeclaration.objects.count() == avant["lignes"] + 2


def _tables_decp() -> dict:
    from marches.models import RapportImport

    modeles = (DonneurOrdre, Marche, Lot, Entreprise, RapportImport)
    comptes = {m.__name__: m.objects.count() for m in modeles}
    comptes |= {f"historique {m.__name__}": m.history.count() for m in modeles[:4]}
    return comptes


def test_connexion_perdue_pendant_l_import_decp(monkeypatch):
    contenu = (RACINE / "tests/data/decp/decp_2019_bfc_belfort_excerpt.json").read_bytes()
    rapport = decp.analyser_fichier(contenu, "90")
    assert len(rapport.enregistrements) > 3
    avant = _tables_decp()

    # Three contracts are written, then the connection drops on the fourth.
    perte = ConnexionPerdue(decp._Application._marche, 3)
    monkeypatch.setattr(decp._Application, "_marche", lambda self, *a: perte(self, *a))
    with pytest.raises(OperationalError):
        decp.importer(rapport)
    assert _tables_decp() == avant
    assert not rapport.enregistre and rapport.rapport_id is None

    monkeypatch.undo()
    rapport = decp.importer(decp.analyser_fichier(contenu, "90"))
    assert rapport.enregistre and Marche.objects.count() > avant["Marche"]


# --- two users saving the same record ------------------------------------------------------------


def _client(make_user, role, username, prenom, nom) -> Client:
    client = Client()
    user = make_user(role, username=username, first_name=prenom, last_name=nom)
    client.force_login(user)
    return client


def test_deux_utilisateurs_enregistrent_le_meme_lot(make_user):
    lot = _lot_existant(f.MarcheFactory(nature="travaux", date_notification=NOTIFICATION))
    url = reverse("marches:lot_modifier", args=[lot.pk])
    camille = _client(make_user, roles.FACILITATEUR, "camille", "Camille", "Martin")
    dominique = _client(make_user, roles.FACILITATEUR, "dominique", "Dominique", "Perrin")
    form_camille, form_dominique = _champs(camille.get(url)), _champs(dominique.get(url))

    form_dominique["intitule"] = "Version de Dominique"
    reponse = dominique.post(url, form_dominique)
    assert reponse.status_code == 302, _champs_en_erreur(reponse)
    form_camille["intitule"] = "Version de Camille"
    reponse = camille.post(url, form_camille)

    assert reponse.status_code == 200
    assert "Enregistrement refusé : Dominique Perrin a modifié cette fiche" in _texte(reponse)
    lot.refresh_from_db()
    assert (lot.intitule, lot.version) == ("Version de Dominique", 2)


def test_deux_utilisateurs_enregistrent_le_meme_dossier_de_label(make_user):
    from tests.test_label_dossiers import donnees_contenu

    dossier = f.DossierLabelFactory(statut=StatutDossier.EN_PREPARATION)
    url = reverse("label:dossier_contenu", args=[dossier.pk])
    lea = _client(make_user, roles.ANIMATEUR, "lea", "Léa", "Morel")
    paul = _client(make_user, roles.ANIMATEUR, "paul", "Paul", "Roy")
    assert lea.get(url).status_code == paul.get(url).status_code == 200
    ouverte = dossier.version

    reponse = lea.post(
        url, donnees_contenu(dossier, bonnes_pratiques="Par Léa.", version_lue=ouverte)
    )
    assert reponse.status_code == 302
    reponse = paul.post(
        url, donnees_contenu(dossier, bonnes_pratiques="Par Paul.", version_lue=ouverte)
    )

    assert reponse.status_code == 200
    assert "Léa Morel a modifié cette fiche le" in _texte(reponse)
    dossier.refresh_from_db()
    assert dossier.bonnes_pratiques == "Par Léa."


def test_deux_utilisateurs_saisissent_la_meme_declaration(make_user):
    entreprise = f.EntrepriseFactory()
    lot = _lot(entreprise, "2026-MP-0001")
    mission = _mission(lot, "MX-001", "Zébulon", "Awa", dt.date(2026, 2, 1), None)
    claire = _client(make_user, roles.FACILITATEUR, "claire", "Claire", "Dumas")
    hugo = _client(make_user, roles.FACILITATEUR, "hugo", "Hugo", "Lemoine")
    brouillon = declarations.creer(entreprise, lot, dt.date(2026, 3, 1), None)
    saisie = reverse("heures:declaration_saisie", args=[brouillon.pk])
    assert claire.get(saisie).status_code == hugo.get(saisie).status_code == 200
    ligne = reverse("heures:declaration_ligne", args=[brouillon.pk, mission.pk])
    ouverte = brouillon.version

    reponse = claire.post(ligne, {"heures": "35", "version_lue": ouverte}, HTTP_HX_REQUEST="true")
    assert reponse.status_code == 200
    reponse = hugo.post(ligne, {"heures": "12", "version_lue": ouverte}, HTTP_HX_REQUEST="true")

    assert "Claire Dumas" in reponse.content.decode()
    assert LigneDeclaration.objects.get(declaration=brouillon).heures == Decimal("35")
