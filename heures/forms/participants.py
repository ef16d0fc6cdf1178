"""Forms of a participant's identity and eligibility criteria.

The rules are those of ``heures.services.participants`` (called from ``_post_clean`` so that
each error lands on its field); protected criteria are neither offered nor accepted for a
user without ``heures.voir_donnees_sensibles``.
"""

import datetime as dt
from functools import cached_property

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms.models import BaseInlineFormSet, inlineformset_factory

from heures import perms
from heures.models import CritereEligibilite, CritereParticipant, Participant, Prescripteur
from heures.services import participants as services

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ParticipantForm(forms.ModelForm):
    legende = "Identité"

    class Meta:
        model = Participant
        fields = [
            "nom",
            "prenom",
            "sexe",
            "date_naissance",
            "commune",
            "code_postal",
            "resident_qpv",
            "niveau_qualification",
            "situation_entree",
            "telephone",
            "email",
            "date_information",
            "notes",
        ]
        widgets = {
            "sexe": forms.RadioSelect,
            "date_naissance": DATE,
            "date_information": DATE,
            "notes": forms.Textarea({"rows": 3}),
        }
        help_texts = {
            "date_naissance": f"Le participant doit avoir {services.AGE_MINIMUM} ans au moins "
            "le jour de son entrée.",
            "notes": "Seulement ce qui est utile à l'accompagnement : ni santé, ni jugement.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sexe"].choices = [c for c in self.fields["sexe"].choices if c[0]]
        self.fields["telephone"].widget.attrs.update(type="tel", autocomplete="off")
        self.fields["email"].widget.attrs.update(autocomplete="off")

    def _post_clean(self):
        super()._post_clean()
        try:
            services.verifier_participant(self.instance)
        except ValidationError as erreur:
            self._update_errors(erreur)


def criteres_proposes(user, tous: bool = False):
    """Active criteria (all with ``tous``), without the protected ones for a user lacking the
    right to see them."""
    criteres = (
        CritereEligibilite.objects.all() if tous else CritereEligibilite.objects.filter(actif=True)
    )
    if user is None or not perms.peut_voir_donnees_sensibles(user):
        criteres = criteres.filter(sensible=False)
    return criteres


class CritereParticipantForm(forms.ModelForm):
    class Meta:
        model = CritereParticipant
        fields = [
            "critere",
            "date_validation",
            "date_fin_validite",
            "prescripteur",
            "justification",
        ]
        widgets = {
            "date_validation": DATE,
            "date_fin_validite": DATE,
            "justification": forms.Textarea({"rows": 2}),
        }
        help_texts = {"date_fin_validite": "Laissez vide si le critère n'expire pas."}
        error_messages = {
            "critere": {
                "invalid_choice": "Choisissez un critère de la liste.",
            }
        }

    def __init__(self, *args, user=None, choix=None, **kwargs):
        super().__init__(*args, **kwargs)
        criteres = criteres_proposes(user)
        prescripteurs = Prescripteur.objects.filter(actif=True)
        if self.instance.pk:  # an inactive value already chosen stays selectable
            criteres = criteres | criteres_proposes(user, tous=True).filter(
                pk=self.instance.critere_id
            )
            if self.instance.prescripteur_id:
                prescripteurs = prescripteurs | Prescripteur.objects.filter(
                    pk=self.instance.prescripteur_id
                )
        # Validation uses these querysets: a crafted id (a protected criterion for a user
        # without the right) is an invalid choice.
        self.fields["critere"].queryset = criteres.distinct().order_by("ordre", "libelle")
        self.fields["prescripteur"].queryset = prescripteurs.distinct().order_by("nom")
        self.fields["prescripteur"].help_text = "L'organisme qui a validé le critère."
        if choix is not None:  # the formset reads the choices once for all its rows
            self.fields["critere"].choices = choix["critere"]
            self.fields["prescripteur"].choices = choix["prescripteur"]

    def clean(self):
        donnees = super().clean()
        # Checked here, before the model's constraints: a field in error is then left out of
        # them, so the user reads one clear message, not the constraint's name too.
        essai = CritereParticipant(
            critere=donnees.get("critere"),
            date_validation=donnees.get("date_validation"),
            date_fin_validite=donnees.get("date_fin_validite"),
            prescripteur=donnees.get("prescripteur"),
            justification=donnees.get("justification") or "",
        )
        try:
            services.verifier_critere(essai)
        except ValidationError as erreur:
            for champ, erreurs in erreur.error_dict.items():
                self.add_error(champ, erreurs)
        return donnees


class BaseCriteresFormSet(BaseInlineFormSet):
    """The criteria of one participant; protected ones are left out for users without the right
    (so they are neither shown, changed nor deleted: they stay untouched on save)."""

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def get_queryset(self):
        if not hasattr(self, "_queryset_filtre"):
            qs = (
                super()
                .get_queryset()
                .select_related("critere", "prescripteur")
                .order_by("critere__ordre", "date_validation", "pk")
            )
            if self.user is None or not perms.peut_voir_donnees_sensibles(self.user):
                qs = qs.filter(critere__sensible=False)
            self._queryset_filtre = qs
        return self._queryset_filtre

    @cached_property
    def choix(self) -> dict:
        """The options of the criterion and prescriber lists, read once for every row."""
        lignes = list(self.get_queryset())
        criteres = criteres_proposes(self.user) | criteres_proposes(self.user, tous=True).filter(
            pk__in=[ligne.critere_id for ligne in lignes]
        )
        prescripteurs = Prescripteur.objects.filter(
            Q(actif=True) | Q(pk__in=[ligne.prescripteur_id for ligne in lignes])
        )
        vide = [("", "---------")]
        return {
            "critere": vide
            + [(c.pk, str(c)) for c in criteres.distinct().order_by("ordre", "libelle")],
            "prescripteur": vide + [(p.pk, str(p)) for p in prescripteurs.order_by("nom")],
        }

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Supprimer ce critère"

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        kwargs["user"] = self.user
        kwargs["choix"] = self.choix
        return kwargs

    def clean(self):
        super().clean()
        # A row sent as existing but unknown here (a protected criterion, another
        # participant's row, a row deleted meanwhile) is refused, not silently skipped.
        for form in self.initial_forms:
            if form.instance.pk is None:
                raise ValidationError(
                    "Un des critères envoyés n'existe pas ou ne peut pas être modifié ici : "
                    "rechargez la page. Rien n'a été enregistré.",
                    code="critere_inconnu",
                )


CriteresFormSet = inlineformset_factory(
    Participant,
    CritereParticipant,
    form=CritereParticipantForm,
    formset=BaseCriteresFormSet,
    extra=1,
    can_delete=True,
)


class DateEligibiliteForm(forms.Form):
    """The date of the « eligible on » check of the participant page (``?eligible_le=``)."""

    eligible_le = forms.DateField(
        label="Éligible le",
        required=False,
        widget=DATE,
        error_messages={"invalid": "Date invalide : saisissez-la sous la forme JJ/MM/AAAA."},
    )

    def jour(self, defaut: dt.date) -> dt.date:
        if self.is_valid() and self.cleaned_data["eligible_le"]:
            return self.cleaned_data["eligible_le"]
        return defaut
