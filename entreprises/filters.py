import django_filters

from entreprises.models import Entreprise, TypeStructure
from mife.core.filtres import OuiNonFilter, TexteFilter


class EntrepriseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Recherche (raison sociale, identifiant)", method="filtrer_texte"
    )
    type_structure = django_filters.ChoiceFilter(
        label="Type de structure", choices=TypeStructure.choices
    )
    commune = TexteFilter(label="Commune")
    active = OuiNonFilter(
        label="Active",
        tous="Toutes",
    )

    class Meta:
        model = Entreprise
        fields = ["q", "type_structure", "commune", "active"]

    def filtrer_texte(self, queryset, name, value):
        texte = (value or "").strip()
        if not texte:
            return queryset
        return queryset.recherche(texte)
