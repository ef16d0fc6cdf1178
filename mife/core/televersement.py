"""Upload → preview → confirm: the uploaded file waits between the preview and the confirmation.

An import page analyses the uploaded file and shows what the import would do; if it can be
imported, ``Televersement.garder`` keeps the bytes in the default storage under
``imports/<sorte>/<jeton><suffixe>`` (the token is generated here, never chosen by the
client) and remembers the token in the session, one pending upload per kind of import. The
confirmation gives the token back: ``reprendre`` returns the same bytes only to the session
that uploaded them, then ``oublier`` removes the file and the session entry (after the
import, or when the user cancels).

Uploads nobody confirmed are removed once older than ``settings.TELEVERSEMENTS_DUREE_ATTENTE``
(24 h by default): by ``purger``, run at each new upload of any kind and by
``manage.py purger_televersements``. Everything under ``imports/`` belongs to this module.
"""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

DOSSIER = "imports"
INCONNU = (
    "Aucun import en attente (déjà enregistré ou abandonné) : rien n'a été modifié. "
    "Déposez de nouveau le fichier si besoin."
)
PERIME = "Le fichier déposé n'est plus disponible : déposez-le de nouveau."


class TeleversementIntrouvable(Exception):
    """No pending upload for this token in this session, or its file is gone or expired.

    ``str()`` is the French message to show; nothing has been imported.
    """


@dataclass(frozen=True)
class EnAttente:
    """An upload waiting for its confirmation."""

    jeton: str
    nom: str  # the name of the uploaded file, for the page
    contenu: bytes
    donnees: dict  # what the page needs to redo the same analysis (options chosen at upload)


def _limite():
    return timezone.now() - settings.TELEVERSEMENTS_DUREE_ATTENTE


def purger(dry_run: bool = False) -> list[str]:
    """Remove the uploads of every kind older than the waiting time; their storage names.

    ``dry_run``: only list them.
    """
    limite = _limite()
    try:
        sortes, _ = default_storage.listdir(DOSSIER)
    except FileNotFoundError:
        return []
    anciens = []
    for sorte in sorted(sortes):
        _, fichiers = default_storage.listdir(f"{DOSSIER}/{sorte}")
        for fichier in sorted(fichiers):
            chemin = f"{DOSSIER}/{sorte}/{fichier}"
            try:
                if default_storage.get_modified_time(chemin) >= limite:
                    continue
            except FileNotFoundError:  # removed meanwhile by another request
                continue
            if not dry_run:
                default_storage.delete(chemin)
            anciens.append(chemin)
    return anciens


class Televersement:
    """The pending uploads of one kind of import (``sorte``: ``decp``, ``heures``…)."""

    def __init__(self, sorte: str, suffixe: str):
        self.sorte = sorte
        self.suffixe = suffixe
        self.cle_session = f"import_{sorte}"

    def _chemin(self, jeton: str) -> str:
        return f"{DOSSIER}/{self.sorte}/{jeton}{self.suffixe}"

    def chemin(self, attente: EnAttente) -> str:
        """Storage name of a pending upload (for a background task that reads it)."""
        return self._chemin(attente.jeton)

    def detacher(self, request) -> None:
        """Forget this session's pending upload but keep its file: a background task now
        owns it (and removes it; ``purger`` removes it anyway once expired)."""
        request.session.pop(self.cle_session, None)

    def garder(self, request, nom: str, contenu: bytes, **donnees) -> str:
        """Keep ``contenu`` until the confirmation, in place of this session's previous
        upload of this kind; returns the token. Abandoned uploads are purged first."""
        self.oublier(request)
        purger()
        jeton = uuid.uuid4().hex
        default_storage.save(self._chemin(jeton), ContentFile(contenu))
        request.session[self.cle_session] = {"jeton": jeton, "nom": nom, "donnees": donnees}
        return jeton

    def reprendre(self, request, jeton: str) -> EnAttente:
        """The upload this session kept under ``jeton``.

        Raises ``TeleversementIntrouvable`` for an unknown token (never issued, already
        confirmed or cancelled, another session's) and for a file gone or expired (then
        forgotten).
        """
        attente = request.session.get(self.cle_session)
        if not attente or not jeton or attente["jeton"] != jeton:
            raise TeleversementIntrouvable(INCONNU)
        chemin = self._chemin(jeton)
        contenu = None
        try:
            if default_storage.get_modified_time(chemin) >= _limite():
                with default_storage.open(chemin, "rb") as fichier:
                    contenu = fichier.read()
        except FileNotFoundError:  # purged, or removed by hand
            pass
        if contenu is None:
            self.oublier(request)
            raise TeleversementIntrouvable(PERIME)
        return EnAttente(jeton, attente["nom"], contenu, attente["donnees"])

    def mettre_a_jour(self, request, **donnees) -> None:
        """Change data kept with this session's pending upload (e.g. what the preview saw)."""
        attente = request.session[self.cle_session]
        attente["donnees"] |= donnees
        request.session[self.cle_session] = attente

    def oublier(self, request, jeton: str | None = None) -> None:
        """Remove this session's pending upload of this kind (file and session entry); with
        ``jeton``, only if it is that one."""
        attente = request.session.get(self.cle_session)
        if not attente or (jeton is not None and attente["jeton"] != jeton):
            return
        del request.session[self.cle_session]
        default_storage.delete(self._chemin(attente["jeton"]))
