"""Small building blocks shared by the domain models of every app."""

from django.conf import settings
from django.db import models


class Horodate(models.Model):
    """Creation/modification timestamps and authors."""

    cree_le = models.DateTimeField("créé le", auto_now_add=True)
    modifie_le = models.DateTimeField("modifié le", auto_now=True)
    modifie_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="modifié par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        abstract = True


class Versionne(Horodate):
    """Optimistic locking: ``version`` grows by one on each save through a service.

    A form carries the version it was opened with; saving with a stale version is refused
    (see ``mife.core.concurrence``), so nobody silently overwrites someone else's work.
    """

    version = models.PositiveIntegerField("version", default=1, editable=False)

    class Meta:
        abstract = True
