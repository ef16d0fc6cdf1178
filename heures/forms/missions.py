"""Forms of missions, recruitment needs and proposals (the rules live in heures.services)."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.core.exceptions import ValidationError

from entreprises.models import Entreprise
from heures import perms
from heures.models import (
    BesoinRecrutement,
    CritereEligibilite,
    Mission,
    Participant,
    Proposition,
    StatutProposition,
)
from heures.services import besoins as besoins_service
from heures.services import missions as missions_service
from marches.models import Lot
from mife.core.autocomplete import en_recherche

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _disposition(*lignes) -> FormHelper:
    """A crispy helper laying fields out in rows (the page's template owns the <form> tag)."""
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = Layout(
        *(
            Row(*(Column(champ, css_class="col-md") for champ in ligne))
            if isinstance(ligne, tuple)
            else ligne
            for ligne in lignes
        )
    )
    return helper


def _lots():
    return Lot.objects.select_related("marche").order_by("marche__reference", "numero")


def _entreprises():
    return Entreprise.objects.filter(active=True).order_by("raison_sociale")


class _ReglesDuService:
    """Run the service's rules while validating, so that every error shows at once (the
    service checks them again when it saves, under its locks)."""

    def verifier(self, instance) -> None:
        raise NotImplementedError

    def _post_clean(self):
        super()._post_clean()
        try:
            self.verifier(self.instance)
        except ValidationError as erreur:
            for champ, messages in erreur.message_dict.items():
                cible = champ if champ in self.fields else None
                if cible is not None and cible in self.errors:
                    continue  # already explained by the form
                for message in messages:
                    if message not in self.errors.get(cible or "__all__", []):
                        self.add_error(cible, message)


class MissionForm(_ReglesDuService, forms.ModelForm):
    legende = "Mission"

    class Meta:
        model = Mission
        fields = [
            "participant",
            "lot",
            "employeur",
            "modalite",
            "type_contrat",
            "poste",
            "date_debut",
            "date_fin",
            "heures_prevues",
            "sortie",
            "date_sortie",
            "situation_six_mois",
            "motif_derogation_eligibilite",
        ]
        widgets = {
            "date_debut": DATE,
            "date_fin": DATE,
            "date_sortie": DATE,
            "motif_derogation_eligibilite": forms.Textarea({"rows": 2}),
        }
        help_texts = {
            "employeur": "Le titulaire du lot, un cotraitant ou un sous-traitant, ou une "
            "structure d'insertion (ETTI, AI, GEIQ, EI, ACI, EA…) qui met la personne à "
            "disposition.",
            "date_sortie": "Par défaut, la fin de la mission.",
            "sortie": "La situation de la personne à la fin de la mission.",
        }

    def __init__(self, *args, fixes: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participant"].queryset = Participant.objects.filter(
            anonymise_le__isnull=True
        ).order_by("nom", "prenom")
        self.fields["lot"].queryset = _lots()
        self.fields["employeur"].queryset = _entreprises()
        en_recherche(self.fields["participant"], "participants")
        en_recherche(self.fields["lot"], "lots")
        en_recherche(self.fields["employeur"], "entreprises", params={"actives": "1"})
        # Participant and lot of a mission created from a proposal come from the proposal.
        for nom in fixes:
            self.fields[nom].disabled = True
        self.fields["heures_prevues"].widget.attrs.update(step="any", min="0")
        self.helper = _disposition(
            ("participant", "lot"),
            "employeur",
            ("modalite", "type_contrat", "poste"),
            ("date_debut", "date_fin", "heures_prevues"),
            ("sortie", "date_sortie", "situation_six_mois"),
            "motif_derogation_eligibilite",
        )

    def clean(self):
        donnees = super().clean()
        debut, fin = donnees.get("date_debut"), donnees.get("date_fin")
        if debut and fin and fin < debut:
            self.add_error("date_fin", "La fin de mission précède son début.")
        return donnees

    def verifier(self, instance) -> None:
        missions_service.verifier(instance)


class BesoinForm(_ReglesDuService, forms.ModelForm):
    legende = "Besoin de recrutement"

    class Meta:
        model = BesoinRecrutement
        fields = [
            "lot",
            "entreprise",
            "poste",
            "nombre_postes",
            "date_debut",
            "date_fin",
            "modalite",
            "type_contrat",
            "heures_prevues",
            "commune",
            "exigences",
        ]
        widgets = {
            "date_debut": DATE,
            "date_fin": DATE,
            "exigences": forms.Textarea({"rows": 3}),
        }
        help_texts = {
            "exigences": "Compétences, permis, habilitations, horaires…",
            "commune": "Où se trouve le poste (chantier, agence).",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lot"].queryset = _lots()
        self.fields["entreprise"].queryset = _entreprises()
        en_recherche(self.fields["lot"], "lots")
        en_recherche(self.fields["entreprise"], "entreprises", params={"actives": "1"})
        self.fields["nombre_postes"].widget.attrs.update(min="1")
        self.fields["heures_prevues"].widget.attrs.update(step="any", min="0")
        self.helper = _disposition(
            ("lot", "entreprise"),
            ("poste", "nombre_postes"),
            ("date_debut", "date_fin", "heures_prevues"),
            ("modalite", "type_contrat", "commune"),
            "exigences",
        )

    def clean(self):
        donnees = super().clean()
        debut, fin = donnees.get("date_debut"), donnees.get("date_fin")
        if debut and fin and fin < debut:
            self.add_error("date_fin", "La fin prévue précède le début souhaité.")
        return donnees

    def verifier(self, instance) -> None:
        besoins_service.verifier_besoin(instance)


class PropositionForm(forms.ModelForm):
    legende = "Suivi de la proposition"

    class Meta:
        model = Proposition
        fields = ["date_proposition", "date_entretien", "date_decision", "commentaire"]
        widgets = {
            "date_proposition": DATE,
            "date_entretien": DATE,
            "date_decision": DATE,
            "commentaire": forms.Textarea({"rows": 3}),
        }


class TransitionForm(forms.Form):
    statut = forms.ChoiceField(choices=StatutProposition.choices)
    version_lue = forms.IntegerField(min_value=0, required=False)
    commentaire = forms.CharField(required=False, max_length=1000)


class ProposerForm(forms.Form):
    participant = forms.ModelChoiceField(
        queryset=Participant.objects.filter(anonymise_le__isnull=True),
        error_messages={"invalid_choice": "Ce participant n'existe pas ou plus."},
    )
    commentaire = forms.CharField(required=False, max_length=1000)


class RechercheParticipantsForm(forms.Form):
    """Search of participants to propose: criteria and commune (in the URL, GET)."""

    q = forms.CharField(label="Nom ou prénom", required=False)
    commune = forms.CharField(label="Commune", required=False)
    critere = forms.ModelChoiceField(
        label="Critère d'éligibilité",
        queryset=CritereEligibilite.objects.filter(actif=True),
        required=False,
        empty_label="Tous",
        error_messages={"invalid_choice": "Ce critère n'est pas proposé : filtre ignoré."},
    )
    qpv = forms.BooleanField(label="Résident QPV uniquement", required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # A sensitive criterion is neither offered nor accepted without the permission.
        if not perms.peut_voir_donnees_sensibles(user):
            self.fields["critere"].queryset = CritereEligibilite.objects.filter(
                actif=True, sensible=False
            )

    def filtres(self) -> dict:
        """The valid filters only (an invalid one is shown in error and ignored)."""
        self.is_valid()
        return {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v}
