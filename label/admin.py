from django import forms
from django.contrib import admin

from label.models import (
    ActionLabel,
    AvisMembre,
    ConvocationJury,
    DiagnosticEligibilite,
    DossierLabel,
    EvenementAnimation,
    JournalDossier,
    Label,
    LienEntreprise,
    MembreJury,
    ParticipationEvenement,
    PassageJury,
    PieceJointe,
    SessionJury,
)
from mife.core.admin import AuditAdmin, HistoryAdmin


class ActionLabelInline(admin.StackedInline):
    model = ActionLabel
    fields = (
        ("axe", "theme"),
        "intitule",
        "description",
        ("date_debut", "date_fin", "personnes", "heures"),
        ("indicateur", "realisee"),
    )
    extra = 0


class PieceJointeInline(admin.TabularInline):
    """Read-only: attachments are added through the application, which checks their type."""

    model = PieceJointe
    fields = ("libelle", "action", "type_fichier", "taille", "nom_original")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(DossierLabel)
class DossierLabelAdmin(HistoryAdmin):
    list_display = (
        "entreprise",
        "annee",
        "renouvellement",
        "statut",
        "animateur",
        "date_depot",
    )
    list_filter = (
        "statut",
        "annee",
        "renouvellement",
        ("animateur", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("entreprise", "animateur")
    search_fields = ("entreprise__raison_sociale", "entreprise__identifiant", "annee")
    search_help_text = "Raison sociale ou SIRET de l'entreprise, année."
    autocomplete_fields = ("entreprise", "animateur", "diagnostic_eligibilite", "dossier_precedent")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "entreprise",
                    ("annee", "renouvellement"),
                    "statut",
                    "animateur",
                    "date_depot",
                    "diagnostic_eligibilite",
                    "dossier_precedent",
                )
            },
        ),
        (
            "Contenu du dossier",
            {
                "fields": (
                    "diagnostic",
                    "bonnes_pratiques",
                    "engagements_annee1",
                    "engagements_annee2",
                    "engagements_annee3",
                    "plan_amelioration",
                )
            },
        ),
    )
    inlines = [ActionLabelInline, PieceJointeInline]

    def get_queryset(self, request):
        # DossierLabel.__str__ shows the company (autocomplete, change form, history).
        return super().get_queryset(request).select_related(*self.list_select_related)


