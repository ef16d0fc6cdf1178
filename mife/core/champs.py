"""Form fields shared by every app."""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError

from mife.core.mois import MOIS_INVALIDE, lire_mois, premier_jour


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
            return premier_jour(value)
        texte = (super().to_python(value) or "").strip()
        if not texte:
            return None
        try:
            return lire_mois(texte)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
