"""Read-side rules of the label: the one place where a label's validity is defined.

A label is valid from the day it is obtained (included) to its expiry date (excluded):
``LabelQuerySet.valides_le`` says it in SQL for lists and counts, ``etat_label_le`` for one
label already loaded.
"""

from datetime import date

from django.db import models

from label.models import Label


class EtatLabel(models.TextChoices):
    """State of a label on a given day (computed, not stored)."""

    A_VENIR = "a_venir", "Pas encore en vigueur"
    VALIDE = "valide", "En cours de validité"
    EXPIRE = "expire", "Expiré"


def etat_label_le(label: Label, jour: date) -> EtatLabel:
    if jour < label.date_obtention:
        return EtatLabel.A_VENIR
    if jour < label.date_expiration:
        return EtatLabel.VALIDE
    return EtatLabel.EXPIRE


def label_courant(entreprise) -> Label | None:
    """The company's most recently obtained label, whatever its state (``None`` if none)."""
    return Label.objects.filter(entreprise=entreprise).order_by("-date_obtention").first()
