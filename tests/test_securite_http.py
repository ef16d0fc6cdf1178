"""HTTP protections (mife/core/http.py and the settings): caching, Clear-Site-Data on logout,
request-body cap, « __Host- » cookies, Content-Security-Policy, idle timeout."""

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone

from mife import roles
from mife.core import http
from tests import factories as f
from tests.outils_http import lire

pytestmark = pytest.mark.django_db

RACINE = Path(__file__).resolve().parent.parent
MO = 1024 * 1024


def _cache(reponse) -> set[str]:
    return {d.strip() for d in reponse.get("Cache-Control", "").split(",") if d.strip()}


# --- Cache-Control: no-store on everything Django builds; static files stay cached ---------------


def test_pages_et_fichiers_de_donnees_personnelles_ne_sont_pas_mis_en_cache(client_for):
    participant = f.ParticipantFactory()
    lot = f.ClauseFactory().lot
    client = client_for(roles.FACILITATEUR)
    reponses = {
        "fiche": client.get(participant.get_absolute_url()),
        "json": client.get(reverse("heures:participant_export_json", args=[participant.pk])),
        "excel": client.get(reverse("heures:participant_liste"), {"export": "xlsx"}),
        "pdf": client.get(reverse("marches:lot_annexe", args=[lot.pk, "pdf"])),
        "accueil": client.get(reverse("accueil")),
    }
    for nom, reponse in reponses.items():
        lire(reponse)
        assert reponse.status_code == 200, nom
        assert {"no-store", "private"} <= _cache(reponse), (nom, reponse.get("Cache-Control"))
        assert "public" not in _cache(reponse), nom


def test_pdf_d_attestation_non_plus(client_for, settings, tmp_path):
    """The files carrying participants' initials or names, served as files (FileResponse)."""
    settings.MEDIA_ROOT = tmp_path
    attestation = f.AttestationFactory()
    attestation.fichier.save("a.pdf", ContentFile(b"%PDF-1.4 test"))
    client = client_for(roles.SUIVI)
    reponse = client.get(reverse("heures:attestation_pdf", args=[attestation.pk]))
    lire(reponse)
    assert reponse.status_code == 200
    assert {"no-store", "private"} <= _cache(reponse), reponse.get("Cache-Control")


def test_pages_publiques_non_plus(client):
    for reponse in (client.get(reverse("login")), client.get("/page-inexistante/")):
        assert "no-store" in _cache(reponse)


def test_les_fichiers_statiques_gardent_leur_cache(client):
    reponse = client.get("/static/css/app.css")
    lire(reponse)
    assert reponse.status_code == 200
    assert "no-store" not in _cache(reponse)
    assert any(d.startswith("max-age=") for d in _cache(reponse)), reponse.get("Cache-Control")


# --- Clear-Site-Data on logout -------------------------------------------------------------------


