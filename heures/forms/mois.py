"""The filters of the month board (a plain form kept in the URL)."""

from django import forms

from entreprises.models import Entreprise
from heures.selectors_mois import STATUTS_TABLEAU
from marches.models import DonneurOrdre, Lot
from mife.core.autocomplete import en_recherche
from mife.core.champs import ChampMois


class TableauMoisForm(forms.Form):
    mois = ChampMois(label="Mois", required=False, help_text="AAAA-MM")
    statut = forms.ChoiceField(
        label="Statut", choices=[("", "Tous"), *STATUTS_TABLEAU], required=False
    )
    entreprise = forms.ModelChoiceField(
        label="Entreprise",
        queryset=Entreprise.objects.order_by("raison_sociale"),
        required=False,
    )
    lot = forms.ModelChoiceField(
        label="Lot",
        queryset=Lot.objects.select_related("marche").order_by("marche__reference", "numero"),
        required=False,
    )
    donneur_ordre = forms.ModelChoiceField(
        label="Donneur d'ordre",
        queryset=DonneurOrdre.objects.order_by("nom"),
        required=False,
        empty_label="Tous",  # as the other filters
    )
    q = forms.CharField(label="Recherche (entreprise, lot, marché)", required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        en_recherche(self.fields["entreprise"], "entreprises")
        en_recherche(self.fields["lot"], "lots")
        en_recherche(self.fields["donneur_ordre"], "donneurs")
