"""The open sessions of an account (« Mes sessions »): which device, from where, since when.

A row of ``SessionUtilisateur`` is written at login (signal ``user_logged_in``), its last
activity refreshed at most once a minute by ``SessionsMiddleware``, and it is removed at
logout or when the user ends the session from the page. Ending a session deletes it from
the session store, so the browser that held it is logged out on its next request.
"""

import re
import time
from importlib import import_module

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from journal.models import SessionUtilisateur
from journal.services import adresse_ip

CLE_ACTIVITE = "journal_activite"  # epoch seconds of the last refresh, in the session
INTERVALLE_ACTIVITE = 60  # seconds between two refreshes of the last activity


def _store(cle: str | None = None):
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=cle)


def _navigateur(request) -> str:
    return (request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[:300]


def ouvrir(request, utilisateur) -> SessionUtilisateur | None:
    """Record the session just opened by ``utilisateur`` (called at login)."""
    session = getattr(request, "session", None)
    if session is None:
        return None
    if session.session_key is None:
        session.save()
    session[CLE_ACTIVITE] = int(time.time())
    maintenant = timezone.now()
    ligne, _ = SessionUtilisateur.objects.update_or_create(
        cle=session.session_key,
        defaults={
            "utilisateur": utilisateur,
            "ouverte_le": maintenant,
            "derniere_activite": maintenant,
            "adresse_ip": adresse_ip(request),
            "navigateur": _navigateur(request),
        },
    )
    return ligne


def toucher(request) -> None:
    """Refresh the last activity of the request's session (at most once a minute)."""
    session = request.session
    cle = session.session_key
    if not cle:
        return
    maintenant = int(time.time())
    if maintenant - session.get(CLE_ACTIVITE, 0) < INTERVALLE_ACTIVITE:
        return
    session[CLE_ACTIVITE] = maintenant
    champs = {"derniere_activite": timezone.now(), "adresse_ip": adresse_ip(request)}
    if not SessionUtilisateur.objects.filter(cle=cle).update(**champs):
        # A session opened before this feature existed: recorded from now on.
        SessionUtilisateur.objects.create(
            cle=cle, utilisateur=request.user, navigateur=_navigateur(request), **champs
        )


def renommer(ancienne: str | None, nouvelle: str | None) -> None:
    """The session key changed (after the second factor): keep the same row."""
    if ancienne and nouvelle and ancienne != nouvelle:
        SessionUtilisateur.objects.filter(cle=ancienne).update(cle=nouvelle)


def oublier(cle: str | None) -> None:
    """The session was closed (logout): forget its row."""
    if cle:
        SessionUtilisateur.objects.filter(cle=cle).delete()


def _ouverte(ligne: SessionUtilisateur, utilisateur) -> bool:
    """The session still exists and still logs ``utilisateur`` in (a password change ends
    the other sessions: their hash no longer matches)."""
    if not _store().exists(ligne.cle):
        return False
    donnees = _store(ligne.cle)
    return donnees.get(SESSION_KEY) == str(utilisateur.pk) and constant_time_compare(
        donnees.get(HASH_SESSION_KEY, ""), utilisateur.get_session_auth_hash()
    )


def sessions_de(utilisateur) -> list[SessionUtilisateur]:
    """The open sessions of ``utilisateur``, most recent first; ended ones are forgotten."""
    ouvertes = []
    for ligne in SessionUtilisateur.objects.filter(utilisateur=utilisateur):
        if _ouverte(ligne, utilisateur):
            ouvertes.append(ligne)
        else:
            ligne.delete()
    return ouvertes


def fermer_toutes(utilisateur) -> int:
    """End every session of ``utilisateur`` (administrator's action, second factor reset)."""
    return fermer(utilisateur, list(utilisateur.sessions_ouvertes.values_list("cle", flat=True)))


def fermer(utilisateur, cles: list[str]) -> int:
    """End the sessions ``cles`` of ``utilisateur`` (never someone else's); returns how many."""
    lignes = SessionUtilisateur.objects.filter(utilisateur=utilisateur, cle__in=cles)
    nombre = 0
    for ligne in lignes:
        _store(ligne.cle).delete()
        ligne.delete()
        nombre += 1
    return nombre


def purger_expirees(utilisateur=None) -> int:
    """Forget the rows of sessions that no longer exist in the session store."""
    lignes = SessionUtilisateur.objects.all()
    if utilisateur is not None:
        lignes = lignes.filter(utilisateur=utilisateur)
    store = _store()
    perimees = [ligne.pk for ligne in lignes.only("pk", "cle") if not store.exists(ligne.cle)]
    SessionUtilisateur.objects.filter(pk__in=perimees).delete()
    return len(perimees)


_NAVIGATEURS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
)
_SYSTEMES = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def appareil(navigateur: str) -> str:
    """« Firefox sur Windows » from a user-agent string (« Navigateur inconnu » otherwise)."""
    texte = navigateur or ""
    nom = next((libelle for marque, libelle in _NAVIGATEURS if marque in texte), "")
    if not nom and re.search(r"python|curl|wget", texte, re.IGNORECASE):
        nom = "Programme"
    systeme = next((libelle for marque, libelle in _SYSTEMES if marque in texte), "")
    if nom and systeme:
        return f"{nom} sur {systeme}"
    return nom or systeme or "Navigateur inconnu"
