"""Shared admin building blocks for every app's ``admin.py``.

Every app's admin builds on ``AuditAdminMixin``: the audit columns (``version``,
``cree_le``, ``modifie_le``, ``modifie_par``) are read-only, ``modifie_par`` is the user
who saved, and versioned records are saved through ``enregistrer_versionne`` — the change
form carries the version it was opened with, so the admin cannot silently overwrite a
change made meanwhile in the application (or in another admin tab).
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from mife.core.concurrence import ConflitDeVersion, enregistrer_versionne
from mife.core.historique import lignes_historique
from mife.core.models import Horodate, Versionne

AUDIT_FIELDS = ("version", "cree_le", "modifie_le", "modifie_par")
VERSION_LUE = "version_lue"


class VersionneAdminForm(forms.ModelForm):
    """Carries the version the form was opened with; refuses to save over a newer one."""

    version_lue = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields[VERSION_LUE].initial = getattr(self.instance, "version", None)

    def clean(self):
        cleaned_data = super().clean()
        lue = cleaned_data.get(VERSION_LUE)
        actuelle = getattr(self.instance, "version", None)
        if self.instance.pk is not None and lue is not None and lue != actuelle:
            raise ValidationError(str(ConflitDeVersion(self.instance)), code="conflit_version")
        return cleaned_data


def _noms_des_champs(model) -> set[str]:
    return {f.name for f in model._meta.get_fields()}


class AuditAdminMixin:
    """Audit fields read-only and grouped at the end; saves record the author and version."""

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        if issubclass(model, Versionne) and not issubclass(self.form, VersionneAdminForm):
            self.form = type(self.form.__name__, (VersionneAdminForm, self.form), {})

    def audit_fields(self) -> list[str]:
        presents = _noms_des_champs(self.model)
        return [f for f in AUDIT_FIELDS if f in presents]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly + [f for f in self.audit_fields() if f not in readonly]

    def get_fieldsets(self, request, obj=None):
        audit = self.audit_fields()
        retires = {VERSION_LUE, *audit}
        fieldsets = []
        for nom, options in super().get_fieldsets(request, obj):
            champs = [f for f in options["fields"] if f not in retires]
            if champs:
                fieldsets.append((nom, {**options, "fields": champs}))
        if not fieldsets:
            fieldsets.append((None, {"fields": []}))
        if (
            obj is not None
            and issubclass(self.model, Versionne)
            and self.has_change_permission(request, obj)
        ):
            fieldsets[0][1]["fields"].append(VERSION_LUE)
        if obj is not None and audit:
            fieldsets.append(
                ("Suivi des modifications", {"fields": audit, "classes": ["collapse"]})
            )
        return fieldsets

    def _enregistrer(self, request, obj, version_lue=None):
        obj._history_user = request.user
        if isinstance(obj, Horodate):
            obj.modifie_par = request.user
        if isinstance(obj, Versionne) and obj.pk is not None:
            version = obj.version if version_lue is None else version_lue
            enregistrer_versionne(obj, version, user=request.user)
        else:
            obj.save()

    def save_model(self, request, obj, form, change):
        version_lue = getattr(request, "_version_actuelle", None)
        if version_lue is None:
            version_lue = form.cleaned_data.get(VERSION_LUE)
        self._enregistrer(request, obj, version_lue if change else None)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj.delete()
        for instance in instances:
            self._enregistrer(request, instance)
        formset.save_m2m()


class LectureSeuleAdminMixin:
    """Records written only by the application (services, migrations): the admin shows them,
    nobody adds, changes or deletes them by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class HistoriqueLisibleMixin:
    """The admin's history page shows the changes as the detail pages do
    (``mife.core.historique``): labels, choice labels, related records by name (one query per
    related model), local dates."""

    object_history_list_template = "admin/historique_liste.html"

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        versions = list(historical_records)[::-1]  # the page is newest first
        for version, ligne in zip(versions, lignes_historique(versions, self.model), strict=True):
            version.type_lisible = ligne.type
            version.auteur_lisible = ligne.auteur
            version.history_delta_changes = [
                {
                    "field": c.libelle,
                    "old": c.avant_texte,
                    "new": c.apres_texte,
                }
                for c in ligne.changements
            ]


class HistoryAdmin(HistoriqueLisibleMixin, AuditAdminMixin, SimpleHistoryAdmin):
    """Base admin of the models with ``history = HistoricalRecords()``."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """Reverting is a change of the current record: same permission and version rules."""
        if request.method == "POST":
            actuel = self.get_object(request, unquote(object_id))
            if actuel is None:
                raise Http404
            if not self.has_change_permission(request, actuel):
                raise PermissionDenied
            request._version_actuelle = getattr(actuel, "version", None)
        return super().history_form_view(request, object_id, version_id, extra_context)


class AuditAdmin(AuditAdminMixin, admin.ModelAdmin):
    """Base admin of the models without history."""
