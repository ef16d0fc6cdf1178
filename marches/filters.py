import django_filters
from django.db.models import Q
from django.utils import timezone

from entreprises.models import Entreprise
from marches.models import (
    DonneurOrdre,
    Lot,
    Marche,
    NatureMarche,
    Operation,
    StatutLot,
    TypeClause,
    TypeDonneurOrdre,
)
from mife.filtres import OuiNonFilter, recherche_texte


class MarcheFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Recherche (référence, objet)", method=recherche_texte(["reference", "objet"])
    )
    donneur_ordre = django_filters.ModelChoiceFilter(
        label="Donneur d'ordre", queryset=DonneurOrdre.objects.all()
    )
    operation = django_filters.ModelChoiceFilter(
        label="Opération", queryset=Operation.objects.all()
    )
    nature = django_filters.ChoiceFilter(label="Nature", choices=NatureMarche.choices)
    annee = django_filters.NumberFilter(
        label="Année de notification", field_name="date_notification", lookup_expr="year"
    )
    candidat_clause = OuiNonFilter(label="Candidat à une clause")

    class Meta:
        model = Marche
        fields = ["q", "donneur_ordre", "operation", "nature", "annee", "candidat_clause"]


class LotFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Recherche (référence, objet, intitulé)",
        method=recherche_texte(["marche__reference", "marche__objet", "intitule"]),
    )
    donneur_ordre = django_filters.ModelChoiceFilter(
        label="Donneur d'ordre",
        field_name="marche__donneur_ordre",
        queryset=DonneurOrdre.objects.all(),
    )
    operation = django_filters.ModelChoiceFilter(
        label="Opération", field_name="marche__operation", queryset=Operation.objects.all()
    )
    nature = django_filters.ChoiceFilter(
        label="Nature", field_name="marche__nature", choices=NatureMarche.choices
    )
    type_clause = django_filters.ChoiceFilter(
        label="Type de clause", field_name="clause__type", choices=TypeClause.choices
    )
    statut = django_filters.ChoiceFilter(
        label="Statut",
        choices=StatutLot.choices,
        method="filtrer_statut",
    )
    annee = django_filters.NumberFilter(label="Année d'exécution", method="filtrer_annee")
    entreprise = django_filters.ModelChoiceFilter(
        label="Entreprise (titulaire)", field_name="titulaire", queryset=Entreprise.objects.all()
    )

    class Meta:
        model = Lot
        fields = [
            "q",
            "donneur_ordre",
            "operation",
            "nature",
            "type_clause",
            "statut",
            "annee",
            "entreprise",
        ]

    def filtrer_statut(self, queryset, name, value):
        jour = timezone.localdate()
        if value == StatutLot.EN_RETARD:
            from heures.selectors import lots_en_retard

            return lots_en_retard(queryset, jour)
        if value == StatutLot.EN_COURS:
            return queryset.actifs_le(jour)
        if value == StatutLot.A_VENIR:
            return queryset.a_venir(jour)
        if value == StatutLot.TERMINE:
            return queryset.termines(jour)
        return queryset

    def filtrer_annee(self, queryset, name, value):
        if not value:
            return queryset
        annee = int(value)
        return queryset.filter(
            Q(date_debut__year__lte=annee) | Q(date_debut__isnull=True),
            Q(date_fin__year__gte=annee) | Q(date_fin__isnull=True),
        )


class DonneurOrdreFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Recherche (nom, SIRET)", method=recherche_texte(["nom", "siret"])
    )
    type = django_filters.ChoiceFilter(label="Type", choices=TypeDonneurOrdre.choices)

    class Meta:
        model = DonneurOrdre
        fields = ["q", "type"]


class OperationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Recherche (nom, commune)", method=recherche_texte(["nom", "commune", "description"])
    )
    donneur_ordre = django_filters.ModelChoiceFilter(
        label="Donneur d'ordre", queryset=DonneurOrdre.objects.all()
    )
    renouvellement_urbain = OuiNonFilter(label="Renouvellement urbain (ANRU/QPV)", tous="Toutes")

    class Meta:
        model = Operation
        fields = ["q", "donneur_ordre", "renouvellement_urbain"]
