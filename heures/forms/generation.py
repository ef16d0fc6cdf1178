"""The form that starts a month's attestation batch."""

from django import forms

from mife.core.champs import ChampMois


class GenerationForm(forms.Form):
    mois = ChampMois(label="Mois")
