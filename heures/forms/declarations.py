"""The form that opens a month's declaration (company, lot, month)."""

from django import forms
from django.core.exceptions import ValidationError

from entreprises.models import Entreprise
from heures.services import declarations as services
from marches.models import Lot
from mife.core.champs import ChampMois


class OuvrirForm(forms.Form):
    entreprise = forms.ModelChoiceField(label="Entreprise", queryset=Entreprise.objects.all())
    lot = forms.ModelChoiceField(
        label="Lot", queryset=Lot.objects.select_related("marche").order_by("marche__reference")
    )
    mois = ChampMois(label="Mois")

    def clean(self):
        donnees = super().clean()
        lot, entreprise, mois = donnees.get("lot"), donnees.get("entreprise"), donnees.get("mois")
        if (
            lot
            and entreprise
            and mois
            and not services.missions_du_mois(entreprise, lot, mois).exists()
        ):
            raise ValidationError(
                "Aucune mission de cette entreprise n'est active sur ce lot ce mois-là : "
                "rien à déclarer."
            )
        return donnees
