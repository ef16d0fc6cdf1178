"""The reusable edit page: one or more forms (and formsets) saved together by a service, with
the version the user opened (optimistic locking), French errors at the top and next to each
field, nothing typed lost on an error (DESIGN.md §6), and an optional confirmation step
before saving (a possible duplicate…)."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_permission_codename
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views import View

from mife.core import grammaire
from mife.core.concurrence import ConflitDeVersion


class VersionForm(forms.Form):
    """Hidden field carrying the version of the record when the page was opened."""

    version_lue = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)


class PermissionAjoutOuModificationMixin:
    """An edit page of ``model`` that creates a record (no ``pk`` in the URL) or edits one: creating
    needs the model's ``add`` permission, editing its ``change`` permission."""

    model = None

    def get_permission_required(self):
        action = "change" if "pk" in self.kwargs else "add"
        options = self.model._meta
        return [f"{options.app_label}.{get_permission_codename(action, options)}"]


class EditionView(PermissionRequiredMixin, View):
    """Subclasses define ``get_objet``, ``get_formulaires`` and ``enregistrer``.

    Optional hooks: ``get_formsets`` (validated with the forms, rendered by the template from
    ``formsets``, handed to ``enregistrer`` with the forms), ``refus`` (a response instead of
    the page, e.g. a record that can no longer be edited) and ``confirmation`` (valid data
    shown again with ``template_confirmation`` until the user confirms with the button named
    ``champ_confirmation``; a hidden field keeps the confirmation if the page comes back).
    """

    template_name = "formulaires/edition.html"
    template_confirmation = ""
    champ_confirmation = "confirme"
    raise_exception = True
    titre = ""

    def get_objet(self):
        return None

    def get_formulaires(self, data=None) -> dict[str, forms.BaseForm]:
        raise NotImplementedError

    def get_formsets(self, formulaires, data=None) -> dict[str, forms.BaseFormSet]:
        """Formsets edited with the forms (they may need a form's ``instance``)."""
        return {}

    def refus(self):
        """A response (redirect with a message) when the page must not be used, else None."""
        return None

    def confirmation(self, formulaires) -> dict | None:
        """Called with valid forms before saving, unless the user already confirmed: a
        non-empty dict (the ``confirmation`` of ``template_confirmation``) asks first."""
        return None

    def enregistrer(self, formulaires, version_lue: int | None):
        """Save through the app's service (``formulaires`` holds the forms and the formsets);
        return the saved object."""
        raise NotImplementedError

    def message_succes(self, objet) -> str:
        """``« Opération « X » enregistrée. »``: the model's name and the participle agreed
        with its grammatical gender (``genre_grammatical``, see mife/core/grammaire.py)."""
        return (
            f"{grammaire.nom_du_modele(objet)} « {objet} » "
            f"{grammaire.accorde('enregistré', objet)}."
        )

    def get_titre(self) -> str:
        return self.titre

    def get_fil(self):
        return [(self.get_titre(), None)]

    def get_annulation(self) -> str:
        objet = self.objet
        if objet is not None and objet.pk and hasattr(objet, "get_absolute_url"):
            return objet.get_absolute_url()
        return self.request.META.get("HTTP_REFERER", "/")

    def contexte(self, formulaires, version_form):
        return {
            "titre": self.get_titre(),
            "fil": self.get_fil(),
            "formulaires": formulaires,
            "formsets": self.formsets,
            "version_form": version_form,
            "annulation": self.get_annulation(),
            "objet": self.objet,
            "template_confirmation": self.template_confirmation,
            "champ_confirmation": self.champ_confirmation,
            "confirme": self.confirme,
        }

    def dispatch(self, request, *args, **kwargs):
        if not self.has_permission():
            return self.handle_no_permission()
        self.objet = self.get_objet()
        self.formsets = {}
        self.confirme = bool(request.POST.get(self.champ_confirmation))
        return self.refus() or super().dispatch(request, *args, **kwargs)

    def _formulaires(self, data=None):
        formulaires = self.get_formulaires(data=data)
        self.formsets = self.get_formsets(formulaires, data=data)
        return formulaires

    def get(self, request, *args, **kwargs):
        version = getattr(self.objet, "version", None)
        version_form = VersionForm(initial={"version_lue": version})
        return render(request, self.template_name, self.contexte(self._formulaires(), version_form))

    def post(self, request, *args, **kwargs):
        formulaires = self._formulaires(data=request.POST)
        version_form = VersionForm(request.POST)
        # Validate every form and formset (no short-circuit) so that all errors show at once.
        a_valider = [version_form, *formulaires.values(), *self.formsets.values()]
        resultats = [f.is_valid() for f in a_valider]
        a_confirmer = None
        if all(resultats):
            a_confirmer = None if self.confirme else self.confirmation(formulaires)
            if not a_confirmer:
                try:
                    objet = self.enregistrer(
                        {**formulaires, **self.formsets}, version_form.cleaned_data["version_lue"]
                    )
                except ConflitDeVersion as conflit:
                    version_form.add_error(None, str(conflit))
                except ValidationError as erreur:
                    _ajouter_erreurs(formulaires, erreur)
                else:
                    messages.success(request, self.message_succes(objet))
                    return redirect(objet.get_absolute_url())
        contexte = self.contexte(formulaires, version_form)
        contexte["confirmation"] = a_confirmer
        return render(request, self.template_name, contexte, status=200)


def _ajouter_erreurs(formulaires, erreur: ValidationError) -> None:
    """Place a service's ValidationError on the form that owns the field, else on the first."""
    premier = next(iter(formulaires.values()))
    if not hasattr(erreur, "error_dict"):
        premier.add_error(None, erreur)
        return
    for champ, erreurs in erreur.error_dict.items():
        cible = next((f for f in formulaires.values() if champ in getattr(f, "fields", {})), None)
        if cible is None:
            premier.add_error(None, erreurs)
        else:
            cible.add_error(champ, erreurs)
