from django.contrib import admin
from django.db import models
from django.utils.text import Truncator

from marches import qualification
from marches.annexe import VARIABLES
from marches.models import (
    ActeSousTraitance,
    Clause,
    DonneurOrdre,
    Echange,
    FamilleCPV,
    Lot,
    Marche,
    ModeleClause,
    ModificationMarche,
    Operation,
    RapportImport,
    ReferenceCalcul,
    SeuilsQualification,
    SourceVeille,
    TacheImportDecp,
)
from mife.core.admin import HistoryAdmin
from mife.core.champs import ChampMontant


@admin.register(DonneurOrdre)
class DonneurOrdreAdmin(HistoryAdmin):
    list_display = ("nom", "type", "siret", "commune", "contact_nom", "contact_email")
    list_filter = ("type",)
    search_fields = ("nom", "siret", "commune", "contact_nom")
    search_help_text = "Nom, SIRET, commune ou contact."
    fieldsets = (
        (None, {"fields": ("nom", "article", "type", "siret")}),
        ("Adresse", {"fields": ("adresse", ("code_postal", "commune"))}),
        ("Contact", {"fields": ("contact_nom", "contact_email", "contact_telephone")}),
    )


@admin.register(Operation)
class OperationAdmin(HistoryAdmin):
    list_display = (
        "nom",
        "donneur_ordre",
        "commune",
        "renouvellement_urbain",
        "date_debut",
        "date_fin",
    )
    list_filter = ("renouvellement_urbain", "date_debut", "donneur_ordre__type")
    list_select_related = ("donneur_ordre",)
    search_fields = ("nom", "commune", "donneur_ordre__nom")
    search_help_text = "Nom de l'opération, commune ou donneur d'ordre."
    autocomplete_fields = ("donneur_ordre",)


class LotInline(admin.TabularInline):
    model = Lot
    fields = (
        "numero",
        "intitule",
        "montant_ht",
        "date_debut",
        "date_fin",
        "titulaire",
        "facilitateur",
    )
    autocomplete_fields = ("titulaire", "facilitateur")
    show_change_link = True
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("marche", "titulaire", "facilitateur")


