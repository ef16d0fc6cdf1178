"""Forms of the Excel round trip of monthly hours: the template to download, the upload."""

from django import forms
from django.core.exceptions import ValidationError

from entreprises.models import Entreprise
from heures.models import Mission
from heures.services import excel_heures
from mife.core import formats
from mife.core.autocomplete import en_recherche
from mife.core.champs import ChampMois


def _entreprises():
    """Companies that employ participants on missions: the only ones with hours to declare."""
    return Entreprise.objects.filter(pk__in=Mission.objects.values("employeur"))


def _champ_mois(required: bool) -> ChampMois:
    return ChampMois(
        label="Mois",
        required=required,
        help_text="AAAA-MM ou MM/AAAA" + ("" if required else " ; vide : lu dans le fichier."),
    )


class ModeleForm(forms.Form):
    entreprise = forms.ModelChoiceField(label="Entreprise", queryset=_entreprises())
    mois = _champ_mois(required=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        en_recherche(self.fields["entreprise"], "entreprises", params={"employeurs": "1"})


class ImportForm(forms.Form):
    fichier = forms.FileField(
        label="Modèle rempli (.xlsx)",
        help_text=f"Le modèle téléchargé ci-dessus, rempli ; "
        f"{excel_heures.TAILLE_MAX // 1024 // 1024} Mo au plus.",
        error_messages={"empty": "Le fichier est vide."},
    )
    entreprise = forms.ModelChoiceField(
        label="Entreprise",
        queryset=_entreprises(),
        required=False,
        help_text="Vide : l'entreprise du modèle. Indiquée : le modèle doit être le sien.",
    )
    mois = _champ_mois(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        en_recherche(self.fields["entreprise"], "entreprises", params={"employeurs": "1"})

    def clean_fichier(self):
        fichier = self.cleaned_data["fichier"]
        # Refused before anything reads the content.
        if fichier.size > excel_heures.TAILLE_MAX:
            raise ValidationError(
                f"Le fichier pèse {formats.nombre(fichier.size / 1024 / 1024, 1)} Mo : "
                f"{excel_heures.TAILLE_MAX // 1024 // 1024} Mo au plus."
            )
        return fichier
