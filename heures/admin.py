from django.contrib import admin
from django.utils.formats import date_format

from heures.models import (
    Attestation,
    BesoinRecrutement,
    CompteurNumero,
    CritereEligibilite,
    CritereParticipant,
    DeclarationMensuelle,
    GenerationAttestations,
    LigneDeclaration,
    Mission,
    Participant,
    Prescripteur,
    Proposition,
    Relance,
    StatutDeclaration,
    TotalHeuresLot,
    TotalHeuresMois,
)
from journal import services as journal
from mife.core.admin import HistoryAdmin, LectureSeuleAdminMixin

PERMISSION_DONNEES_SENSIBLES = "heures.voir_donnees_sensibles"
STATUTS_VERROUILLES = (StatutDeclaration.VALIDEE, StatutDeclaration.REMPLACEE)


def voit_donnees_sensibles(request) -> bool:
    return request.user.has_perm(PERMISSION_DONNEES_SENSIBLES)


def sans_criteres_sensibles(request, queryset, prefixe: str = ""):
    """Hide the protected criteria (RQTH, health) from users lacking the dedicated permission."""
    if voit_donnees_sensibles(request):
        return queryset
    return queryset.exclude(**{f"{prefixe}sensible": True})


def _mois(valeur):
    return date_format(valeur, "F Y") if valeur else None


@admin.register(Prescripteur)
class PrescripteurAdmin(HistoryAdmin):
    list_display = ("nom", "type", "commune", "contact_nom", "contact_email", "actif")
    list_filter = ("type", "actif")
    search_fields = ("nom", "commune", "contact_nom", "contact_email")
    search_help_text = "Nom, commune ou contact."


@admin.register(CritereEligibilite)
class CritereEligibiliteAdmin(admin.ModelAdmin):
    list_display = ("libelle", "code", "sensible", "ordre", "actif")
    list_filter = ("sensible", "actif")
    search_fields = ("code", "libelle", "description")
    search_help_text = "Code, libellé ou description."


class CritereSansSensiblesFilter(admin.RelatedFieldListFilter):
    """The criterion filter of the change list, without protected criteria if not allowed."""

    def field_choices(self, field, request, model_admin):
        limite = {} if voit_donnees_sensibles(request) else {"sensible": False}
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(include_blank=False, ordering=ordering, limit_choices_to=limite)


class CritereDuParticipantMixin:
    """Shared by the inline and the admin of ``CritereParticipant``: hides protected criteria."""

    def get_queryset(self, request):
        queryset = (
            super().get_queryset(request).select_related("participant", "critere", "prescripteur")
        )
        return sans_criteres_sensibles(request, queryset, "critere__")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "critere":
            kwargs["queryset"] = sans_criteres_sensibles(request, CritereEligibilite.objects.all())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class CritereParticipantInline(CritereDuParticipantMixin, admin.TabularInline):
    model = CritereParticipant
    fields = ("critere", "date_validation", "date_fin_validite", "prescripteur", "justification")
    extra = 0


@admin.register(Participant)
class ParticipantAdmin(HistoryAdmin):
    list_display = (
        "nom",
        "prenom",
        "sexe",
        "date_naissance",
        "commune",
        "resident_qpv",
        "date_information",
        "anonymise_le",
    )
    list_filter = ("sexe", "resident_qpv", ("anonymise_le", admin.EmptyFieldListFilter))
    search_fields = ("nom", "prenom", "email", "telephone", "commune", "code_postal")
    search_help_text = "Nom, prénom, e-mail, téléphone, commune ou code postal."
    readonly_fields = ("anonymise_le",)
    fieldsets = (
        ("Identité", {"fields": (("nom", "prenom"), ("sexe", "date_naissance"))}),
        (
            "Coordonnées",
            {
                "fields": (
                    ("commune", "code_postal"),
                    "resident_qpv",
                    ("niveau_qualification", "situation_entree"),
                    ("telephone", "email"),
                )
            },
        ),
        ("Données personnelles", {"fields": ("date_information", "anonymise_le")}),
        ("Notes", {"fields": ("notes",)}),
    )
    inlines = [CritereParticipantInline]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        reponse = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and reponse.status_code == 200 and object_id.isdigit():
            journal.consultation_participant(request, int(object_id))  # access log
        return reponse

    def history_view(self, request, object_id, extra_context=None):
        reponse = super().history_view(request, object_id, extra_context)
        if reponse.status_code == 200 and object_id.isdigit():
            journal.consultation_participant(request, int(object_id))  # access log
        return reponse


