"""Form fields shared by every app."""

import re
from datetime import date

from django import forms
from django.core.exceptions import ValidationError

MOIS_INVALIDE = "Mois invalide : saisissez-le sous la forme AAAA-MM (2026-11) ou MM/AAAA."


def lire_mois(texte: str) -> date:
    """``2026-11`` or ``11/2026`` → 1 November 2026; ValueError (French message) otherwise."""
    texte = (texte or "").strip()
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})", texte):
        annee, mois = int(m[1]), int(m[2])
    elif m := re.fullmatch(r"(\d{1,2})/(\d{4})", texte):
        mois, annee = int(m[1]), int(m[2])
    else:
        raise ValueError(MOIS_INVALIDE)
    if not 1 <= mois <= 12 or annee < 1900:
        raise ValueError(MOIS_INVALIDE)
    return date(annee, mois, 1)


class ChampMois(forms.CharField):
    """A month (``<input type="month">``), cleaned to the first day of that month."""

    default_error_messages = {"invalid": MOIS_INVALIDE}

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"type": "month", "placeholder": "AAAA-MM"})
        )
        kwargs.setdefault("help_text", "AAAA-MM ou MM/AAAA")
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return value.strftime("%Y-%m") if isinstance(value, date) else value

    def to_python(self, value):
        if isinstance(value, date):
            return value.replace(day=1)
        texte = (super().to_python(value) or "").strip()
        if not texte:
            return None
        try:
            return lire_mois(texte)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
