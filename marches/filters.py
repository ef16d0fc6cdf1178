import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from entreprises.models import Entreprise
from marches.models import (
    DonneurOrdre,
    Echange,
    EtatAction,
    Lot,
    Marche,
    NatureMarche,
    Operation,
    Qualification,
    StatutLot,
    TypeClause,
    TypeDonneurOrdre,
    TypeEchange,
)
from mife.core.filtres import ChoixRechercheFilter, OuiNonFilter, recherche_texte


class MarcheFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Recherche (référence, objet)", method=recherche_texte(["reference", "objet"])
    )
    donneur_ordre = ChoixRechercheFilter(
        label="Donneur d'ordre", famille="donneurs", queryset=DonneurOrdre.objects.all()
    )
    operation = ChoixRechercheFilter(
        label="Opération", famille="operations", queryset=Operation.objects.all()
    )
    nature = django_filters.ChoiceFilter(label="Nature", choices=NatureMarche.choices)
    annee = django_filters.NumberFilter(
        label="Année de notification", field_name="date_notification", lookup_expr="year"
    )
    candidat_clause = OuiNonFilter(label="Candidat à une clause")
    clause_sociale = OuiNonFilter(label="Clause sociale publiée")
    critere_social = OuiNonFilter(label="Critère social publié")
    marche_reserve = OuiNonFilter(label="Marché réservé publié")
    qualification = django_filters.ChoiceFilter(
        label="Qualification", choices=Qualification.choices
    )

    class Meta:
        model = Marche
        fields = [
            "q",
            "donneur_ordre",
            "operation",
            "nature",
            "annee",
            "candidat_clause",
            "clause_sociale",
            "critere_social",
            "marche_reserve",
            "qualification",
        ]


class FileQualificationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Recherche (référence, objet)", method=recherche_texte(["reference", "objet"])
    )
    donneur_ordre = ChoixRechercheFilter(
        label="Donneur d'ordre", famille="donneurs", queryset=DonneurOrdre.objects.all()
    )
    nature = django_filters.ChoiceFilter(label="Nature", choices=NatureMarche.choices)
    clause_sociale = OuiNonFilter(label="Clause sociale publiée")
    critere_social = OuiNonFilter(label="Critère social publié")
    marche_reserve = OuiNonFilter(label="Marché réservé publié")

    class Meta:
        model = Marche
        fields = ["q", "donneur_ordre", "nature", "clause_sociale", "critere_social"]


class LotFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Recherche (référence, objet, intitulé)",
        method=recherche_texte(["marche__reference", "marche__objet", "intitule"]),
    )
    donneur_ordre = ChoixRechercheFilter(
        label="Donneur d'ordre",
        field_name="marche__donneur_ordre",
        famille="donneurs",
        queryset=DonneurOrdre.objects.all(),
    )
    operation = ChoixRechercheFilter(
        label="Opération",
        field_name="marche__operation",
        famille="operations",
        queryset=Operation.objects.all(),
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
    entreprise = ChoixRechercheFilter(
        label="Entreprise (titulaire)",
        field_name="titulaire",
        famille="entreprises",
        queryset=Entreprise.objects.all(),
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
            # « En retard » needs the hours done: the list's queryset is annotated by
            # heures.selectors.annoter_avancement, the one definition of that rule.
            return queryset.filter(en_retard=True)
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
    donneur_ordre = ChoixRechercheFilter(
        label="Donneur d'ordre", famille="donneurs", queryset=DonneurOrdre.objects.all()
    )
    renouvellement_urbain = OuiNonFilter(label="Renouvellement urbain (ANRU/QPV)", tous="Toutes")

    class Meta:
        model = Operation
        fields = ["q", "donneur_ordre", "renouvellement_urbain"]


# --- Accompagnement des entreprises ---------------------------------------------------------


DATE_FILTRE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
CHOIX_ACTION = [
    (EtatAction.A_FAIRE, "À faire (y compris en retard)"),
    (EtatAction.EN_RETARD, "En retard"),
    (EtatAction.FAITE, "Faite"),
    (EtatAction.AUCUNE, "Aucune action"),
]


class EchangeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Recherche (entreprise, compte rendu, action)",
        method=recherche_texte(["entreprise__raison_sociale", "note", "prochaine_action"]),
    )
    entreprise = ChoixRechercheFilter(
        label="Entreprise", famille="entreprises", queryset=Entreprise.objects.all()
    )
    lot = ChoixRechercheFilter(
        label="Lot", famille="lots", queryset=Lot.objects.select_related("marche")
    )
    type = django_filters.ChoiceFilter(label="Type d'échange", choices=TypeEchange.choices)
    action = django_filters.ChoiceFilter(
        label="Prochaine action", choices=CHOIX_ACTION, method="filtrer_action"
    )
    mes_suivis = OuiNonFilter(
        label="Mes échanges et mes lots", method="filtrer_mes_suivis", tous="Tous"
    )
    date_min = django_filters.DateFilter(
        label="Échange du", field_name="date", lookup_expr="gte", widget=DATE_FILTRE
    )
    date_max = django_filters.DateFilter(
        label="au", field_name="date", lookup_expr="lte", widget=DATE_FILTRE
    )

    class Meta:
        model = Echange
        fields = ["q", "entreprise", "lot", "type", "action", "mes_suivis", "date_min", "date_max"]

    def filtrer_action(self, queryset, name, value):
        jour = timezone.localdate()
        if value == EtatAction.AUCUNE:
            return queryset.filter(prochaine_action="")
        if value == EtatAction.FAITE:
            return queryset.filter(action_faite_le__isnull=False)
        if value == EtatAction.EN_RETARD:
            return queryset.actions_a_faire().filter(echeance__lt=jour)
        if value == EtatAction.A_FAIRE:
            return queryset.actions_a_faire()
        return queryset

    def filtrer_mes_suivis(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if value and user is not None:
            return queryset.suivis_par(user)
        return queryset