@admin.register(CritereParticipant)
class CritereParticipantAdmin(CritereDuParticipantMixin, HistoryAdmin):
    list_display = (
        "participant",
        "critere",
        "date_validation",
        "date_fin_validite",
        "prescripteur",
    )
    list_filter = (("critere", CritereSansSensiblesFilter), "date_validation", "prescripteur__type")
    list_select_related = ("participant", "critere", "prescripteur")
    search_fields = (
        "participant__nom",
        "participant__prenom",
        "critere__libelle",
        "prescripteur__nom",
    )
    search_help_text = "Nom ou prénom du participant, critère, prescripteur."
    autocomplete_fields = ("participant",)

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        queryset = super().get_history_queryset(request, history_manager, pk_name, object_id)
        return sans_criteres_sensibles(request, queryset, "critere__")


@admin.register(Mission)
class MissionAdmin(HistoryAdmin):
    list_display = (
        "reference",
        "participant",
        "lot",
        "employeur",
        "modalite",
        "type_contrat",
        "date_debut",
        "date_fin",
        "heures_prevues",
        "sortie",
    )
    list_filter = ("modalite", "type_contrat", "sortie", "date_debut", "date_fin")
    list_select_related = ("participant", "lot__marche", "employeur")
    search_fields = (
        "reference",
        "poste",
        "participant__nom",
        "participant__prenom",
        "employeur__raison_sociale",
        "employeur__identifiant",
        "lot__intitule",
        "lot__marche__reference",
    )
    search_help_text = (
        "Référence, poste, nom du participant, employeur ou SIRET, lot ou référence du marché."
    )
    date_hierarchy = "date_debut"
    autocomplete_fields = ("participant", "lot", "employeur")
    fieldsets = (
        (None, {"fields": ("reference", "participant", "lot", "employeur")}),
        (
            "Contrat",
            {
                "fields": (
                    ("modalite", "type_contrat"),
                    "poste",
                    ("date_debut", "date_fin"),
                    "heures_prevues",
                    "motif_derogation_eligibilite",
                )
            },
        ),
        ("Sortie", {"fields": (("sortie", "date_sortie"), "situation_six_mois")}),
    )

    def get_queryset(self, request):
        # Mission.__str__ shows the participant (autocomplete, change form, history).
        # A select_related here replaces list_select_related in the change list: keep it all.
        return super().get_queryset(request).select_related(*self.list_select_related)


class LigneDeclarationInline(admin.TabularInline):
    model = LigneDeclaration
    fields = ("mission", "heures", "commentaire")
    autocomplete_fields = ("mission",)
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("mission__participant")

    # ``obj`` is the declaration: the lines of a locked declaration are read-only.
    def has_add_permission(self, request, obj=None):
        return not (obj is not None and obj.verrouillee) and super().has_add_permission(
            request, obj
        )

    def has_change_permission(self, request, obj=None):
        return not (obj is not None and obj.verrouillee) and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return not (obj is not None and obj.verrouillee) and super().has_delete_permission(
            request, obj
        )


