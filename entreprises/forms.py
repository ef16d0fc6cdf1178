"""Forms of the companies area: the company, and its contacts as a formset."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseInlineFormSet, inlineformset_factory

from entreprises import services
from entreprises.models import Contact, Entreprise, TypeIdentifiant


class EntrepriseForm(forms.ModelForm):
    legende = "Entreprise"

    class Meta:
        model = Entreprise
        fields = [
            "type_identifiant",
            "identifiant",
            "raison_sociale",
            "nom_commercial",
            "type_structure",
            "code_naf",
            "adresse",
            "code_postal",
            "commune",
            "telephone",
            "email",
            "active",
            "notes",
        ]
        labels = {"identifiant": "SIRET (ou identifiant)"}
        help_texts = {
            "identifiant": "14 chiffres, espaces acceptés : 123 456 789 00012. Pour une "
            "entreprise étrangère, choisissez le type d'identifiant.",
            "code_naf": "4 chiffres et une lettre : 4399C.",
            "active": "Décochez pour une entreprise fermée : elle reste dans l'historique.",
        }
        widgets = {"notes": forms.Textarea({"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        siren = services.siren(self.instance.siret) if self.instance.pk else ""
        if siren:
            self.fields["identifiant"].help_text = (
                f"SIREN de l'entreprise : {siren}. " + self.fields["identifiant"].help_text
            )

    def clean_identifiant(self):
        type_identifiant = self.cleaned_data.get("type_identifiant")
        valeur = services.normaliser_identifiant(
            type_identifiant, self.cleaned_data.get("identifiant", "")
        )
        if type_identifiant == TypeIdentifiant.SIRET:
            valeur = services.valider_siret(valeur)
        if type_identifiant:
            candidate = Entreprise(
                pk=self.instance.pk, type_identifiant=type_identifiant, identifiant=valeur
            )
            if existante := services.doublon(candidate):
                raise ValidationError(services.message_doublon(existante), code="doublon")
        return valeur

    def clean_code_naf(self):
        return services.normaliser_code_naf(self.cleaned_data.get("code_naf", ""))


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = [
            "civilite",
            "prenom",
            "nom",
            "fonction",
            "email",
            "telephone",
            "principal",
            "destinataire_relances",
        ]

    def clean(self):
        donnees = super().clean()
        if donnees.get("destinataire_relances") and not donnees.get("email"):
            self.add_error("email", services.MESSAGE_RELANCES_SANS_EMAIL)
        return donnees

    def validate_unique(self):
        # The « one principal contact » index is checked on the whole set of contacts (the
        # formset and the service), not form by form: switching the principal contact from
        # one person to another must be possible in one save.
        self.instance.validate_unique(exclude=self._get_validation_exclusions())


class BaseContactFormSet(BaseInlineFormSet):
    legende = "Contacts"
    # No field of its own: EditionView puts a service's errors on the company form's fields.
    fields: dict = {}

    def clean(self):
        super().clean()
        principaux = [
            form
            for form in self.forms
            if not self._should_delete_form(form)
            and getattr(form, "cleaned_data", {}).get("principal")
        ]
        if len(principaux) > 1:
            raise ValidationError(services.MESSAGE_UN_PRINCIPAL, code="un_principal")

    def add_error(self, field, error):
        """Errors of the service that belong to no field (EditionView calls this)."""
        self.non_form_errors().extend(ValidationError(error).messages)

    def modifications(self) -> services.ContactsModifies:
        """Contacts to save and to delete, for the service (nothing is written here)."""
        a_enregistrer = self.save(commit=False)
        return services.ContactsModifies(a_enregistrer, list(self.deleted_objects))


def contact_formset(extra: int = 1, can_delete: bool = False):
    return inlineformset_factory(
        Entreprise,
        Contact,
        form=ContactForm,
        formset=BaseContactFormSet,
        extra=extra,
        can_delete=can_delete,
    )
