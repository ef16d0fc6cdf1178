"""Filter helpers shared by every list page (django-filter)."""

import django_filters
from django import forms
from django.db.models import Q


def recherche_texte(champs: list[str]):
    """A FilterSet method: every word of the text must match one of ``champs``, ignoring
    accents and case (``__contient``, mife/core/texte.py)."""

    def filtrer(queryset, name, value):
        for mot in (value or "").split():
            condition = Q()
            for champ in champs:
                condition |= Q(**{f"{champ}__contient": mot})
            queryset = queryset.filter(condition)
        return queryset

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