@admin.register(DeclarationMensuelle)
class DeclarationMensuelleAdmin(HistoryAdmin):
    """A validated (or replaced) declaration is locked: the admin only shows it."""

    list_display = (
        "entreprise",
        "lot",
        "mois_declare",
        "numero_version",
        "statut",
        "soumise_le",
        "traitee_le",
    )
    list_filter = ("statut", "mois", "lot__marche__nature")
    list_select_related = ("entreprise", "lot__marche")
    search_fields = (
        "entreprise__raison_sociale",
        "entreprise__identifiant",
        "lot__intitule",
        "lot__marche__reference",
    )
    search_help_text = (
        "Raison sociale ou SIRET de l'entreprise, intitulé du lot, référence du marché."
    )
    date_hierarchy = "mois"
    autocomplete_fields = ("entreprise", "lot")
    # The workflow fields are set by the application's services, not by hand.
    readonly_fields = (
        "numero_version",
        "remplace",
        "soumise_le",
        "soumise_par",
        "traitee_le",
        "traitee_par",
    )
    fieldsets = (
        (None, {"fields": ("entreprise", "lot", "mois", "numero_version", "statut")}),
        ("Motifs", {"fields": ("motif_correction", "motif_rejet")}),
        (
            "Traitement",
            {"fields": ("remplace", ("soumise_le", "soumise_par"), ("traitee_le", "traitee_par"))},
        ),
    )
    inlines = [LigneDeclarationInline]

    def get_queryset(self, request):
        # DeclarationMensuelle.__str__ shows the company and the contract's reference.
        return super().get_queryset(request).select_related("entreprise", "lot__marche")

    @admin.display(description="mois", ordering="mois")
    def mois_declare(self, obj):
        return _mois(obj.mois)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.verrouillee:
            return [f.name for f in self.model._meta.fields if f.name != "id"] + [
                f.name for f in self.model._meta.many_to_many
            ]
        return super().get_readonly_fields(request, obj)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.verrouillee:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.verrouillee:
            return False
        return super().has_delete_permission(request, obj)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "statut":
            # Validating issues an attestation: only the application's service does it.
            kwargs["choices"] = [
                (valeur, libelle)
                for valeur, libelle in db_field.choices
                if valeur not in STATUTS_VERROUILLES
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)


@admin.register(LigneDeclaration)
class LigneDeclarationAdmin(HistoryAdmin):
    list_display = ("declaration", "mission", "heures", "commentaire")
    list_filter = ("declaration__statut", "declaration__mois")
    list_select_related = (
        "declaration__entreprise",
        "declaration__lot__marche",
        "mission__participant",
    )
    search_fields = (
        "mission__reference",
        "mission__participant__nom",
        "declaration__entreprise__raison_sociale",
        "declaration__lot__marche__reference",
    )
    search_help_text = "Référence de la mission, nom du participant, entreprise, marché."
    autocomplete_fields = ("declaration", "mission")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related(
                "declaration__entreprise", "declaration__lot__marche", "mission__participant"
            )
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "declaration":
            kwargs["queryset"] = DeclarationMensuelle.objects.exclude(
                statut__in=STATUTS_VERROUILLES
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.declaration.verrouillee:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.declaration.verrouillee:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Attestation)
class AttestationAdmin(LectureSeuleAdminMixin, admin.ModelAdmin):
    """An issued attestation never changes: the admin only shows it."""

    list_display = (
        "numero",
        "type",
        "statut",
        "entreprise",
        "lot",
        "mois_atteste",
        "total_heures",
        "cumul_heures",
        "heures_requises",
        "emise_le",
        "emise_par",
    )
    list_filter = ("type", "statut", "mois", "emise_le")
    list_select_related = ("entreprise", "lot__marche", "emise_par")
    search_fields = (
        "numero",
        "code_verification",
        "entreprise__raison_sociale",
        "entreprise__identifiant",
        "lot__intitule",
        "lot__marche__reference",
    )
    search_help_text = "Numéro, code de vérification, entreprise ou SIRET, lot ou marché."
    date_hierarchy = "emise_le"
    readonly_fields = ("emise_le",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related(
                "entreprise",
                "lot__marche",
                "emise_par",
                "declaration__entreprise",
                "declaration__lot__marche",
                "remplacee_par",
            )
        )

    @admin.display(description="mois", ordering="mois")
    def mois_atteste(self, obj):
        return _mois(obj.mois)


@admin.register(CompteurNumero)
class CompteurNumeroAdmin(LectureSeuleAdminMixin, admin.ModelAdmin):
    """Numbering counters are moved only by the numbering service (gapless numbers)."""

    list_display = ("prefixe", "dernier")
    search_fields = ("prefixe",)


@admin.register(TotalHeuresMois)
class TotalHeuresMoisAdmin(LectureSeuleAdminMixin, admin.ModelAdmin):
    """Maintained totals (heures/services/totaux.py): rewritten with the declarations, checked
    and rebuilt by ``python manage.py totaux_heures``, never changed by hand."""

    list_display = ("lot", "entreprise", "mois", "heures")
    list_select_related = ("lot__marche", "entreprise")
    search_fields = ("lot__marche__reference", "entreprise__raison_sociale")
    date_hierarchy = "mois"


