"""Admin site: users (given a role, never raw permissions), roles (read-only), settings row.

Rights are granted only through the roles of ``mife.roles``: the user form offers a role
(one group), not the groups and permissions widgets, and cannot set ``is_superuser`` (a
superuser is created on the command line only: ``manage.py createsuperuser``). An account
that is a superuser can be changed only by a superuser.
"""

from pathlib import Path

# Imported first so that their ModelAdmins are registered, then unregistered below.
import django_otp.plugins.otp_static.admin
import django_otp.plugins.otp_totp.admin  # noqa: F401
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group, Permission
from django.db import models
from django.db.models import Count, Prefetch
from django.utils.html import format_html
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.admin import SimpleHistoryAdmin

import mife.admin_tentatives  # noqa: F401  (failed logins: the « Débloquer » action)
from journal import services as journal
from journal import sessions
from journal.models import Action
from mife import double_facteur, roles
from mife.core.admin import HistoriqueLisibleMixin, LectureSeuleAdminMixin
from mife.models import DemandeBilan, Parametres, RapportDonneur, User

admin.site.site_header = "Clauses & Label — administration"
admin.site.site_title = "Clauses & Label"
admin.site.index_title = "Administration des données"
admin.site.empty_value_display = "—"


# Second-factor devices hold secrets (TOTP keys, recovery codes): no admin page shows them.
# A lost phone is handled by the action « Réinitialiser la double authentification ».
admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


def _choix_roles():
    return [("", "Aucun rôle"), *((role.code, role.libelle) for role in roles.ROLES)]


class RoleMixin(forms.Form):
    role = forms.ChoiceField(
        label="rôle",
        choices=_choix_roles,
        required=False,
        help_text="Les droits viennent du rôle (mife/roles.py) ; aucune permission ne se "
        "donne une à une.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            role = roles.role_of(self.instance)
            self.fields["role"].initial = role.code if role else ""


class UtilisateurForm(RoleMixin, UserChangeForm):
    pass


class NouvelUtilisateurForm(RoleMixin, AdminUserCreationForm):
    pass


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UtilisateurForm
    add_form = NouvelUtilisateurForm
    fieldsets = (
        *BaseUserAdmin.fieldsets[:2],
        ("Poste", {"fields": ("fonction", "telephone")}),
        ("Rôle et accès", {"fields": ("role", "is_active", "is_staff", "is_superuser")}),
        BaseUserAdmin.fieldsets[3],  # dates
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
        ("Rôle", {"fields": ("role", "is_staff")}),
    )
    readonly_fields = ("is_superuser",)
    actions = ["reinitialiser_double_facteur", "fermer_les_sessions"]
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

    def has_change_permission(self, request, obj=None):
        # A superuser account is out of reach of anyone who is not a superuser (password,
        # role, deactivation): nobody takes it over from the admin screen.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "role" in form.cleaned_data:
            role = roles.ROLES_PAR_CODE.get(form.cleaned_data["role"] or "")
            obj.groups.set([Group.objects.get(name=role.groupe)] if role else [])
            obj._role_cache = None

    @admin.action(
        description="Réinitialiser la double authentification (téléphone perdu)",
        permissions=["change"],
    )
    def reinitialiser_double_facteur(self, request, queryset):
        faits = 0
        for user in queryset:
            if user.is_superuser and not request.user.is_superuser:
                continue
            double_facteur.reinitialiser(user, request)
            # Its open sessions end too: the next login asks for the password, then enrolment.
            sessions.fermer_toutes(user)
            faits += 1
        self.message_user(
            request,
            f"Double authentification réinitialisée pour {faits} compte(s) : la personne "
            "l'activera de nouveau à sa prochaine connexion.",
            messages.SUCCESS if faits else messages.WARNING,
        )

    @admin.action(description="Fermer toutes les sessions ouvertes", permissions=["change"])
    def fermer_les_sessions(self, request, queryset):
        fermees = 0
        for user in queryset:
            if user.is_superuser and not request.user.is_superuser:
                continue
            nombre = sessions.fermer_toutes(user)
            fermees += nombre
            journal.securite(
                request,
                Action.SESSIONS_FERMEES,
                objet=f"{user.get_username()} : {nombre} session(s) fermée(s) par l'administrateur",
                details={"compte": user.get_username()},
            )
        self.message_user(request, f"{fermees} session(s) fermée(s).", messages.SUCCESS)


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


class ImageDeposee(forms.ClearableFileInput):
    """The logo or signature field: the stored image is named, never linked (media files have
    no public address: the PDF generation reads them from disk), PNG or JPEG offered."""

    def __init__(self, attrs=None):
        super().__init__({"accept": "image/png,image/jpeg", **(attrs or {})})

    def render(self, name, value, attrs=None, renderer=None):
        contexte = self.get_context(name, value, attrs)["widget"]
        champ = forms.FileInput(attrs=contexte["attrs"]).render(name, None)
        if not contexte["is_initial"]:
            return champ
        return format_html(
            '<div class="image-deposee"><p>Image déposée : {}</p>'
            '<p><input type="checkbox" name="{}" id="{}"> '
            '<label class="vCheckboxLabel" for="{}">Supprimer l\'image</label></p>'
            "<p>Remplacer par : {}</p></div>",
            Path(str(value)).name,
            contexte["checkbox_name"],
            contexte["checkbox_id"],
            contexte["checkbox_id"],
            champ,
        )


@admin.register(Parametres)
class ParametresAdmin(HistoriqueLisibleMixin, SimpleHistoryAdmin):
    """The single settings row: it can be edited, never added twice nor deleted."""

    list_display = ("nom_structure", "email", "diviseur_etp", "plafond_heures_mensuel")
    formfield_overrides = {
        models.URLField: {"assume_scheme": "https"},
        models.ImageField: {"widget": ImageDeposee},
    }
    fieldsets = (
        (
            "Structure",
            {
                "fields": (
                    "nom_structure",
                    "article_structure",
                    "adresse",
                    "commune",
                    "telephone",
                    "email",
                    "url_publique",
                    "adresse_des_documents",
                )
            },
        ),
        (
            "En-tête et signature des documents",
            {"fields": ("logo", "signature", "signataire_nom", "signataire_titre")},
        ),
        (
            "Calculs",
            {
                "fields": (
                    "diviseur_etp",
                    "plafond_heures_mensuel",
                    "seuil_alerte_heures_mensuel",
                    "marge_retard",
                )
            },
        ),
        (
            "Données personnelles",
            {"fields": ("duree_conservation_annees", "identite_sur_attestations")},
        ),
        ("Contrôle", {"fields": ("validation_quatre_yeux",)}),
    )

    readonly_fields = ("adresse_des_documents",)

    @admin.display(description="adresse imprimée dans les documents")
    def adresse_des_documents(self, obj):
        """What the QR codes and verification links will carry, and where it comes from."""
        adresse = obj.adresse_documents if obj else ""
        if not adresse:
            return (
                "aucune : définissez la variable d'environnement SITE_URL ou l'adresse publique "
                "ci-dessus, sinon les QR codes des attestations ne mènent nulle part."
            )
        origine = (
            "l'adresse publique ci-dessus"
            if obj.url_publique
            else "la variable d'environnement SITE_URL (make run la déduit de HOST et PORT)"
        )
        return f"{adresse}/… (tirée de {origine})"

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
