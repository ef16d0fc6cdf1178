"""Filter helpers shared by every list page (django-filter)."""

import django_filters
from django import forms

from mife.core.autocomplete import ChoixRecherche, en_recherche
from mife.core.texte import chercher


def recherche_texte(champs: list[str]):
    """A FilterSet method: every word of the text must match one of ``champs``, ignoring
    accents and case (``__contient``, mife/core/texte.py)."""

    def filtrer(queryset, name, value):
        return chercher(queryset, champs, value)

    return filtrer


class TexteFilter(django_filters.CharFilter):
    """A text filter on one column, ignoring accents and case (a commune, a name)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("lookup_expr", "contient")
        super().__init__(*args, **kwargs)


class OuiNonFilter(django_filters.BooleanFilter):
    """Yes/no filter whose empty choice reads « Tous » (or the given label)."""

    def __init__(self, *args, tous: str = "Tous", **kwargs):
        kwargs.setdefault(
            "widget", forms.Select(choices=[("", tous), ("true", "Oui"), ("false", "Non")])
        )
        super().__init__(*args, **kwargs)


class ChoixRechercheFilter(django_filters.ModelChoiceFilter):
    """A model choice filter searched as the user types (``mife/core/autocomplete.py``): the
    page holds the selected option only, whatever the number of rows."""

    def __init__(self, *args, famille: str, depend_de: str = "", params=None, **kwargs):
        self.famille, self.depend_de, self.params = famille, depend_de, params
        super().__init__(*args, **kwargs)

    @property
    def field(self):
        champ = super().field
        if not isinstance(champ.widget, ChoixRecherche):
            en_recherche(champ, self.famille, depend_de=self.depend_de, params=self.params)
        return champ
