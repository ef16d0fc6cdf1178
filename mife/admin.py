"""Admin site: users, roles (read-only) and the settings row."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, Permission
from django.db import models
from django.db.models import Count, Prefetch
from simple_history.admin import SimpleHistoryAdmin

import mife.admin_tentatives  # noqa: F401  (failed logins: the « Débloquer » action)
from mife import roles
from mife.core.admin import LectureSeuleAdminMixin
from mife.models import DemandeBilan, Parametres, RapportDonneur, User

admin.site.site_header = "Clauses & Label — administration"
admin.site.site_title = "Clauses & Label"
admin.site.index_title = "Administration des données"
admin.site.empty_value_display = "—"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets[:2],
        ("Poste", {"fields": ("fonction", "telephone")}),
        *BaseUserAdmin.fieldsets[2:],
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (
            "Identité et poste",
            {
                "classes": ["wide"],
                "fields": ("first_name", "last_name", "email", "fonction", "telephone"),
            },
        ),
    )
    list_display = (
        "username",
        "last_name",
        "first_name",
        "email",
        "fonction",
        "roles",
        "is_active",
        "is_staff",
        "last_login",
    )
    list_filter = ("groups", "is_active", "is_staff", "is_superuser")
    search_fields = ("username", "first_name", "last_name", "email", "fonction")
    search_help_text = "Identifiant, nom, prénom, e-mail ou fonction."
    ordering = ("last_name", "first_name", "username")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="rôles")
    def roles(self, obj):
        return ", ".join(sorted(g.name for g in obj.groups.all())) or "—"


# Roles are groups kept in sync by migrations (``mife.roles.sync_roles``), never by hand:
# the admin shows them but does not let anyone edit them.
admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(LectureSeuleAdminMixin, BaseGroupAdmin):
    list_display = ("name", "libelle", "nombre_utilisateurs")
    readonly_fields = ("name", "permissions")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(nb_utilisateurs=Count("user", distinct=True))
            .prefetch_related(
                Prefetch("permissions", queryset=Permission.objects.select_related("content_type"))
            )
        )

    @admin.display(description="rôle")
    def libelle(self, obj):
        role = roles.ROLES_PAR_GROUPE.get(obj.name)
        return role.libelle if role else "(groupe hors rôles)"

    @admin.display(description="utilisateurs", ordering="nb_utilisateurs")
    def nombre_utilisateurs(self, obj):
        return obj.nb_utilisateurs


@admin.register(Parametres)
class ParametresAdmin(SimpleHistoryAdmin):
    """The single settings row: it can be edited, never added twice nor deleted."""

    list_display = ("nom_structure", "email", "diviseur_etp", "plafond_heures_mensuel")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = (
        (
            "Structure",
            {"fields": ("nom_structure", "adresse", "telephone", "email", "url_publique")},
        ),
        (
            "En-tête et signature des documents",
            {"fields": ("logo", "signature", "signataire_nom", "signataire_titre")},
        ),
        (
            "Calculs",
            {"fields": ("diviseur_etp", "plafond_heures_mensuel", "marge_retard")},
        ),
        (
            "Données personnelles",
            {"fields": ("duree_conservation_annees", "identite_sur_attestations")},
        ),
    )

    def has_add_permission(self, request):
        if Parametres.objects.exists():
            return False
        return super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DemandeBilan)
class DemandeBilanAdmin(LectureSeuleAdminMixin, admin.ModelAdmin):
    """Bilans asked from the browser: written by the service, readable only."""

    list_display = ("cree_le", "annee", "donneur_ordre", "format", "statut", "demandee_par")
    list_filter = ("statut", "format", "annee")
    list_select_related = ("donneur_ordre", "demandee_par")
    search_fields = ("donneur_ordre__nom", "erreur")


@admin.register(RapportDonneur)
class RapportDonneurAdmin(LectureSeuleAdminMixin, admin.ModelAdmin):
    """The log of reports sent to buyers: readable only."""

    list_display = ("envoye_le", "donneur_ordre", "libelle_periode", "destinataires", "statut")
    list_filter = ("statut",)
    list_select_related = ("donneur_ordre",)
    search_fields = ("donneur_ordre__nom", "destinataires", "sujet")
    date_hierarchy = "envoye_le"
