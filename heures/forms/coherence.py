"""Form of the coherence check page (views/coherence.py)."""

from django import forms

from mife.core.champs import ChampMois


class ControleForm(forms.Form):
    mois = ChampMois(
        label="Mois",
        required=False,
        help_text="Vide : tout vérifier. Un mois : ses attestations, ses fichiers et son tableau.",
    )