def test_deconnexion_efface_les_donnees_du_site(client_for):
    client = client_for(roles.SUIVI)
    assert "Clear-Site-Data" not in client.get(reverse("accueil"))
    reponse = client.post(reverse("logout"))
    assert reponse.status_code == 302
    assert reponse["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    # A visitor who was not signed in gets nothing to clear.
    assert "Clear-Site-Data" not in client.post(reverse("logout"))


# --- request-body cap ----------------------------------------------------------------------------


class CorpsPiege:
    """A request body that fails the test if anybody reads it."""

    def __init__(self):
        self.lu = False

    def read(self, *args, **kwargs):
        self.lu = True
        raise AssertionError("le corps de la requête a été lu")

    readline = read


def _poster(client, url, taille, **extra):
    corps = CorpsPiege()
    reponse = client.post(
        url,
        CONTENT_LENGTH=str(taille),
        CONTENT_TYPE="multipart/form-data; boundary=x",
        **{"wsgi.input": corps},
        **extra,
    )
    return reponse, corps


def test_60_mo_sur_la_page_de_connexion_refuses_sans_lire_le_corps(client):
    reponse, corps = _poster(client, reverse("login"), 60 * MO)
    assert reponse.status_code == 413
    assert not corps.lu
    assert reponse.content.decode() == (
        "Requête trop volumineuse (60 Mo) : refusée sans être lue, rien n'a été enregistré. "
        "Limites : 5 Mo pour un formulaire, 25 Mo pour un fichier déposé."
    )
    assert "no-store" in _cache(reponse)


@override_settings(REQUEST_MAX_SIZE=1 * MO, UPLOAD_MAX_SIZE=3 * MO)
def test_plafond_plus_haut_sur_les_pages_de_depot_pour_un_utilisateur_connecte(
    client, client_for, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    # The DECP preview runs as a background task: run it at once here.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    url = reverse("marches:import_decp")
    # Anonymous: the small cap, even on an upload page.
    reponse, corps = _poster(client, url, 2 * MO)
    assert (reponse.status_code, corps.lu) == (413, False)

    facilitateur = client_for(roles.FACILITATEUR)
    # Signed in, a normal page: the small cap.
    reponse, corps = _poster(facilitateur, reverse("recherche"), 2 * MO)
    assert (reponse.status_code, corps.lu) == (413, False)
    # Above the upload cap: refused before reading, even on the upload page.
    reponse, corps = _poster(facilitateur, url, 4 * MO)
    assert (reponse.status_code, corps.lu) == (413, False)
    assert "Requête trop volumineuse (4 Mo)" in reponse.content.decode()
    # A real 2 MB file on the upload page gets through to the form (which judges it).
    fichier = SimpleUploadedFile("decp.json", b"{" + b" " * (2 * MO), "application/json")
    reponse = facilitateur.post(url, {"fichier": fichier}, follow=True)
    assert reponse.status_code == 200
    assert "n'est pas un JSON valide" in reponse.content.decode().replace("&#x27;", "'")


def test_pages_de_depot_configurees_existent():
    from django.conf import settings
    from django.urls import get_resolver

    noms = [m for m in [*settings.UPLOAD_VIEWS, *settings.UPLOAD_VIEWS_LIEN] if "*" not in m]
    assert noms == [
        "marches:import_decp",
        "heures:declaration_excel",
        "label:piece_ajouter",
        "label:espace_piece_ajouter",
    ]
    resolveur = get_resolver()
    existants = {
        f"{espace}:{nom}"
        for espace, (_prefixe, sous) in resolveur.namespace_dict.items()
        for nom in sous.reverse_dict
        if isinstance(nom, str)
    }
    assert set(noms) <= existants


# --- « __Host- » cookies in production -----------------------------------------------------------


def _reglages_production(**env) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in ('SESSION_COOKIE_NAME', "
        "'CSRF_COOKIE_NAME', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
        "'SESSION_COOKIE_PATH', 'CSRF_COOKIE_PATH', 'SESSION_COOKIE_DOMAIN', "
        "'CSRF_COOKIE_DOMAIN')}))"
    )
    propre = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "TESTING", "DEBUG"}
    }
    resultat = subprocess.run(
        [sys.executable, "-c", code],
        cwd=RACINE,
        env={
            **propre,
            "DJANGO_SETTINGS_MODULE": "mife.settings",
            "SECRET_KEY": "cle-de-production-" + "x" * 50,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(resultat.stdout.strip().splitlines()[-1])


def test_cookies_host_en_production():
    reglages = _reglages_production(DEBUG="0")
    assert reglages == {
        "SESSION_COOKIE_NAME": "__Host-sessionid",
        "CSRF_COOKIE_NAME": "__Host-csrftoken",
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        # What « __Host- » requires besides Secure: the whole site, no Domain attribute.
        "SESSION_COOKIE_PATH": "/",
        "CSRF_COOKIE_PATH": "/",
        "SESSION_COOKIE_DOMAIN": None,
        "CSRF_COOKIE_DOMAIN": None,
    }
    # Without Secure (plain-HTTP proxy), a « __Host- » cookie would be rejected by browsers.
    sans = _reglages_production(DEBUG="0", SESSION_COOKIE_SECURE="0", CSRF_COOKIE_SECURE="0")
    assert (sans["SESSION_COOKIE_NAME"], sans["CSRF_COOKIE_NAME"]) == ("sessionid", "csrftoken")


@override_settings(
    SESSION_COOKIE_NAME="__Host-sessionid", SESSION_COOKIE_SECURE=True, SECURE_SSL_REDIRECT=False
)
def test_le_cookie_de_session_host_est_pose_et_relu(client, make_user):
    make_user(roles.SUIVI, username="suzanne")
    reponse = client.post(
        reverse("login"),
        {"username": "suzanne", "password": "mot-de-passe-de-test"},
        secure=True,
    )
    assert reponse.status_code == 302
    cookie = reponse.cookies["__Host-sessionid"]
    assert cookie["secure"] and cookie["path"] == "/" and not cookie["domain"]
    assert client.get(reverse("accueil"), secure=True).status_code == 200


# --- Content-Security-Policy ---------------------------------------------------------------------


def _csp(reponse) -> dict[str, set[str]]:
    directives = {}
    for morceau in reponse["Content-Security-Policy"].split(";"):
        nom, *valeurs = morceau.split()
        directives[nom] = set(valeurs)
    return directives


def test_politique_de_securite_du_contenu(client_for):
    reponse = client_for(roles.FACILITATEUR).get(reverse("accueil"))
    csp = _csp(reponse)
    assert csp["default-src"] == {"'self'"}
    assert csp["script-src"] == {"'self'"}
    assert csp["style-src"] == {"'self'"}
    assert csp["frame-ancestors"] == {"'none'"}
    assert csp["form-action"] == {"'self'"}
    assert csp["base-uri"] == {"'self'"}
    assert csp["object-src"] == {"'none'"}
    assert not any("unsafe" in v for valeurs in csp.values() for v in valeurs)
    assert "Content-Security-Policy" in client_for(None).get(reverse("login"))


def test_pas_de_politique_sur_un_pdf(client_for):
    """Chrome's PDF viewer is an <embed> that ``object-src 'none'`` would block."""
    lot = f.ClauseFactory().lot
    reponse = client_for(roles.FACILITATEUR).get(
        reverse("marches:lot_annexe", args=[lot.pk, "pdf"])
    )
    assert reponse["Content-Type"] == "application/pdf"
    assert "Content-Security-Policy" not in reponse


def test_aucun_script_ni_style_en_ligne_dans_les_gabarits():
    """What the policy would block: inline <script>, event attributes, style attributes and
    <style> blocks (the PDF templates, rendered by WeasyPrint, are not pages)."""
    interdits = re.compile(
        r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|\sstyle\s*=|<style|javascript:", re.I
    )
    fautes = []
    for gabarit in (RACINE / "templates").rglob("*.html"):
        if gabarit.name.endswith("_pdf.html"):
            continue
        for numero, ligne in enumerate(gabarit.read_text(encoding="utf-8").splitlines(), 1):
            if interdits.search(ligne):
                fautes.append(f"{gabarit.relative_to(RACINE)}:{numero}: {ligne.strip()}")
    assert fautes == []


def test_configuration_htmx_compatible_avec_la_politique(client_for):
    page = client_for(roles.SUIVI).get(reverse("accueil")).content.decode()
    meta = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", page)
    assert meta, "meta htmx-config absente"
    assert json.loads(meta.group(1)) == {
        "includeIndicatorStyles": False,
        "allowEval": False,
        "allowScriptTags": False,
    }
    css = (RACINE / "static" / "css" / "app.css").read_text(encoding="utf-8")
    assert ".htmx-request .htmx-indicator" in css


# --- idle timeout --------------------------------------------------------------------------------


def _a(minutes: float):
    """Patch the clock to ``minutes`` after now (time travel)."""
    return mock.patch(
        "django.utils.timezone.now", return_value=DEPART + dt.timedelta(minutes=minutes)
    )


DEPART = timezone.now()


def _connecte(client_for):
    with _a(0):
        return client_for(roles.SUIVI)


def test_inactivite_deconnecte_apres_30_minutes(client_for):
    client = _connecte(client_for)
    with _a(29):
        assert client.get(reverse("accueil")).status_code == 200
    with _a(29 + 29):  # 29 min after the last activity: still signed in
        assert client.get(reverse("accueil")).status_code == 200
    with _a(58 + 31):
        reponse = client.get(reverse("accueil"))
        assert reponse.status_code == 302
        assert reponse["Location"] == reverse("login") + "?next=/"
        # The browser forgets cached pages and storage; it keeps the cookies, which carry the
        # message explaining the logout to the login page.
        assert reponse["Clear-Site-Data"] == '"cache", "storage"'
        assert "_auth_user_id" not in client.session
        texte = client.get(reponse["Location"]).content.decode()
    assert "Session fermée après 30 minutes sans activité" in texte


@override_settings(SESSION_IDLE_MINUTES=10)
def test_duree_reglable_et_requete_htmx(client_for):
    client = _connecte(client_for)
    with _a(11):
        reponse = client.get(
            reverse("accueil"),
            headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/heures/"},
        )
    assert reponse.status_code == 200
    assert reponse["HX-Redirect"] == reverse("login") + "?next=/heures/"
    assert "_auth_user_id" not in client.session


def test_le_sondage_htmx_ne_compte_pas_comme_activite(client_for):
    client = _connecte(client_for)
    generation = f.GenerationAttestationsFactory(statut="en_cours", faites=1, total=5)
    url = reverse("heures:generation_progression", args=[generation.pk])
    sondage = {"HX-Request": "true", "X-Sondage": "1"}
    for minute in range(2, 30, 2):  # polling every 2 min… (every 2 s in real life)
        with _a(minute):
            assert client.get(url, headers=sondage).status_code == 200
    with _a(31):
        reponse = client.get(url, headers=sondage)
    assert "HX-Redirect" in reponse
    assert "_auth_user_id" not in client.session


def test_le_sondage_porte_l_en_tete(client_for):
    generation = f.GenerationAttestationsFactory(statut="en_cours", faites=1, total=5)
    page = client_for(roles.SUIVI).get(reverse("heures:generation_detail", args=[generation.pk]))
    assert 'hx-headers=\'{"X-Sondage": "1"}\'' in page.content.decode()


@override_settings(SESSION_IDLE_MINUTES=0)
def test_zero_desactive_la_deconnexion(client_for):
    client = _connecte(client_for)
    with _a(300):
        assert client.get(reverse("accueil")).status_code == 200


def test_adresse_client_derriere_les_proxys(settings):
    requete = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7"
    )
    settings.PROXY_COUNT = 0
    assert http.adresse_client(requete) == "10.0.0.2"
    settings.PROXY_COUNT = 1  # nginx appended the real client; 6.6.6.6 was forged by it
    assert http.adresse_client(requete) == "203.0.113.7"
    settings.PROXY_COUNT = 2
    assert http.adresse_client(requete) == "6.6.6.6"
    settings.PROXY_COUNT = 3  # the header did not cross every proxy
    assert http.adresse_client(requete) == "10.0.0.2"
    settings.PROXY_COUNT = 1
    requete.META["HTTP_X_FORWARDED_FOR"] = "pas-une-adresse"
    assert http.adresse_client(requete) == "10.0.0.2"