@admin.register(Marche)
class MarcheAdmin(HistoryAdmin):
    list_display = (
        "reference",
        "objet_court",
        "donneur_ordre",
        "nature",
        "procedure",
        "date_notification",
        "montant_ht",
        "candidat_clause",
    )
    list_filter = (
        "qualification",
        "nature",
        "procedure",
        "clause_sociale",
        "critere_social",
        "marche_reserve",
        "date_notification",
    )
    list_select_related = ("donneur_ordre",)
    search_fields = ("reference", "objet", "decp_id", "code_cpv", "donneur_ordre__nom")
    search_help_text = "Référence, objet, identifiant DECP, code CPV ou donneur d'ordre."
    date_hierarchy = "date_notification"
    autocomplete_fields = ("donneur_ordre", "operation")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "donneur_ordre",
                    "operation",
                    "reference",
                    "objet",
                    ("nature", "procedure"),
                    ("date_notification", "duree_mois"),
                    "montant_ht",
                    ("code_cpv", "lieu_execution"),
                )
            },
        ),
        (
            "Données publiques (DECP)",
            {
                "fields": (
                    "decp_id",
                    "considerations_sociales",
                    ("clause_sociale", "critere_social", "marche_reserve"),
                    "candidat_clause",
                    ("qualification", "motif_ecart"),
                    ("score_qualification", "raisons_qualification"),
                    ("valeurs_decp", "titulaires_decp"),
                )
            },
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        return (
            *super().get_readonly_fields(request, obj),
            "score_qualification",
            "raisons_qualification",
            "valeurs_decp",
            "titulaires_decp",
        )

    inlines = [LotInline]

    @admin.display(description="objet", ordering="objet")
    def objet_court(self, obj):
        return Truncator(obj.objet).chars(80)


class ClauseInline(admin.StackedInline):
    model = Clause
    fields = (
        "type",
        ("montant_base", "part_main_oeuvre", "taux_insertion", "cout_horaire"),
        ("heures_calculees", "heures_requises"),
        "motif_derogation",
        ("ponderation_critere", "penalite_horaire"),
        "notes",
    )
    max_num = 1
    extra = 0


@admin.register(Lot)
class LotAdmin(HistoryAdmin):
    list_display = (
        "marche_reference",
        "numero",
        "intitule",
        "titulaire",
        "facilitateur",
        "date_debut",
        "date_fin",
        "heures_requises",
        "cloture_le",
    )
    list_display_links = ("marche_reference", "numero", "intitule")
    list_filter = (
        "marche__nature",
        "clause__type",
        "date_debut",
        "date_fin",
        ("cloture_le", admin.EmptyFieldListFilter),
        ("facilitateur", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("marche", "titulaire", "facilitateur", "clause")
    search_fields = (
        "numero",
        "intitule",
        "marche__reference",
        "marche__objet",
        "titulaire__raison_sociale",
        "titulaire__identifiant",
    )
    search_help_text = "Intitulé ou n° du lot, référence ou objet du marché, titulaire ou SIRET."
    date_hierarchy = "date_debut"
    autocomplete_fields = ("marche", "titulaire", "cotraitants", "sous_traitants", "facilitateur")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "marche",
                    ("numero", "intitule"),
                    "montant_ht",
                    ("date_debut", "date_fin"),
                    "facilitateur",
                )
            },
        ),
        ("Entreprises", {"fields": ("titulaire", "cotraitants", "sous_traitants")}),
        ("Clôture", {"fields": ("cloture_le", "motif_cloture")}),
    )
    inlines = [ClauseInline]

    def get_queryset(self, request):
        # Lot.__str__ shows the contract's reference (autocomplete, change form, history).
        # A select_related here replaces list_select_related in the change list: keep it all.
        return super().get_queryset(request).select_related(*self.list_select_related)

    @admin.display(description="marché", ordering="marche__reference")
    def marche_reference(self, obj):
        return obj.marche.reference

    @admin.display(description="heures requises", ordering="clause__heures_requises")
    def heures_requises(self, obj):
        clause = getattr(obj, "clause", None)  # None when the lot has no clause yet
        return clause.heures_requises if clause else None


