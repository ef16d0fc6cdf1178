from django.contrib import admin

from entreprises.models import Contact, Entreprise
from mife.core.admin import HistoryAdmin


class ContactInline(admin.TabularInline):
    model = Contact
    fields = (
        "civilite",
        "nom",
        "prenom",
        "fonction",
        "email",
        "telephone",
        "principal",
        "destinataire_relances",
    )
    extra = 0


@admin.register(Entreprise)
class EntrepriseAdmin(HistoryAdmin):
    list_display = (
        "raison_sociale",
        "nom_commercial",
        "identifiant",
        "type_identifiant",
        "type_structure",
        "commune",
        "active",
    )
    list_filter = ("type_structure", "active", "type_identifiant")
    search_fields = ("raison_sociale", "nom_commercial", "identifiant", "commune", "code_naf")
    search_help_text = "Raison sociale, nom commercial, SIRET ou identifiant, commune, code NAF."
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("type_identifiant", "identifiant"),
                    "raison_sociale",
                    "nom_commercial",
                    ("type_structure", "code_naf"),
                    "active",
                )
            },
        ),
        (
            "Coordonnées",
            {"fields": ("adresse", ("code_postal", "commune"), ("telephone", "email"))},
        ),
        ("Notes", {"fields": ("notes",)}),
    )
    inlines = [ContactInline]

    def get_search_results(self, request, queryset, search_term):
        filtre, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        compact = search_term.replace(" ", "")
        if compact and compact != search_term.strip():
            # A SIRET is often typed with spaces ("123 456 789 00012").
            filtre |= queryset.filter(identifiant__startswith=compact)
        return filtre, may_have_duplicates


@admin.register(Contact)
class ContactAdmin(HistoryAdmin):
    list_display = (
        "nom",
        "prenom",
        "entreprise",
        "fonction",
        "email",
        "telephone",
        "principal",
        "destinataire_relances",
    )
    list_filter = ("principal", "destinataire_relances", "entreprise__type_structure")
    list_select_related = ("entreprise",)
    search_fields = (
        "nom",
        "prenom",
        "email",
        "entreprise__raison_sociale",
        "entreprise__identifiant",
    )
    search_help_text = "Nom, prénom, e-mail, raison sociale ou SIRET de l'entreprise."
    autocomplete_fields = ("entreprise",)