@admin.register(TotalHeuresLot)
class TotalHeuresLotAdmin(LectureSeuleAdminMixin, admin.ModelAdmin):
    """Maintained total of a lot (see ``TotalHeuresMoisAdmin``)."""

    list_display = ("lot", "heures")
    list_select_related = ("lot__marche",)
    search_fields = ("lot__marche__reference", "lot__intitule")


class PropositionInline(admin.TabularInline):
    model = Proposition
    fields = ("participant", "statut", "date_proposition", "date_entretien", "date_decision")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("participant", "besoin__entreprise")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(BesoinRecrutement)
class BesoinRecrutementAdmin(HistoryAdmin):
    list_display = (
        "poste",
        "entreprise",
        "lot",
        "nombre_postes",
        "date_debut",
        "date_fin",
        "commune",
        "statut",
    )
    list_filter = ("statut", "modalite", "date_debut")
    list_select_related = ("entreprise", "lot__marche")
    search_fields = (
        "poste",
        "exigences",
        "commune",
        "entreprise__raison_sociale",
        "entreprise__identifiant",
        "lot__intitule",
        "lot__marche__reference",
    )
    search_help_text = "Poste, exigences, commune, entreprise ou SIRET, lot ou marché."
    date_hierarchy = "date_debut"
    autocomplete_fields = ("lot", "entreprise")
    fieldsets = (
        (None, {"fields": ("lot", "entreprise", "poste", "nombre_postes", "statut")}),
        (
            "Contrat proposé",
            {
                "fields": (
                    ("date_debut", "date_fin"),
                    ("modalite", "type_contrat"),
                    "heures_prevues",
                    "commune",
                    "exigences",
                )
            },
        ),
    )
    inlines = [PropositionInline]

    def get_queryset(self, request):
        # BesoinRecrutement.__str__ shows the company (autocomplete, change form, history).
        return super().get_queryset(request).select_related(*self.list_select_related)


@admin.register(Proposition)
class PropositionAdmin(HistoryAdmin):
    """A proposal's mission is linked by the application when it creates the mission."""

    list_display = (
        "participant",
        "besoin",
        "statut",
        "date_proposition",
        "date_entretien",
        "date_decision",
        "mission",
    )
    list_filter = ("statut", "date_proposition")
    list_select_related = ("participant", "besoin__entreprise", "mission__participant")
    search_fields = (
        "participant__nom",
        "participant__prenom",
        "besoin__poste",
        "besoin__entreprise__raison_sociale",
        "mission__reference",
    )
    search_help_text = "Nom ou prénom du participant, poste, entreprise, référence de la mission."
    autocomplete_fields = ("besoin", "participant")
    readonly_fields = ("mission",)
    fieldsets = (
        (None, {"fields": ("besoin", "participant", "statut", "mission")}),
        (
            "Suivi",
            {"fields": (("date_proposition", "date_entretien", "date_decision"), "commentaire")},
        ),
    )

    def get_queryset(self, request):
        # Proposition.__str__ shows the participant and the need's post.
        return super().get_queryset(request).select_related(*self.list_select_related)


class JournalAdmin(LectureSeuleAdminMixin, admin.ModelAdmin):
    """A log written by a service: readable, never edited by hand."""


@admin.register(Relance)
class RelanceAdmin(JournalAdmin):
    list_display = ("cree_le", "entreprise", "lot", "mois", "statut", "destinataires")
    list_filter = ("statut", "mois")
    list_select_related = ("entreprise", "lot__marche")
    search_fields = ("entreprise__raison_sociale", "destinataires", "sujet")
    date_hierarchy = "cree_le"


@admin.register(GenerationAttestations)
class GenerationAttestationsAdmin(JournalAdmin):
    list_display = ("mois", "statut", "faites", "total", "demandee_par", "cree_le")
    list_filter = ("statut", "mois")
    list_select_related = ("demandee_par",)
    search_fields = ("erreur", "tache_id")
    date_hierarchy = "cree_le"