@admin.register(ReferenceCalcul)
class ReferenceCalculAdmin(HistoryAdmin):
    list_display = ("nature", "part_main_oeuvre", "taux_insertion", "cout_horaire")
    list_filter = ("nature",)
    search_fields = ("nature",)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "cout_horaire":  # an amount; the two others are percentages
            kwargs["form_class"] = ChampMontant
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(Clause)
class ClauseAdmin(HistoryAdmin):
    list_display = (
        "lot",
        "type",
        "heures_calculees",
        "heures_requises",
        "ponderation_critere",
        "penalite_horaire",
    )
    list_filter = ("type", "lot__marche__nature")
    list_select_related = ("lot__marche",)
    search_fields = ("lot__intitule", "lot__numero", "lot__marche__reference", "lot__marche__objet")
    search_help_text = "Intitulé ou n° du lot, référence ou objet du marché."
    autocomplete_fields = ("lot",)
    fieldsets = (
        (None, {"fields": ("lot", "type")}),
        (
            "Calcul des heures",
            {
                "fields": (
                    ("montant_base", "part_main_oeuvre", "taux_insertion", "cout_horaire"),
                    ("heures_calculees", "heures_requises"),
                    "motif_derogation",
                )
            },
        ),
        ("Critère et pénalités", {"fields": ("ponderation_critere", "penalite_horaire")}),
        ("Notes", {"fields": ("notes",)}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("lot__marche")


@admin.register(ModeleClause)
class ModeleClauseAdmin(HistoryAdmin):
    """Model texts of the clause annex. Variables usable in the text are listed in help."""

    list_display = ("type", "titre")
    search_fields = ("titre", "texte")

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.base_fields["texte"].help_text = (
            "Variables : "
            + ", ".join("{{ " + v.strip() + " }}" for v in VARIABLES.split(","))
            + ". Une ligne « # Titre » est un intertitre, « - » une puce, **gras** du gras."
        )
        return form


@admin.register(Echange)
class EchangeAdmin(HistoryAdmin):
    list_display = (
        "date",
        "entreprise",
        "type",
        "lot",
        "auteur",
        "prochaine_action",
        "echeance",
        "action_faite_le",
    )
    list_filter = (
        "type",
        "date",
        "echeance",
        ("action_faite_le", admin.EmptyFieldListFilter),
        ("auteur", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("entreprise", "lot__marche", "auteur")
    search_fields = (
        "entreprise__raison_sociale",
        "entreprise__identifiant",
        "lot__marche__reference",
        "note",
        "prochaine_action",
    )
    search_help_text = "Entreprise ou SIRET, référence du marché, compte rendu ou action."
    date_hierarchy = "date"
    autocomplete_fields = ("entreprise", "lot", "auteur", "action_faite_par")
    fieldsets = (
        (None, {"fields": ("entreprise", "lot", ("type", "date"), "auteur", "note")}),
        (
            "Prochaine action",
            {"fields": ("prochaine_action", "echeance", ("action_faite_le", "action_faite_par"))},
        ),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.list_select_related)


# --- Repérage des marchés (DECP) ------------------------------------------------------------


class ReclasserFileMixin:
    """Saving or deleting a list the ranking depends on re-ranks the qualification queue."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        qualification.evaluer()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        qualification.evaluer()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        qualification.evaluer()


@admin.register(FamilleCPV)
class FamilleCPVAdmin(ReclasserFileMixin, admin.ModelAdmin):
    list_display = ("prefixe", "libelle")
    search_fields = ("prefixe", "libelle")


@admin.register(SeuilsQualification)
class SeuilsQualificationAdmin(ReclasserFileMixin, admin.ModelAdmin):
    list_display = ("__str__", "montant_min", "duree_min_mois")
    formfield_overrides = {models.DecimalField: {"form_class": ChampMontant}}  # montant_min

    def has_add_permission(self, request):
        return not SeuilsQualification.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RapportImport)
class RapportImportAdmin(admin.ModelAdmin):
    list_display = ("cree_le", "origine", "par", "nb_enregistrements", "nb_importes", "nb_ecartes")
    readonly_fields = [f.name for f in RapportImport._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ModificationMarche)
class ModificationMarcheAdmin(admin.ModelAdmin):
    list_display = ("marche", "rang", "date_notification", "montant_ht", "duree_mois")
    list_select_related = ("marche",)
    search_fields = ("marche__reference", "marche__decp_id")
    raw_id_fields = ("marche",)


@admin.register(ActeSousTraitance)
class ActeSousTraitanceAdmin(admin.ModelAdmin):
    list_display = ("marche", "sous_traitant", "montant_ht", "date_notification")
    list_select_related = ("marche", "sous_traitant")
    search_fields = ("marche__reference", "sous_traitant__raison_sociale")
    raw_id_fields = ("marche", "sous_traitant")


@admin.register(SourceVeille)
class SourceVeilleAdmin(admin.ModelAdmin):
    list_display = ("nom", "url", "active", "periodicite_heures", "derniere_execution")
    list_filter = ("active",)
    search_fields = ("nom", "url")
    readonly_fields = ("etag", "last_modified", "derniere_execution", "dernier_resultat")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(TacheImportDecp)
class TacheImportDecpAdmin(admin.ModelAdmin):
    """The upload page's background work (read only: it is the worker's)."""

    list_display = ("cree_le", "etape", "statut", "nom", "par", "faits", "total")
    list_filter = ("etape", "statut")
    search_fields = ("nom",)
    readonly_fields = [f.name for f in TacheImportDecp._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
