"""Search-as-you-type choice of a row among thousands (a company, a lot, a participant…).

The widget renders a ``<select>`` holding **only the selected option(s)**: a page never lists
every company. ``static/js/autocomplete.js`` turns it into an accessible combobox (text field,
list of suggestions, keyboard up / down / Enter / Escape, ``aria-expanded`` and
``aria-activedescendant``) that asks the JSON endpoint of its *family* of models
(``mife/choix.py``: ``/choix/<famille>/?q=…``, 20 results a page, accents ignored, within the
user's rights). The form field keeps its queryset: the chosen id is validated on the server,
and an id outside it gets a French error naming the field.

Without JavaScript, the field keeps its current value (it can be emptied).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.text import capfirst


class ChoixRecherche(forms.Select):
    """A model choice rendered with its selected option only, searched as the user types.

    ``famille``: the endpoint (``entreprises``, ``lots``…); ``depend_de``: the name of another
    field of the form whose value is sent along (the lots of the chosen company);
    ``params``: fixed query parameters (``{"actives": "1"}``).
    """

    def __init__(self, famille: str, *, depend_de: str = "", params=None, attrs=None):
        super().__init__(attrs)
        self.famille = famille
        self.depend_de = depend_de
        self.params = dict(params or {})

    def __deepcopy__(self, memo):
        copie = super().__deepcopy__(memo)
        copie.params = dict(self.params)
        return copie

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        attrs = context["widget"]["attrs"]
        attrs["data-choix-url"] = reverse("choix", args=[self.famille])
        if self.params:
            attrs["data-choix-params"] = "&".join(f"{k}={v}" for k, v in self.params.items())
        if self.depend_de:
            attrs["data-choix-depend"] = self.depend_de
        return context

    def optgroups(self, name, value, attrs=None):
        champ = getattr(self.choices, "field", None)
        if champ is None:  # plain choices: nothing to trim
            return super().optgroups(name, value, attrs)
        choix = []
        if not self.allow_multiple_selected:
            choix.append(("", champ.empty_label or ""))
        cles = [v for v in value if v not in ("", None)]
        if cles:
            try:
                objets = list(champ.queryset.filter(pk__in=cles))
            except (ValueError, TypeError, ValidationError):  # a pk that is not one
                objets = []
            choix += [(champ.prepare_value(o), champ.label_from_instance(o)) for o in objets]
        complet = self.choices
        self.choices = choix
        try:
            return super().optgroups(name, value, attrs)
        finally:
            self.choices = complet


class ChoixRechercheMultiple(ChoixRecherche, forms.SelectMultiple):
    """The same for several rows (co-contractors, subcontractors)."""


def en_recherche(champ: forms.ModelChoiceField, famille: str, **options) -> None:
    """Turn an existing model choice field (of a form or a filter set) into a
    search-as-you-type field of ``famille``; an id outside its queryset is refused with a
    French message naming the field."""
    multiple = isinstance(champ.widget, forms.SelectMultiple)
    classe = ChoixRechercheMultiple if multiple else ChoixRecherche
    champ.widget = classe(famille, attrs=dict(champ.widget.attrs), **options)
    champ.widget.choices = champ.choices
    nom = capfirst(champ.label or famille)
    champ.error_messages["invalid_choice"] = (
        f"{nom} : ce choix n'existe pas ou ne vous est pas proposé ; choisissez dans la liste."
    )
    if multiple:
        champ.error_messages["invalid_pk_value"] = champ.error_messages["invalid_choice"]
