"""Locust scenario of ``make load`` (bench/README.md): 50 logged-in users of every role on
their usual pages, and one assistant who starts a month batch of attestations halfway.

Only 127.0.0.1 is ever targeted (``bench/load.sh`` sets the host). Accounts are the bench ones
(``mife/bench/donnees.py``: ``bench-<role>-NNN``); each user starts with the session that
``mife.bench.charge`` opened for its account, so the run measures the pages, not the password
hasher.
"""

import itertools
import json
import os
import random
import re
from datetime import date
from pathlib import Path

import gevent
from locust import HttpUser, between, constant, task

SESSIONS = json.loads(
    Path(os.environ.get("LOAD_SESSIONS", "bench/load-logs/sessions.json")).read_text()
)
DEBUT_LOT_S = float(os.environ.get("LOAD_DEBUT_LOT", "30"))
_numeros = {}


def _mois_du_lot() -> str:
    """Twelve months ago: validated declarations without attestation in the bench dataset, and
    not the month the bench's own attestation measures use."""
    aujourdhui = date.today()
    rang = aujourdhui.year * 12 + aujourdhui.month - 1 - 12
    return f"{rang // 12:04d}-{rang % 12 + 1:02d}"


class _Compte(HttpUser):
    abstract = True
    role = ""
    wait_time = between(1, 3)
    pages: tuple[str, ...] = ("/",)

    def on_start(self):
        """Start logged in with the account's session prepared by ``bench/load.sh``."""
        compteur = _numeros.setdefault(self.role, itertools.count())
        username = f"bench-{self.role}-{next(compteur):03d}"
        self.client.cookies.set(SESSIONS["cookie"], SESSIONS["sessions"][username])

    def _fiche(self, liste: str, motif: str, nom: str):
        """Open a list, then one of the records it links to."""
        reponse = self.client.get(liste)
        liens = re.findall(motif, reponse.text)
        if liens:
            self.client.get(random.choice(liens), name=nom)


class _Habitue(_Compte):
    """A user going round the pages of their daily work."""

    abstract = True

    @task(5)
    def page_habituelle(self):
        self.client.get(random.choice(self.pages))

    @task(1)
    def accueil(self):
        self.client.get("/", name="/ (accueil)")


class Facilitateur(_Habitue):
    fixed_count = 20
    role = "facilitateur"
    pages = (
        "/marches/lots/",
        "/marches/lots/?page=2",
        "/marches/lots/?statut=en_retard",
        "/heures/missions/",
        "/heures/participants/",
        "/heures/declarations/",
        "/entreprises/",
        "/marches/",
    )

    @task(2)
    def fiche_lot(self):
        self._fiche("/marches/lots/", r'href="(/marches/lots/\d+/)"', "/marches/lots/[id]/")

    @task(1)
    def fiche_entreprise(self):
        self._fiche("/entreprises/", r'href="(/entreprises/\d+/)"', "/entreprises/[id]/")


class Suivi(_Habitue):
    fixed_count = 9
    role = "suivi"
    pages = (
        "/heures/declarations/?statut=soumise",
        "/heures/declarations/",
        "/heures/attestations/",
        "/heures/mois/",
    )

    @task(2)
    def fiche_declaration(self):
        self._fiche(
            "/heures/declarations/?statut=soumise",
            r'href="(/heures/declarations/\d+/)"',
            "/heures/declarations/[id]/",
        )


class Animateur(_Habitue):
    fixed_count = 10
    role = "animateur"
    pages = ("/label/dossiers/", "/label/labels/", "/label/jurys/", "/entreprises/")


class Direction(_Habitue):
    fixed_count = 5
    role = "direction"
    pages = ("/indicateurs/", "/bilan/", "/indicateurs/previsions/")


class Administrateur(_Habitue):
    fixed_count = 5
    role = "admin"
    pages = ("/journal/", "/marches/donneurs-ordre/", "/admin/")


class LotDuMois(_Compte):
    """One assistant who starts the month batch halfway, then follows its progress."""

    fixed_count = 1
    role = "suivi"
    wait_time = constant(5)
    lance = False
    suivi_url = ""

    def on_start(self):
        super().on_start()
        self.client.get("/heures/attestations/generer/")  # the form: sets the CSRF cookie

    @task
    def lancer_puis_suivre(self):
        if not self.lance:
            gevent.sleep(DEBUT_LOT_S)
            jeton = self.client.cookies.get("csrftoken", "")
            reponse = self.client.post(
                "/heures/attestations/generer/",
                {"mois": _mois_du_lot(), "csrfmiddlewaretoken": jeton},
                name="/heures/attestations/generer/ (lancer le lot)",
            )
            self.lance = True
            self.suivi_url = reponse.url if "/generer/" in reponse.url else ""
        elif self.suivi_url:
            self.client.get(self.suivi_url, name="/heures/attestations/generer/[id]/")
