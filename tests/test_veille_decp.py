"""Veille DECP: fetch published files over HTTP (a local server on 127.0.0.1 serving the
repository's fixture files), conditional requests, retries, size cap, schedule, digest."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from marches import veille
from marches.models import Marche, Qualification, SourceVeille
from mife import roles

pytestmark = pytest.mark.django_db

DECP = Path(__file__).parent / "data" / "decp"
FLUX = (DECP / "decp_v2_gip_maximilien_flux_2024-10-06.json").read_bytes()
ETAG = '"flux-2024-10-06"'


def _flux_en_cours() -> bytes:
    """The real flow file, its contracts notified recently (a copy in memory): they are
    running, so they wait « à qualifier » instead of being archived."""
    donnees = json.loads(FLUX)
    for marche in donnees["marches"]["marche"]:
        marche["dateNotification"] = (timezone.localdate() - timedelta(days=10)).isoformat()
    return json.dumps(donnees).encode()


class _Serveur:
    """A local HTTP server (127.0.0.1 only) serving the fixture file, with scripted failures."""

    def __init__(self):
        self.requetes = []
        self.contenu = FLUX
        self.pannes = 0  # next requests answered with 503
        serveur = self

        class Gestionnaire(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                serveur.requetes.append((self.path, dict(self.headers)))
                if serveur.pannes:
                    serveur.pannes -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                if self.path == "/absent.json":
                    self.send_response(404)
                    self.end_headers()
                    return
                if self.headers.get("If-None-Match") == ETAG:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("ETag", ETAG)
                self.send_header("Last-Modified", "Sun, 06 Oct 2024 00:00:00 GMT")
                self.send_header("Content-Length", str(len(serveur.contenu)))
                self.end_headers()
                self.wfile.write(serveur.contenu)

        self.httpd = HTTPServer(("127.0.0.1", 0), Gestionnaire)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.fil = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.fil.start()

    def arreter(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serveur():
    s = _Serveur()
    yield s
    s.arreter()


def test_commande_avec_une_url(serveur):
    serveur.contenu = _flux_en_cours()
    sortie = StringIO()
    call_command("veille_decp", "--source", f"{serveur.url}/flux.json", stdout=sortie)
    assert "Veille terminée : 12 nouveau(x) marché(s) importé(s)." in sortie.getvalue()
    assert Marche.objects.filter(qualification=Qualification.A_QUALIFIER).count() == 12


def test_commande_avec_un_fichier_et_un_filtre_acheteur():
    sortie = StringIO()
    chemin = DECP / "decp_2019_bfc_belfort_excerpt.json"
    call_command("veille_decp", "--source", str(chemin), "--departement", "90", stdout=sortie)
    assert Marche.objects.count() == 18


def test_source_introuvable(serveur):
    with pytest.raises(CommandError, match=r"Impossible de télécharger .*réponse HTTP 404"):
        call_command("veille_decp", "--source", f"{serveur.url}/absent.json")
    with pytest.raises(CommandError, match="Fichier introuvable"):
        call_command("veille_decp", "--source", "/nulle/part.json")


def test_reessaie_apres_une_erreur_serveur(serveur):
    serveur.pannes = 2
    attentes = []
    telechargement = veille.telecharger(f"{serveur.url}/flux.json", attente=attentes.append)
    assert telechargement.contenu == FLUX
    assert len(serveur.requetes) == 3 and attentes == [2, 4]

    serveur.pannes = 5
    with pytest.raises(veille.ErreurVeille, match="HTTP 503"):
        veille.telecharger(f"{serveur.url}/flux.json", attente=attentes.append)


def test_taille_maximale(serveur, monkeypatch):
    monkeypatch.setattr(veille, "TAILLE_MAX", 1000)
    with pytest.raises(veille.ErreurVeille, match="trop gros"):
        veille.telecharger(f"{serveur.url}/flux.json")


def test_source_programmee_requete_conditionnelle_et_resume_par_email(serveur, make_user):
    serveur.contenu = _flux_en_cours()
    make_user(roles.FACILITATEUR, email="fac@example.org")
    make_user(roles.DIRECTION, username="dir", email="dir@example.org")
    source = SourceVeille.objects.create(
        nom="GIP Maximilien", url=f"{serveur.url}/flux.json", envoyer_resume=True
    )

    resultats = veille.executer_dues(attente=lambda s: None)

    assert len(resultats) == 1
    source.refresh_from_db()
    assert source.etag == ETAG
    assert source.dernier_resultat.startswith("12 nouveau(x) marché(s) à qualifier.")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["fac@example.org"]
    assert "12 nouveau(x) marché(s) à qualifier" in mail.outbox[0].subject

    # Not due again before its period; when run anyway, the unchanged file is not downloaded.
    assert veille.executer_dues() == []
    resultat = veille.executer_source(source)
    assert serveur.requetes[-1][1].get("If-None-Match") == ETAG
    assert resultat == "Fichier inchangé depuis la dernière veille : rien téléchargé."
    assert Marche.objects.count() == 12


def test_tuile_d_accueil_nouveaux_marches_a_qualifier(serveur, client_for):
    serveur.contenu = _flux_en_cours()
    call_command("veille_decp", "--source", f"{serveur.url}/flux.json", stdout=StringIO())
    client = client_for(roles.FACILITATEUR)
    reponse = client.get("/")
    assert reponse.context["nb_nouveaux_a_qualifier"] == 12
    assert "Nouveaux marchés à qualifier" in reponse.content.decode()


def test_planifier_la_veille_periodique(settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    sortie = StringIO()
    call_command("veille_decp", "--planifier", stdout=sortie)
    assert "Veille périodique programmée." in sortie.getvalue()
    assert DBTaskResult.objects.filter(task_path="marches.tasks.veiller").count() == 1

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with pytest.raises(CommandError, match="ne sait pas différer"):
        call_command("veille_decp", "--planifier")
