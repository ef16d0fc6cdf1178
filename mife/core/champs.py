"""Form fields shared by every app."""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError

from mife.core import formats
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


ESPACES = str.maketrans("", "", " \u00a0\u202f\u2009\t")
_DEVISE = re.compile(r"(€|eur(os?)?)$", re.IGNORECASE)
_CHIFFRES = re.compile(r"^[+-]?\d+(\.\d+)?$")


def lire_montant(texte: str) -> Decimal:
    """An amount typed the French or the English way: ``1 250 000``, ``1 250 000,50 €``,
    ``1 250 000.50``, ``1250000,5 EUR``; spaces may be normal, no-break (U+00A0) or narrow
    no-break (U+202F). Raises ValueError for anything else (two decimal separators, letters).
    """
    compact = _DEVISE.sub("", texte.translate(ESPACES)).translate(ESPACES)
    if "," in compact and "." in compact:
        # The last separator is the decimal one: « 1.250.000,50 » or « 1,250,000.50 ».
        decimal = "," if compact.rfind(",") > compact.rfind(".") else "."
        compact = compact.replace("." if decimal == "," else ",", "")
        compact = compact.replace(",", ".")
    elif compact.count(",") == 1:
        compact = compact.replace(",", ".")
    elif compact.count(".") > 1:
        compact = compact.replace(".", "")  # « 1.250.000 »: dots grouping thousands
    if not _CHIFFRES.match(compact):
        raise ValueError(texte)
    return Decimal(compact)


class ChampMontant(forms.DecimalField):
    """An amount in euros, typed as people write it (see ``lire_montant``). Used for every
    amount of every form (marchés, lots, clauses…): a text input (a number input would
    refuse the spaces), shown back as ``1 250 000,50``."""

    widget = forms.TextInput

    def __init__(self, **kwargs):
        kwargs.setdefault("localize", False)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")
        self.widget.attrs.setdefault("autocomplete", "off")
        self.widget.attrs.pop("step", None)
        if self.help_text == "":
            self.help_text = "En euros, par exemple 1 250 000,50 (espaces et « € » acceptés)."

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("step", None)  # meaningless on a text input
        attrs.pop("min", None)
        attrs.pop("max", None)
        return attrs

    def prepare_value(self, value):
        if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            return formats.montant(value).removesuffix(" €")  # « 1 250 000,50 »
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            return Decimal(str(value))
        texte = str(value).strip()
        if not texte:
            return None
        try:
            return lire_montant(texte)
        except (ValueError, InvalidOperation):
            # The field's label precedes it in the summary of errors (« Montant HT (€) : … »).
            raise ValidationError(
                "« %(valeur)s » n'est pas un montant. Écrivez par exemple 1 250 000 ou "
                "1 250 000,50 € (chiffres, espaces, une virgule).",
                code="invalid",
                params={"valeur": texte[:40]},
            ) from None
