"""Writing the access and security log (``EntreeJournal``) and purging it.

Every app may call these functions (they import nothing of the domain): the pages that
show or export personal data call ``acces``; the security receivers of ``journal.signaux``
call ``securite``. The client address is read the way django-axes reads it
(``axes.helpers.get_client_ip_address``, which follows the proxy settings of the
deployment), so the log and the login throttling agree on who is who.
"""

import datetime as dt
import json
import logging

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.utils import timezone

from journal.models import CATEGORIE_DES_ACTIONS, Action, Categorie, EntreeJournal

logger = logging.getLogger("journal")


def adresse_ip(request) -> str | None:
    """The client address of ``request`` (None outside a request, or when unreadable)."""
    if request is None or not getattr(request, "META", None):
        return None
    try:
        adresse = get_client_ip_address(request)
    except Exception:  # a malformed proxy header must never break the page
        logger.warning("Adresse du client illisible", exc_info=True)
        return None
    return adresse or None


def _auteur(request, utilisateur):
    if utilisateur is None and request is not None:
        utilisateur = getattr(request, "user", None)
    if utilisateur is not None and not getattr(utilisateur, "is_authenticated", False):
        utilisateur = None
    return utilisateur


def journaliser(
    action: Action,
    request=None,
    *,
    utilisateur=None,
    identifiant: str = "",
    participant_id: int | None = None,
    objet: str = "",
    details: dict | None = None,
) -> EntreeJournal:
    """Append one entry. ``utilisateur`` defaults to the request's user (if logged in)."""
    auteur = _auteur(request, utilisateur)
    entree = EntreeJournal.objects.create(
        categorie=CATEGORIE_DES_ACTIONS.get(action, Categorie.SECURITE),
        action=action,
        utilisateur=auteur,
        identifiant=(identifiant or (auteur.get_username() if auteur else ""))[:150],
        adresse_ip=adresse_ip(request),
        participant_id=participant_id,
        objet=objet[:250],
        details=details or {},
    )
    # The same event on the console (logger « journal »), one JSON line (no line break can
    # be injected), for the deployment to ship to a separate log system.
    logger.info(
        json.dumps(
            {
                "moment": entree.moment.isoformat(),
                "categorie": entree.categorie,
                "action": entree.action,
                "identifiant": entree.identifiant,
                "adresse_ip": entree.adresse_ip,
                "participant_id": entree.participant_id,
                "objet": entree.objet,
            },
            ensure_ascii=True,
        )
    )
    return entree


def acces(
    request,
    action: Action,
    *,
    participant_id: int | None = None,
    objet: str = "",
    details: dict | None = None,
) -> EntreeJournal:
    """A read or an export of personal data by the user of ``request``."""
    details = {"chemin": request.get_full_path(), **(details or {})}
    return journaliser(action, request, participant_id=participant_id, objet=objet, details=details)


def consultation_participant(request, participant_id: int) -> EntreeJournal:
    return acces(
        request,
        Action.CONSULTATION,
        participant_id=participant_id,
        objet=f"Participant n° {participant_id}",
    )


def filtres(request, ignorer=("export", "page")) -> dict:
    """The filters of a list or export as typed in the URL (multi-valued kept as lists)."""
    return {
        cle: valeurs if len(valeurs) > 1 else valeurs[0]
        for cle, valeurs in request.GET.lists()
        if cle not in ignorer
    }


def securite(
    request,
    action: Action,
    *,
    utilisateur=None,
    identifiant: str = "",
    objet: str = "",
    details: dict | None = None,
) -> EntreeJournal:
    """A security event (login, refusal, change of rights…)."""
    return journaliser(
        action,
        request,
        utilisateur=utilisateur,
        identifiant=identifiant,
        objet=objet,
        details=details,
    )


# --- retention -------------------------------------------------------------------------------


def date_limite(maintenant: dt.datetime | None = None, mois: int | None = None) -> dt.datetime:
    """``maintenant`` minus ``mois`` months (``JOURNAL_CONSERVATION_MOIS``, 12 by default)."""
    maintenant = maintenant or timezone.now()
    mois = settings.JOURNAL_CONSERVATION_MOIS if mois is None else mois
    annee, rang = divmod(maintenant.month - 1 - mois, 12)
    annee += maintenant.year
    jour = maintenant.day
    while True:
        try:
            return maintenant.replace(year=annee, month=rang + 1, day=jour)
        except ValueError:  # 31 → 30, 29 February → 28…
            jour -= 1


def a_purger(maintenant: dt.datetime | None = None, mois: int | None = None):
    return EntreeJournal.objects.filter(moment__lt=date_limite(maintenant, mois))


def purger(maintenant: dt.datetime | None = None, mois: int | None = None) -> int:
    """Delete the entries older than the retention period; returns how many."""
    supprimees, _ = a_purger(maintenant, mois).delete()
    return supprimees
