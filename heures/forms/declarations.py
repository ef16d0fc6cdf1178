"""The form that opens a month's declaration (company, lot, month)."""

from django import forms
from django.core.exceptions import ValidationError

from entreprises.models import Entreprise
from heures import selectors
from heures.services import declarations as services
from marches.models import Lot
from mife.core.autocomplete import en_recherche
from mife.core.champs import ChampMois

LOT_HORS_ENTREPRISE = (
    "Lot : ce lot n'est pas un lot de l'entreprise choisie (titulaire, cotraitant, "
    "sous-traitant ou employeur d'une mission) ; choisissez l'un de ses lots."
)


class OuvrirForm(forms.Form):
    entreprise = forms.ModelChoiceField(label="Entreprise", queryset=Entreprise.objects.all())
    lot = forms.ModelChoiceField(
        label="Lot", queryset=Lot.objects.select_related("marche").order_by("marche__reference")
    )
    mois = ChampMois(label="Mois")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        en_recherche(self.fields["entreprise"], "entreprises")
        en_recherche(self.fields["lot"], "lots", depend_de="entreprise")

    def clean(self):
        donnees = super().clean()
        lot, entreprise, mois = donnees.get("lot"), donnees.get("entreprise"), donnees.get("mois")
        if lot and entreprise:
            lots = selectors.lots_ou_travaille(Lot.objects.filter(pk=lot.pk), entreprise)
            if not lots.exists():
                self.add_error("lot", LOT_HORS_ENTREPRISE)
                return donnees
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
