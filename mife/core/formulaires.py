"""The reusable edit page: one or more forms saved together by a service, with the version
the user opened (optimistic locking), French errors at the top and next to each field, and
nothing typed lost on an error (DESIGN.md §6)."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_permission_codename
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views import View

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
    """Subclasses define ``get_objet``, ``get_formulaires`` and ``enregistrer``."""

    template_name = "formulaires/edition.html"
    raise_exception = True
    titre = ""

    def get_objet(self):
        return None

    def get_formulaires(self, data=None) -> dict[str, forms.BaseForm]:
        raise NotImplementedError

    def enregistrer(self, formulaires, version_lue: int | None):
        """Save through the app's service; return the saved object."""
        raise NotImplementedError

    def message_succes(self, objet) -> str:
        return f"« {objet} » enregistré."

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
            "version_form": version_form,
            "annulation": self.get_annulation(),
            "objet": self.objet,
        }

    def dispatch(self, request, *args, **kwargs):
        if not self.has_permission():
            return self.handle_no_permission()
        self.objet = self.get_objet()
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        version = getattr(self.objet, "version", None)
        version_form = VersionForm(initial={"version_lue": version})
        return render(
            request, self.template_name, self.contexte(self.get_formulaires(), version_form)
        )

    def post(self, request, *args, **kwargs):
        formulaires = self.get_formulaires(data=request.POST)
        version_form = VersionForm(request.POST)
        # Validate every form (no short-circuit) so that all errors show at once.
        resultats = [version_form.is_valid()] + [f.is_valid() for f in formulaires.values()]
        if all(resultats):
            try:
                objet = self.enregistrer(formulaires, version_form.cleaned_data["version_lue"])
            except ConflitDeVersion as conflit:
                version_form.add_error(None, str(conflit))
            except ValidationError as erreur:
                _ajouter_erreurs(formulaires, erreur)
            else:
                messages.success(request, self.message_succes(objet))
                return redirect(objet.get_absolute_url())
        return render(
            request, self.template_name, self.contexte(formulaires, version_form), status=200
        )


def _ajouter_erreurs(formulaires, erreur: ValidationError) -> None:
    """Place a service's ValidationError on the form that owns the field, else on the first."""
    premier = next(iter(formulaires.values()))
    if not hasattr(erreur, "error_dict"):
        premier.add_error(None, erreur)
        return
    for champ, erreurs in erreur.error_dict.items():
        cible = next((f for f in formulaires.values() if champ in f.fields), None)
        if cible is None:
            premier.add_error(None, erreurs)
        else:
            cible.add_error(champ, erreurs)
