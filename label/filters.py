import django_filters

from entreprises.models import Entreprise
from label.models import DossierLabel, SessionJury, StatutDossier, StatutSession


class DossierFilter(django_filters.FilterSet):
    statut = django_filters.ChoiceFilter(label="Statut", choices=StatutDossier.choices)
    annee = django_filters.NumberFilter(label="Année de candidature")
    entreprise = django_filters.ModelChoiceFilter(
        label="Entreprise", queryset=Entreprise.objects.all()
    )

    class Meta:
        model = DossierLabel
        fields = ["statut", "annee", "entreprise"]


class SessionFilter(django_filters.FilterSet):
    statut = django_filters.ChoiceFilter(label="Statut", choices=StatutSession.choices)
    annee = django_filters.NumberFilter(label="Année", field_name="date", lookup_expr="year")

    class Meta:
        model = SessionJury
        fields = ["statut", "annee"]
