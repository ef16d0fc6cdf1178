"""Watch of published DECP files: fetch the newest records and import them (policy of
``marches.decp``), then tell the facilitators what is new.

HTTP with a timeout, a few retries (network errors and 5xx), a size cap, and conditional
requests (``If-None-Match`` / ``If-Modified-Since``): a file that has not changed is not
downloaded again (304). Sources and their schedule are set in the admin (``SourceVeille``);
``python manage.py veille_decp`` runs one source (URL or file) or every due source; the worker
runs the due sources periodically (``marches.tasks.veiller``, which re-enqueues itself).
"""

import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import Q
from django.utils import timezone

from marches import decp
from marches.models import Marche, Qualification, SourceVeille

DELAI = 30  # seconds per request
ESSAIS = 3
TAILLE_MAX = 200 * 1024 * 1024  # a national file is ~100 MB
INTERVALLE = timedelta(hours=1)  # how often the worker looks for due sources


class ErreurVeille(Exception):
    """The source could not be fetched (French message)."""


@dataclass
class Telechargement:
    contenu: bytes | None  # None: not modified since the last fetch (304)
    etag: str = ""
    last_modified: str = ""


def telecharger(url: str, etag: str = "", last_modified: str = "", attente=time.sleep):
    """GET ``url`` conditionally; retries network errors and server errors."""
    entetes = {"User-Agent": "clauses-et-label/veille-decp", "Accept": "application/json"}
    if etag:
        entetes["If-None-Match"] = etag
    if last_modified:
        entetes["If-Modified-Since"] = last_modified
    derniere = ""
    for essai in range(1, ESSAIS + 1):
        try:
            requete = urllib.request.Request(url, headers=entetes)
            with urllib.request.urlopen(requete, timeout=DELAI) as reponse:
                taille = int(reponse.headers.get("Content-Length") or 0)
                if taille > TAILLE_MAX:
                    raise ErreurVeille(f"Fichier trop gros ({taille} octets) : {url}.")
                contenu = reponse.read(TAILLE_MAX + 1)
                if len(contenu) > TAILLE_MAX:
                    raise ErreurVeille(f"Fichier trop gros (plus de {TAILLE_MAX} octets).")
                return Telechargement(
                    contenu,
                    reponse.headers.get("ETag", ""),
                    reponse.headers.get("Last-Modified", ""),
                )
        except urllib.error.HTTPError as exc:
            if exc.code == 304:
                return Telechargement(None, etag, last_modified)
            derniere = f"réponse HTTP {exc.code}"
            if exc.code < 500:
                break
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            derniere = f"erreur réseau ({getattr(exc, 'reason', exc)})"
        if essai < ESSAIS:
            attente(2**essai)
    raise ErreurVeille(f"Impossible de télécharger {url} : {derniere}.")


def lire_source(source: str, etag="", last_modified="", attente=time.sleep) -> Telechargement:
    """A URL (http, https) or a local file."""
    if source.startswith(("http://", "https://")):
        return telecharger(source, etag, last_modified, attente)
    try:
        return Telechargement(Path(source).read_bytes())
    except OSError:
        raise ErreurVeille(f"Fichier introuvable ou illisible : {source}.") from None


def nouveaux_a_qualifier(depuis):
    return Marche.objects.filter(qualification=Qualification.A_QUALIFIER, cree_le__gte=depuis)


def envoyer_resume(marches: list[Marche], origine: str) -> int:
    """E-mail the facilitators (who can qualify contracts) the new contracts to qualify."""
    if not marches:
        return 0
    User = get_user_model()
    qualifient = Q(groups__permissions__codename="add_lot") | Q(
        user_permissions__codename="add_lot"
    )
    destinataires = sorted(
        set(
            User.objects.filter(qualifient, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )
    if not destinataires:
        return 0
    lignes = [
        f"- {m.reference} — {m.objet[:100]} ({m.donneur_ordre}) : "
        + (" ; ".join(m.raisons_qualification) or "à regarder")
        for m in marches[:50]
    ]
    send_mail(
        f"Veille DECP : {len(marches)} nouveau(x) marché(s) à qualifier",
        f"Source : {origine}\n\n" + "\n".join(lignes),
        settings.DEFAULT_FROM_EMAIL,
        destinataires,
    )
    return len(destinataires)


def executer(source: str, departement=None, acheteur=None, etag="", last_modified="", **kw):
    """Fetch and import one source; (rapport or None if unchanged, Telechargement)."""
    telechargement = lire_source(source, etag, last_modified, kw.get("attente", time.sleep))
    if telechargement.contenu is None:
        return None, telechargement
    rapport = decp.importer(
        telechargement.contenu, departement, acheteur, origine=f"veille : {source}"[:250]
    )
    return rapport, telechargement


def executer_source(source: SourceVeille, attente=time.sleep) -> str:
    """Run one configured source and remember what it did (and its ETag/Last-Modified)."""
    debut = timezone.now()
    try:
        rapport, telechargement = executer(
            source.url,
            source.departement or None,
            source.acheteur or None,
            source.etag,
            source.last_modified,
            attente=attente,
        )
    except ErreurVeille as exc:
        resultat = str(exc)
    else:
        source.etag, source.last_modified = telechargement.etag, telechargement.last_modified
        if rapport is None:
            resultat = "Fichier inchangé depuis la dernière veille : rien téléchargé."
        elif rapport.erreurs:
            resultat = "Fichier refusé : " + " ".join(str(e) for e in rapport.erreurs)
        else:
            nouveaux = list(nouveaux_a_qualifier(debut).select_related("donneur_ordre"))
            resultat = f"{len(nouveaux)} nouveau(x) marché(s) à qualifier. " + " ".join(
                rapport.resume()[:1]
            )
            if source.envoyer_resume:
                envoyer_resume(nouveaux, source.nom)
    source.derniere_execution = debut
    source.dernier_resultat = resultat
    source.save(update_fields=["etag", "last_modified", "derniere_execution", "dernier_resultat"])
    return resultat


def executer_dues(attente=time.sleep) -> list[tuple[SourceVeille, str]]:
    maintenant = timezone.now()
    return [
        (source, executer_source(source, attente))
        for source in SourceVeille.objects.filter(active=True)
        if source.est_due(maintenant)
    ]
