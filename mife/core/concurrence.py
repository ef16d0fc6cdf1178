"""Optimistic concurrency: refuse to save over a version someone else saved meanwhile."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format


class ConflitDeVersion(Exception):
    """Raised when the record changed since the user opened it."""

    def __init__(self, instance):
        self.instance = instance
        auteur = instance.modifie_par or "un autre utilisateur"
        quand = date_format(timezone.localtime(instance.modifie_le), "DATETIME_FORMAT")
        super().__init__(
            f"Enregistrement refusé : {auteur} a modifié cette fiche le {quand} depuis que vous "
            "l'avez ouverte. Rechargez la page pour voir ses changements ; rien n'a été écrasé."
        )


def enregistrer_versionne(instance, version_lue: int, user=None, **save_kwargs):
    """Save ``instance`` only if the stored version is still ``version_lue``.

    Uses a conditional UPDATE on (pk, version) so two concurrent saves cannot both win.
    ``user`` is also the author of the history row, even outside a request (commands, tasks).
    """
    model = type(instance)
    if user is not None:
        instance._history_user = user
    with transaction.atomic():
        if instance.pk is None:
            instance.version = 1
            if user is not None:
                instance.modifie_par = user
            instance.save(**save_kwargs)
            return instance
        updated = model._default_manager.filter(pk=instance.pk, version=version_lue).update(
            version=F("version") + 1
        )
        if not updated:
            raise ConflitDeVersion(
                model._default_manager.select_related("modifie_par").get(pk=instance.pk)
            )
        instance.version = version_lue + 1
        if user is not None:
            instance.modifie_par = user
        instance.save(**save_kwargs)
    return instance