@admin.register(ActionLabel)
class ActionLabelAdmin(HistoryAdmin):
    list_display = ("intitule", "dossier", "axe", "theme", "date_debut", "date_fin", "realisee")
    list_filter = ("axe", "theme", "realisee", "date_fin")
    list_select_related = ("dossier__entreprise",)
    search_fields = ("intitule", "description", "dossier__entreprise__raison_sociale")
    search_help_text = "Intitulé, description ou entreprise du dossier."
    autocomplete_fields = ("dossier",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("dossier__entreprise")


@admin.register(PieceJointe)
class PieceJointeAdmin(AuditAdmin):
    """Read-only: attachments are added through the application (type checked by content)
    and downloaded through its view that checks the reader's rights, never by a media URL."""

    list_display = ("libelle", "dossier", "type_fichier", "taille", "cree_le")
    list_filter = ("type_fichier", "cree_le")
    list_select_related = ("dossier__entreprise",)
    search_fields = ("libelle", "nom_original", "dossier__entreprise__raison_sociale")
    search_help_text = "Libellé, nom du fichier déposé ou entreprise du dossier."
    exclude = ("fichier",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("dossier__entreprise")


@admin.register(MembreJury)
class MembreJuryAdmin(HistoryAdmin):
    list_display = ("nom", "prenom", "organisme", "college", "email", "actif")
    list_filter = ("college", "actif")
    search_fields = ("nom", "prenom", "organisme", "email")
    search_help_text = "Nom, prénom, organisme ou e-mail."


class ConvocationJuryInline(admin.TabularInline):
    model = ConvocationJury
    fields = ("membre", "invite_le", "present")
    autocomplete_fields = ("membre",)
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("membre")


class PassageJuryInline(admin.TabularInline):
    model = PassageJury
    fields = ("ordre", "dossier", "debut", "duree", "decision", "motivation")
    autocomplete_fields = ("dossier",)
    show_change_link = True
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("dossier__entreprise", "session")


@admin.register(SessionJury)
class SessionJuryAdmin(HistoryAdmin):
    list_display = ("__str__", "date", "lieu", "statut")
    list_filter = ("statut", "date")
    search_fields = ("lieu", "compte_rendu")
    search_help_text = "Lieu ou compte rendu."
    date_hierarchy = "date"
    # The PV is downloaded from the session's page (never from a media URL).
    readonly_fields = ("convocations_envoyees_le", "proces_verbal")
    fieldsets = (
        (None, {"fields": ("date", "lieu", "statut", "duree_passage", "convocations_envoyees_le")}),
        ("Compte rendu", {"fields": ("compte_rendu",)}),
    )
    inlines = [ConvocationJuryInline, PassageJuryInline]


@admin.register(ConvocationJury)
class ConvocationJuryAdmin(admin.ModelAdmin):
    list_display = ("membre", "session", "invite_le", "present")
    list_filter = ("present", "session__date")
    list_select_related = ("membre", "session")
    search_fields = ("membre__nom", "membre__prenom", "membre__organisme", "session__lieu")
    search_help_text = "Nom ou organisme du membre, lieu de la session."
    autocomplete_fields = ("session", "membre")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("membre", "session")


class AvisMembreInline(admin.TabularInline):
    model = AvisMembre
    fields = ("membre", "avis", "commentaire")
    autocomplete_fields = ("membre",)
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("membre")


@admin.register(PassageJury)
class PassageJuryAdmin(HistoryAdmin):
    list_display = ("dossier", "session", "ordre", "decision")
    list_filter = ("decision", "session__date")
    list_select_related = ("dossier__entreprise", "session")
    search_fields = ("dossier__entreprise__raison_sociale", "dossier__entreprise__identifiant")
    search_help_text = "Raison sociale ou SIRET de l'entreprise."
    autocomplete_fields = ("session", "dossier")
    inlines = [AvisMembreInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("dossier__entreprise", "session")


@admin.register(AvisMembre)
class AvisMembreAdmin(HistoryAdmin):
    list_display = ("membre", "passage", "avis")
    list_filter = ("avis",)
    list_select_related = ("membre", "passage__dossier__entreprise", "passage__session")
    search_fields = (
        "membre__nom",
        "membre__organisme",
        "passage__dossier__entreprise__raison_sociale",
    )
    search_help_text = "Nom ou organisme du membre, entreprise du dossier."
    autocomplete_fields = ("passage", "membre")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("membre", "passage__dossier__entreprise", "passage__session")
        )


class LabelAdminForm(forms.ModelForm):
    """A label's dates change only with a reason, kept in its history."""

    motif = forms.CharField(
        label="Motif de la modification des dates",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = Label
        fields = ["entreprise", "dossier", "date_obtention", "date_expiration"]

    def clean(self):
        donnees = super().clean()
        dates_changees = {"date_obtention", "date_expiration"} & set(self.changed_data)
        if self.instance.pk and dates_changees and not (donnees.get("motif") or "").strip():
            self.add_error("motif", "Indiquez le motif de la modification des dates.")
        return donnees


@admin.register(Label)
class LabelAdmin(HistoryAdmin):
    form = LabelAdminForm
    readonly_fields = ("numero", "code_verification", "relance_renouvellement_le")
    fields = (
        "entreprise",
        "dossier",
        "numero",
        "code_verification",
        ("date_obtention", "date_expiration"),
        "motif",
        "relance_renouvellement_le",
    )
    list_display = ("entreprise", "numero", "dossier", "date_obtention", "date_expiration")
    list_filter = ("date_obtention", "date_expiration")
    list_select_related = ("entreprise", "dossier__entreprise")
    search_fields = ("entreprise__raison_sociale", "entreprise__identifiant")
    search_help_text = "Raison sociale ou SIRET de l'entreprise."
    date_hierarchy = "date_obtention"
    autocomplete_fields = ("entreprise", "dossier")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("entreprise", "dossier__entreprise")

    def get_readonly_fields(self, request, obj=None):
        lecture = list(super().get_readonly_fields(request, obj))
        if obj is not None and not request.user.has_perm("label.modifier_dates_label"):
            lecture += ["date_obtention", "date_expiration"]
        return lecture

    def save_model(self, request, obj, form, change):
        motif = (form.cleaned_data.get("motif") or "").strip()
        if motif:
            obj._change_reason = motif
        super().save_model(request, obj, form, change)


class ParticipationEvenementInline(admin.TabularInline):
    model = ParticipationEvenement
    fields = ("entreprise", "nombre_personnes", "present")
    autocomplete_fields = ("entreprise",)
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("entreprise")


@admin.register(EvenementAnimation)
class EvenementAnimationAdmin(HistoryAdmin):
    list_display = ("titre", "theme", "date", "lieu")
    list_filter = ("date",)
    search_fields = ("titre", "theme", "lieu", "description")
    search_help_text = "Titre, thème, lieu ou description."
    date_hierarchy = "date"
    inlines = [ParticipationEvenementInline]


@admin.register(ParticipationEvenement)
class ParticipationEvenementAdmin(admin.ModelAdmin):
    list_display = ("entreprise", "evenement", "nombre_personnes", "present")
    list_filter = ("present", "evenement__date")
    list_select_related = ("entreprise", "evenement")
    search_fields = ("entreprise__raison_sociale", "entreprise__identifiant", "evenement__titre")
    search_help_text = "Entreprise ou SIRET, titre de l'événement."
    autocomplete_fields = ("evenement", "entreprise")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("entreprise", "evenement")


@admin.register(DiagnosticEligibilite)
class DiagnosticEligibiliteAdmin(HistoryAdmin):
    list_display = ("entreprise", "date", "eligible", "realise_par")
    list_filter = ("eligible", "date")
    list_select_related = ("entreprise", "realise_par")
    search_fields = ("entreprise__raison_sociale", "entreprise__identifiant")
    search_help_text = "Raison sociale ou SIRET de l'entreprise."
    autocomplete_fields = ("entreprise", "realise_par")
    readonly_fields = ("label_precedent", "eligible", "motifs")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("entreprise")


class LectureSeuleAdmin(admin.ModelAdmin):
    """Written by the application's services only (journal, links): read, never typed."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(JournalDossier)
class JournalDossierAdmin(LectureSeuleAdmin):
    list_display = ("le", "dossier", "auteur", "contact", "nature", "description")
    list_filter = ("nature", "le")
    list_select_related = ("dossier__entreprise", "auteur", "contact")
    search_fields = ("dossier__entreprise__raison_sociale", "description", "commentaire")
    search_help_text = "Entreprise du dossier, description ou commentaire."


@admin.register(LienEntreprise)
class LienEntrepriseAdmin(LectureSeuleAdmin):
    """The token is never shown (only its fingerprint is stored)."""

    list_display = ("dossier", "contact", "cree_le", "expire_le", "revoque_le", "dernier_acces")
    list_filter = ("expire_le", "revoque_le")
    list_select_related = ("dossier__entreprise", "contact")
    search_fields = ("dossier__entreprise__raison_sociale", "contact__nom", "contact__email")
    search_help_text = "Entreprise du dossier, nom ou e-mail du contact."
    exclude = ("empreinte",)
