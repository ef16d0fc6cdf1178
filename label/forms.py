"""Forms of the label area (the rules live in ``label.services``; forms run them early so that
every error shows at once, next to its field)."""

from django import forms
from django.core.validators import MinValueValidator

from label.models import (
    ActionLabel,
    Axe,
    DiagnosticEligibilite,
    DossierLabel,
    EvenementAnimation,
    MembreJury,
    SessionJury,
)
from label.services import dossiers as dossiers_service
from label.services import liens as liens_service
from mife.core.autocomplete import en_recherche

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_HEURE = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
ZONE = {"rows": 4}


class DiagnosticForm(forms.ModelForm):
    legende = "Diagnostic d'éligibilité"

    class Meta:
        model = DiagnosticEligibilite
        fields = [
            "entreprise",
            "date",
            "implantee_territoire",
            "engagements",
            "effectif",
            "commentaire",
        ]
        widgets = {"date": DATE, "commentaire": forms.Textarea(attrs=ZONE)}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entreprise"].queryset = self.fields["entreprise"].queryset.filter(active=True)
        en_recherche(self.fields["entreprise"], "entreprises", params={"actives": "1"})
        self.fields["date"].required = True
        self.fields["effectif"].min_value = 0


class ContenuForm(forms.ModelForm):
    """Good practice and the improvement plan (what the company also fills in)."""

    legende = "Partage des bonnes pratiques et plan d'amélioration"

    class Meta:
        model = DossierLabel
        fields = [
            "bonnes_pratiques",
            "engagements_annee1",
            "engagements_annee2",
            "engagements_annee3",
            "plan_amelioration",
        ]
        widgets = {champ: forms.Textarea(attrs=ZONE) for champ in fields}
        help_texts = {
            "bonnes_pratiques": "Comment l'entreprise partage ses pratiques avec d'autres "
            "(rencontres du réseau, témoignages, accueil d'autres entreprises…).",
            "engagements_annee1": "Ce que l'entreprise s'engage à faire la 1re année du label.",
        }


class ContenuAnimateurForm(ContenuForm):
    class Meta(ContenuForm.Meta):
        fields = [*ContenuForm.Meta.fields, "diagnostic"]
        widgets = {champ: forms.Textarea(attrs=ZONE) for champ in fields}
        help_texts = ContenuForm.Meta.help_texts


class ActionForm(forms.ModelForm):
    legende = "Action"

    class Meta:
        model = ActionLabel
        fields = [
            "axe",
            "theme",
            "intitule",
            "description",
            "date_debut",
            "date_fin",
            "personnes",
            "heures",
            "indicateur",
            "realisee",
        ]
        widgets = {
            "description": forms.Textarea(attrs=ZONE),
            "date_debut": DATE,
            "date_fin": DATE,
        }
        help_texts = {
            "axe": "Demandeurs d'emploi : recrutement, clauses, immersions. Scolaires : "
            "découverte des métiers, stages, visites. Salariés : intégration, évolution, "
            "équilibre des temps de vie, tutorat.",
            "theme": "Seulement pour l'axe « Salariés ».",
            "heures": "Heures consacrées à l'action (ex. : 35 ou 12,5).",
        }

    def __init__(self, *args, dossier=None, **kwargs):
        super().__init__(*args, **kwargs)
        if dossier is not None:
            self.instance.dossier = dossier
        self.fields["heures"].localize = True
        self.fields["heures"].widget.is_localized = True

    def clean(self):
        donnees = super().clean()
        # A field in error is left out of the model's constraint checks: one message each.
        for champ, message in dossiers_service.erreurs_action(
            donnees.get("axe"),
            donnees.get("theme"),
            donnees.get("date_debut"),
            donnees.get("date_fin"),
            donnees.get("heures"),
        ).items():
            if champ not in self.errors:
                self.add_error(champ, message)
        return donnees


class TransitionForm(forms.Form):
    code = forms.CharField(widget=forms.HiddenInput)
    version_lue = forms.IntegerField(widget=forms.HiddenInput, required=False)
    commentaire = forms.CharField(
        label="Commentaire", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class PieceForm(forms.Form):
    libelle = forms.CharField(label="Libellé", max_length=200)
    fichier = forms.FileField(
        label="Fichier",
        help_text="PDF, PNG, JPEG, DOCX, XLSX ou ODT ; 10 Mo au plus.",
    )
    action = forms.ModelChoiceField(
        label="Action justifiée",
        queryset=ActionLabel.objects.none(),
        required=False,
        empty_label="Pièce générale du dossier",
    )

    def __init__(self, *args, dossier, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].queryset = dossier.actions.order_by("axe", "intitule")
        self.fields["fichier"].widget.attrs["accept"] = (
            ".pdf,.png,.jpg,.jpeg,.docx,.xlsx,.odt,application/pdf,image/png,image/jpeg"
        )


class LienForm(forms.Form):
    contact = forms.ModelChoiceField(label="Contact de l'entreprise", queryset=None)
    duree_jours = forms.IntegerField(
        label="Valable (jours)",
        initial=liens_service.DUREE_DEFAUT_JOURS,
        min_value=1,
        max_value=liens_service.DUREE_MAX_JOURS,
    )

    def __init__(self, *args, dossier, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = dossier.entreprise.contacts.order_by("-principal", "nom")


class SessionForm(forms.ModelForm):
    legende = "Session de jury"

    class Meta:
        model = SessionJury
        fields = ["date", "lieu", "duree_passage", "compte_rendu"]
        widgets = {"date": DATE_HEURE, "compte_rendu": forms.Textarea(attrs=ZONE)}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        duree = self.fields["duree_passage"]
        duree.validators.append(MinValueValidator(5, "Un passage dure au moins 5 minutes."))
        duree.widget.attrs["min"] = 5


class MembreForm(forms.ModelForm):
    legende = "Membre de jury"

    class Meta:
        model = MembreJury
        fields = ["civilite", "prenom", "nom", "organisme", "college", "email", "actif"]


class EvenementForm(forms.ModelForm):
    legende = "Événement du réseau"

    class Meta:
        model = EvenementAnimation
        fields = ["titre", "theme", "date", "lieu", "description"]
        widgets = {"date": DATE_HEURE, "description": forms.Textarea(attrs=ZONE)}


AXES = dict(Axe.choices)
