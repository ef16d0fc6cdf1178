from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q
from stdnum.fr import siret as stdnum_siret

from entreprises.models import Entreprise
from marches.models import (
    MESSAGE_LOT_NON_LIE,
    Clause,
    DonneurOrdre,
    Echange,
    Lot,
    Marche,
    Operation,
    lots_de_l_entreprise,
)
from mife.core import formats
from mife.core.autocomplete import en_recherche
from mife.core.champs import ChampMontant

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DonneurOrdreForm(forms.ModelForm):
    legende = "Donneur d'ordre"
    # Longer than the 14 stored digits, so that « 219 000 106 00019 » can be typed (spaces
    # are removed by clean_siret).
    siret = forms.CharField(label="SIRET", max_length=20, required=False)

    class Meta:
        model = DonneurOrdre
        fields = [
            "nom",
            "article",
            "type",
            "siret",
            "adresse",
            "code_postal",
            "commune",
            "contact_nom",
            "contact_email",
            "contact_telephone",
        ]

    def clean_siret(self):
        valeur = (self.cleaned_data.get("siret") or "").replace(" ", "")
        if valeur and not stdnum_siret.is_valid(valeur):
            raise forms.ValidationError(
                "SIRET invalide : 14 chiffres attendus, avec une clé de contrôle correcte."
            )
        # The unique constraint is conditional (blank allowed): Django would only report it as
        # « La contrainte … n'est pas respectée » at the top of the form.
        doublon = DonneurOrdre.objects.filter(siret=valeur).exclude(pk=self.instance.pk).first()
        if valeur and doublon is not None:
            raise forms.ValidationError(f"Ce SIRET est déjà celui de « {doublon} ».")
        return valeur


