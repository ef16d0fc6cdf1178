import django_filters
from django.contrib.auth import get_user_model

from entreprises.models import Entreprise
from label.models import DossierLabel, SessionJury, StatutDossier, StatutSession
from mife.core.filtres import ChoixRechercheFilter, OuiNonFilter, recherche_texte


class DossierFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Entreprise",
        method=recherche_texte(["entreprise__raison_sociale", "entreprise__nom_commercial"]),
    )
    statut = django_filters.ChoiceFilter(label="Statut", choices=StatutDossier.choices)
    annee = django_filters.NumberFilter(label="Année de candidature")
    renouvellement = OuiNonFilter(label="Renouvellement")
    animateur = django_filters.ModelChoiceFilter(
        label="Animateur·rice",
        queryset=get_user_model().objects.filter(dossiers_label__isnull=False).distinct(),
    )
    entreprise = ChoixRechercheFilter(
        label="Entreprise (fiche)", famille="entreprises", queryset=Entreprise.objects.all()
    )

    class Meta:
        model = DossierLabel
        fields = ["q", "statut", "annee", "renouvellement", "animateur", "entreprise"]


class SessionFilter(django_filters.FilterSet):
    statut = django_filters.ChoiceFilter(label="Statut", choices=StatutSession.choices)
    annee = django_filters.NumberFilter(label="Année", field_name="date", lookup_expr="year")

    class Meta:
        model = SessionJury
        fields = ["statut", "annee"]
