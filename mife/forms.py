"""Forms of the top layer: the filters of the indicators and of the annual bilan."""

from django import forms
from django.db.models import Max, Min
from django.utils import timezone

from entreprises.models import Entreprise
from heures.models import DeclarationMensuelle
from marches.models import DonneurOrdre, Marche, NatureMarche, Operation, TypeClause
from mife.core.autocomplete import en_recherche
from mife.indicateurs import Filtres, FiltresInvalides

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def annees_des_donnees() -> tuple[int, int]:
    """First and last year the figures may cover: from the first declared month (or this
    year) to this year."""
    bornes = DeclarationMensuelle.objects.aggregate(debut=Min("mois"), fin=Max("mois"))
    cette_annee = timezone.localdate().year
    premiere = bornes["debut"].year if bornes["debut"] else cette_annee
    derniere = max(cette_annee, bornes["fin"].year if bornes["fin"] else cette_annee)
    return premiere, derniere


class FiltresIndicateursForm(forms.Form):
    """Year, or a date range, and the perimeter. Errors name the field, in French."""

    annee = forms.IntegerField(label="Année", required=False)
    debut = forms.DateField(label="Du", required=False, widget=DATE)
    fin = forms.DateField(label="Au", required=False, widget=DATE)
    donneur_ordre = forms.ModelChoiceField(
        label="Donneur d'ordre", queryset=DonneurOrdre.objects.order_by("nom"), required=False
    )
    operation = forms.ModelChoiceField(
        label="Opération", queryset=Operation.objects.order_by("nom"), required=False
    )
    nature = forms.ChoiceField(
        label="Nature de marché", choices=[("", "Toutes"), *NatureMarche.choices], required=False
    )
    type_clause = forms.ChoiceField(
        label="Type de clause", choices=[("", "Tous"), *TypeClause.choices], required=False
    )
    entreprise = forms.ModelChoiceField(
        label="Entreprise", queryset=Entreprise.objects.order_by("raison_sociale"), required=False
    )
    commune = forms.CharField(label="Commune d'exécution", required=False, max_length=120)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        en_recherche(self.fields["donneur_ordre"], "donneurs")
        en_recherche(self.fields["operation"], "operations")
        en_recherche(self.fields["entreprise"], "entreprises")

    def clean(self):
        donnees = super().clean()
        annee, debut, fin = donnees.get("annee"), donnees.get("debut"), donnees.get("fin")
        premiere, derniere = annees_des_donnees()
        if debut or fin:
            if not (debut and fin):
                raise forms.ValidationError(
                    "Période : indiquez la date de début et la date de fin."
                )
            if fin < debut:
                self.add_error("fin", "La date de fin précède la date de début (période inversée).")
        else:
            annee = annee or timezone.localdate().year
            if not premiere <= annee <= derniere:
                self.add_error(
                    "annee",
                    f"Année {annee} hors des données : choisissez une année de {premiere} "
                    f"à {derniere}.",
                )
            donnees["annee"] = annee
        return donnees

    def filtres(self) -> Filtres:
        d = self.cleaned_data
        perimetre = {
            "donneur_ordre": d.get("donneur_ordre"),
            "operation": d.get("operation"),
            "nature": d.get("nature") or "",
            "type_clause": d.get("type_clause") or "",
            "entreprise": d.get("entreprise"),
            "commune": (d.get("commune") or "").strip(),
        }
        try:
            if d.get("debut"):
                return Filtres(d["debut"], d["fin"], **perimetre)
            return Filtres.annee(d["annee"], **perimetre)
        except FiltresInvalides as erreur:  # pragma: no cover - checked in clean()
            raise forms.ValidationError(str(erreur)) from erreur


class DemandeBilanForm(forms.Form):
    annee = forms.IntegerField(label="Année")
    donneur_ordre = forms.ModelChoiceField(
        label="Donneur d'ordre",
        queryset=DonneurOrdre.objects.order_by("nom"),
        required=False,
        empty_label="Tous (bilan général)",
        help_text="Un donneur d'ordre : ses marchés seulement, effectifs de 1 ou 2 masqués.",
    )
    format = forms.ChoiceField(
        label="Format", choices=[("pdf", "PDF"), ("xlsx", "Classeur Excel")], initial="pdf"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        en_recherche(self.fields["donneur_ordre"], "donneurs")

    def clean_annee(self):
        annee = self.cleaned_data["annee"]
        premiere, derniere = annees_des_donnees()
        if not premiere <= annee <= derniere:
            raise forms.ValidationError(
                f"Année {annee} hors des données : choisissez une année de {premiere} à {derniere}."
            )
        return annee


class RapportDonneurForm(forms.Form):
    """A report to a buyer: a marché or an opération, a month or a quarter, a message."""

    marche = forms.ModelChoiceField(
        label="Marché",
        queryset=Marche.objects.select_related("donneur_ordre").order_by("reference"),
        required=False,
    )
    operation = forms.ModelChoiceField(
        label="Opération",
        queryset=Operation.objects.order_by("nom"),
        required=False,
        help_text="Ou une opération : tous ses marchés.",
    )
    periode = forms.CharField(
        label="Période",
        help_text="Un mois (2026-10) ou un trimestre (T3 2026).",
        max_length=20,
    )
    message = forms.CharField(label="Message", widget=forms.Textarea({"rows": 5}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        en_recherche(self.fields["marche"], "marches")
        en_recherche(self.fields["operation"], "operations")

    def clean_periode(self):
        from mife.rapports import lire_periode

        return lire_periode(self.cleaned_data["periode"])

    def clean(self):
        from mife.rapports import destinataires

        donnees = super().clean()
        marche, operation = donnees.get("marche"), donnees.get("operation")
        if (marche is None) == (operation is None):
            raise forms.ValidationError("Choisissez un marché ou une opération (l'un des deux).")
        destinataires(marche, operation)  # a contact without an address is named here
        return donnees