class OperationForm(forms.ModelForm):
    legende = "Opération"

    class Meta:
        model = Operation
        fields = [
            "donneur_ordre",
            "nom",
            "description",
            "commune",
            "renouvellement_urbain",
            "date_debut",
            "date_fin",
        ]
        widgets = {"date_debut": DATE, "date_fin": DATE, "description": forms.Textarea({"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        en_recherche(self.fields["donneur_ordre"], "donneurs")

    def clean(self):
        donnees = super().clean()
        debut, fin = donnees.get("date_debut"), donnees.get("date_fin")
        if debut and fin and fin < debut:
            self.add_error("date_fin", "La fin prévue précède le début.")
        return donnees


class MarcheForm(forms.ModelForm):
    legende = "Marché"

    class Meta:
        model = Marche
        fields = [
            "donneur_ordre",
            "operation",
            "reference",
            "objet",
            "nature",
            "procedure",
            "date_notification",
            "duree_mois",
            "montant_ht",
            "code_cpv",
            "lieu_execution",
            "decp_id",
        ]
        widgets = {"date_notification": DATE, "objet": forms.Textarea({"rows": 2})}
        field_classes = {"montant_ht": ChampMontant}
        help_texts = {"code_cpv": "8 chiffres, avec la clé si connue : 45214200-2."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operation"].queryset = Operation.objects.select_related("donneur_ordre")
        en_recherche(self.fields["donneur_ordre"], "donneurs")
        # The operations offered are the chosen buyer's.
        en_recherche(self.fields["operation"], "operations", depend_de="donneur_ordre")

    def clean(self):
        donnees = super().clean()
        donneur, reference = donnees.get("donneur_ordre"), donnees.get("reference")
        if (
            donneur
            and reference
            and Marche.objects.filter(donneur_ordre=donneur, reference=reference)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            # Next to the field (Django's unique check would put it at the top only).
            self.add_error(
                "reference", f"Le marché « {reference} » existe déjà chez ce donneur d'ordre."
            )
        return donnees


class LotForm(forms.ModelForm):
    legende = "Lot"

    class Meta:
        model = Lot
        fields = [
            "numero",
            "intitule",
            "montant_ht",
            "date_debut",
            "date_fin",
            "titulaire",
            "cotraitants",
            "sous_traitants",
            "facilitateur",
            "cloture_le",
            "motif_cloture",
        ]
        widgets = {
            "date_debut": DATE,
            "date_fin": DATE,
            "cloture_le": DATE,
            "motif_cloture": forms.Textarea({"rows": 2}),
        }
        field_classes = {"montant_ht": ChampMontant}
        help_texts = {
            "cloture_le": "À renseigner seulement pour clore l'obligation avant son terme "
            "(par exemple avec un écart d'heures) ; le motif est alors obligatoire."
        }

    def __init__(self, *args, marche: Marche, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.marche = marche
        # Active companies and active facilitators are proposed; the lot's current ones stay
        # selectable even if deactivated since, or saving another field would silently drop them.
        actuelles = {self.instance.titulaire_id}
        if self.instance.pk:
            actuelles |= set(self.instance.cotraitants.values_list("pk", flat=True))
            actuelles |= set(self.instance.sous_traitants.values_list("pk", flat=True))
        entreprises = Entreprise.objects.filter(Q(active=True) | Q(pk__in=actuelles - {None}))
        self.fields["titulaire"].queryset = entreprises
        self.fields["cotraitants"].queryset = entreprises
        self.fields["sous_traitants"].queryset = entreprises
        self.marche = marche
        for nom in ("titulaire", "cotraitants", "sous_traitants"):
            en_recherche(self.fields[nom], "entreprises", params={"actives": "1"})
        from django.contrib.auth import get_user_model

        self.fields["facilitateur"].queryset = (
            get_user_model()
            .objects.filter(
                Q(groups__permissions__codename="change_lot", is_active=True)
                | Q(pk=self.instance.facilitateur_id)
            )
            .distinct()
        )

    def clean(self):
        donnees = super().clean()
        if donnees.get("cloture_le") and not (donnees.get("motif_cloture") or "").strip():
            self.add_error("motif_cloture", "Indiquez pourquoi le lot est clôturé.")
        return donnees

    def clean_numero(self):
        numero = self.cleaned_data["numero"].strip()
        doublon = Lot.objects.filter(marche=self.marche, numero=numero).exclude(pk=self.instance.pk)
        if doublon.exists():
            raise forms.ValidationError(f"Le lot n° {numero} existe déjà dans ce marché.")
        return numero


ZERO = Decimal("0")
MAX_HEURES = Decimal("1e8")  # Clause.heures_calculees: 10 digits, 2 of them decimals


class ClauseForm(forms.ModelForm):
    """The clause with its hours calculator (inputs kept with the lot)."""

    legende = "Clause d'insertion et calcul des heures"
    heures_requises = forms.DecimalField(
        label="Heures d'insertion requises",
        required=False,
        min_value=Decimal("0"),
        max_digits=10,
        decimal_places=2,
        help_text="Laissez vide pour retenir les heures calculées ; si vous les ajustez, "
        "indiquez le motif.",
    )

    class Meta:
        model = Clause
        fields = [
            "type",
            "montant_base",
            "part_main_oeuvre",
            "taux_insertion",
            "cout_horaire",
            "heures_requises",
            "motif_derogation",
            "ponderation_critere",
            "penalite_horaire",
            "notes",
        ]
        widgets = {
            "motif_derogation": forms.Textarea({"rows": 2}),
            "notes": forms.Textarea({"rows": 2}),
        }
        field_classes = {
            "montant_base": ChampMontant,
            "cout_horaire": ChampMontant,
            "penalite_horaire": ChampMontant,
        }

    CHAMPS_CALCUL = ("montant_base", "part_main_oeuvre", "taux_insertion", "cout_horaire")

    def __init__(self, *args, lot_form=None, **kwargs):
        """``lot_form``: the lot's form on the same page; its amount fills an empty « montant
        HT retenu » (shown pre-filled, and taken when the field is left empty)."""
        super().__init__(*args, **kwargs)
        self.lot_form = lot_form
        lot = lot_form.instance if lot_form is not None else None
        if lot_form is not None:  # static/js/app.js: follows the lot's amount while empty
            self.fields["montant_base"].widget.attrs["data-recopie-de"] = "id_montant_ht"
        if (
            not self.is_bound
            and lot is not None
            and lot.montant_ht is not None
            and self.instance.montant_base is None
            and self.initial.get("montant_base") is None
        ):
            self.initial["montant_base"] = lot.montant_ht
        if self.instance.pk and not self.instance.est_ajustee:
            # Not adjusted: left empty so that the computed hours follow the inputs.
            self.initial["heures_requises"] = None
        for nom in self.CHAMPS_CALCUL:
            champ = self.fields[nom]
            champ.widget.attrs.update({"class": "calcul", "step": "any"})
            # The model's bounds checked with the field, before clean() computes the hours
            # (otherwise a negative amount computes 0 h and a second, misleading error appears).
            champ.validators = [
                *champ.validators,
                *(
                    v
                    for v in Clause._meta.get_field(nom).validators
                    if isinstance(v, MinValueValidator | MaxValueValidator)
                ),
            ]

    def heures_calculees(self) -> Decimal:
        d = self.cleaned_data
        return Clause.calculer_heures(*(d.get(n) for n in self.CHAMPS_CALCUL))

    def clean(self):
        donnees = super().clean()
        if (
            donnees.get("montant_base") is None
            and "montant_base" not in self.errors
            and self.lot_form is not None
            and self.lot_form.is_valid()
        ):
            donnees["montant_base"] = self.lot_form.cleaned_data.get("montant_ht")
        calculees = self.heures_calculees()
        # The model's clean() compares both figures and asks for the motif when they differ.
        self.instance.heures_calculees = calculees
        requises = donnees.get("heures_requises")
        if calculees >= MAX_HEURES:
            self.add_error(
                "heures_requises",
                f"Le calcul donne {formats.heures(calculees)} : vérifiez le montant, les "
                "pourcentages et le coût horaire.",
            )
            calculees = self.instance.heures_calculees = ZERO
        if "heures_requises" in self.errors:
            requises = calculees  # its own error is shown: no motif asked on top of it
        elif requises is None:
            calcul_invalide = any(nom in self.errors for nom in self.CHAMPS_CALCUL)
            if not calculees and not calcul_invalide:
                self.add_error(
                    "heures_requises",
                    "Indiquez les heures requises, ou les éléments du calcul (montant, part "
                    "de main-d'œuvre, taux d'insertion, coût horaire).",
                )
            requises = donnees["heures_requises"] = calculees
        self.instance.heures_requises = requises
        if donnees.get("type") == "L2152-7" and donnees.get("ponderation_critere") in (None, ""):
            self.add_error(
                "ponderation_critere", "Un critère d'attribution doit indiquer sa pondération."
            )
        return donnees


class CalculForm(forms.Form):
    """The calculator's inputs alone (live preview while typing)."""

    # Same bounds as the stored inputs (Clause), so that no value can overflow the computation.
    montant_base = ChampMontant(required=False, min_value=0, max_digits=14, decimal_places=2)
    part_main_oeuvre = forms.DecimalField(
        required=False, min_value=0, max_value=100, max_digits=5, decimal_places=2
    )
    taux_insertion = forms.DecimalField(
        required=False, min_value=0, max_value=100, max_digits=5, decimal_places=2
    )
    cout_horaire = ChampMontant(
        required=False, min_value=Decimal("0.01"), max_digits=7, decimal_places=2
    )

    def heures(self) -> Decimal | None:
        d = self.cleaned_data
        if any(d.get(n) is None for n in self.fields):
            return None
        return Clause.calculer_heures(*(d[n] for n in self.fields))


TAILLE_MAX_DECP = 20 * 1024 * 1024


class ImportDecpForm(forms.Form):
    fichier = forms.FileField(
        label="Fichier DECP (JSON)",
        help_text="Données essentielles de la commande publique, schéma 2019 ou 2024 ; "
        "20 Mo au plus.",
    )
    departement = forms.RegexField(
        label="Département d'exécution",
        regex=r"^(\d{2}|2A|2B|\d{3})$",
        required=False,
        help_text="Par exemple 90 : seuls les marchés exécutés dans ce département sont importés.",
        error_messages={"invalid": "Indiquez un numéro de département (ex. : 90)."},
    )
    acheteur = forms.CharField(
        label="SIRET de l'acheteur", required=False, help_text="Pour n'importer qu'un acheteur."
    )

    def clean_fichier(self):
        fichier = self.cleaned_data["fichier"]
        if fichier.size > TAILLE_MAX_DECP:
            raise forms.ValidationError("Le fichier dépasse 20 Mo.")
        if fichier.size == 0:
            raise forms.ValidationError("Le fichier est vide.")
        return fichier

    def clean_acheteur(self):
        valeur = self.cleaned_data["acheteur"].replace(" ", "")
        if valeur and not stdnum_siret.is_valid(valeur):
            raise forms.ValidationError("SIRET invalide : 14 chiffres avec une clé correcte.")
        return valeur


# --- Accompagnement des entreprises ---------------------------------------------------------


class EchangeForm(forms.ModelForm):
    """An exchange with one company; the lot is chosen among the company's lots."""

    legende = "Échange"

    class Meta:
        model = Echange
        fields = ["type", "date", "lot", "note", "prochaine_action", "echeance"]
        widgets = {
            "date": DATE,
            "echeance": DATE,
            "note": forms.Textarea({"rows": 5}),
        }
        help_texts = {"echeance": "Obligatoire si une prochaine action est indiquée."}

    def __init__(self, *args, entreprise: Entreprise, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.entreprise = entreprise
        lot = self.fields["lot"]
        lot.queryset = (
            lots_de_l_entreprise(entreprise)
            .select_related("marche")
            .order_by("-date_debut", "marche__reference", "numero")
        )
        lot.empty_label = "— Aucun lot en particulier —"
        lot.error_messages["invalid_choice"] = MESSAGE_LOT_NON_LIE


# --- Repérage des marchés -------------------------------------------------------------------


class SuivreMarcheForm(forms.Form):
    operation = forms.ModelChoiceField(
        label="Opération",
        queryset=Operation.objects.none(),
        required=False,
        empty_label="Créer une opération nommée d'après l'objet du marché",
    )

    def __init__(self, *args, marche, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operation"].queryset = Operation.objects.filter(
            donneur_ordre_id=marche.donneur_ordre_id
        )


class EcarterMarcheForm(forms.Form):
    motif = forms.CharField(
        label="Motif de l'écart",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Indiquez pourquoi ce marché est écarté."},
    )
