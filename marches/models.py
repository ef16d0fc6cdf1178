"""Buyers, operations, public contracts, lots and their insertion clause."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.template import Engine, TemplateSyntaxError
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from entreprises.models import Entreprise
from marches import cpv
from mife.core import formats, grammaire, mois
from mife.core.models import Versionne

ZERO = Decimal("0")
POURCENT = [MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))]


class TypeDonneurOrdre(models.TextChoices):
    COMMUNE = "commune", "Commune"
    EPCI = "epci", "EPCI (intercommunalité)"
    DEPARTEMENT = "departement", "Département"
    REGION = "region", "Région"
    ETAT = "etat", "État"
    BAILLEUR = "bailleur", "Bailleur social"
    HOPITAL = "hopital", "Hôpital"
    ETABLISSEMENT = "etablissement", "Établissement public"
    SEM = "sem", "SEM / SPL"
    AUTRE = "autre", "Autre"


class NatureMarche(models.TextChoices):
    TRAVAUX = "travaux", "Travaux"
    SERVICES = "services", "Services"
    FOURNITURES = "fournitures", "Fournitures"


class Procedure(models.TextChoices):
    ADAPTEE = "adaptee", "Procédure adaptée"
    AO_OUVERT = "ao_ouvert", "Appel d'offres ouvert"
    AO_RESTREINT = "ao_restreint", "Appel d'offres restreint"
    NEGOCIEE = "negociee", "Procédure avec négociation"
    DIALOGUE = "dialogue", "Dialogue compétitif"
    SANS_PUBLICITE = "sans_publicite", "Marché passé sans publicité ni mise en concurrence"
    AUTRE = "autre", "Autre"


class TypeClause(models.TextChoices):
    CONDITION_EXECUTION = "L2112-2", "Condition d'exécution (art. L2112-2)"
    CRITERE_ATTRIBUTION = "L2152-7", "Critère d'attribution (art. L2152-7)"
    RESERVE_EA = "L2113-12", "Marché réservé EA/ESAT (art. L2113-12)"
    RESERVE_SIAE = "L2113-13", "Marché réservé SIAE (art. L2113-13)"
    INSERTION_QUALIFICATION = (
        "R2123-1",
        "Marché d'insertion et de qualification (art. R2123-1)",
    )


class StatutLot(models.TextChoices):
    A_VENIR = "a_venir", "À venir"
    EN_COURS = "en_cours", "En cours"
    # A running lot whose progress is behind schedule (needs its hours: heures.selectors).
    EN_RETARD = "en_retard", "En retard"
    TERMINE = "termine", "Terminé"


class Qualification(models.TextChoices):
    """Where a contract stands for the team (a contract typed by the team is « suivi »)."""

    A_QUALIFIER = "a_qualifier", "À qualifier"
    SUIVI = "suivi", "Suivi"
    ECARTE = "ecarte", "Écarté"
    ARCHIVE = "archive", "Archivé"


class DonneurOrdre(Versionne):
    genre_grammatical = grammaire.MASCULIN
    nom = models.CharField("nom", max_length=200)
    article = models.CharField(
        "article du nom",
        max_length=3,
        choices=grammaire.Article.choices,
        default=grammaire.Article.AUCUN,
        blank=True,
        help_text="Pour écrire « passé par la Ville de Belfort » dans les annexes de clause.",
    )
    type = models.CharField(
        "type", max_length=15, choices=TypeDonneurOrdre.choices, default=TypeDonneurOrdre.COMMUNE
    )
    siret = models.CharField("SIRET", max_length=14, blank=True)
    adresse = models.CharField("adresse", max_length=250, blank=True)
    code_postal = models.CharField("code postal", max_length=10, blank=True)
    commune = models.CharField("commune", max_length=120, blank=True)
    contact_nom = models.CharField("contact", max_length=120, blank=True)
    contact_email = models.EmailField("e-mail du contact", blank=True)
    contact_telephone = models.CharField("téléphone du contact", max_length=30, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "donneur d'ordre"
        verbose_name_plural = "donneurs d'ordre"
        ordering = ["nom"]
        constraints = [
            models.UniqueConstraint(
                fields=["siret"], condition=~models.Q(siret=""), name="donneurordre_siret_unique"
            ),
        ]
        indexes = [models.Index(fields=["nom"])]

    def __str__(self) -> str:
        return self.nom

    @property
    def de(self) -> str:
        """``« de la Ville de Belfort »``, ``« du Département »``, ``« de Territoire habitat »``."""
        return grammaire.de(self.nom, self.article)

    @property
    def par(self) -> str:
        """``« par la Ville de Belfort »``, ``« par Territoire habitat »`` (no article)."""
        return grammaire.par(self.nom, self.article)

    def get_absolute_url(self) -> str:
        return reverse("marches:donneur_detail", args=[self.pk])


class Operation(Versionne):
    genre_grammatical = grammaire.FEMININ
    donneur_ordre = models.ForeignKey(
        DonneurOrdre,
        verbose_name="donneur d'ordre",
        on_delete=models.PROTECT,
        related_name="operations",
    )
    nom = models.CharField("nom", max_length=250)
    description = models.TextField("description", blank=True)
    commune = models.CharField("commune", max_length=120, blank=True)
    renouvellement_urbain = models.BooleanField(
        "programme de renouvellement urbain (ANRU/QPV)", default=False
    )
    date_debut = models.DateField("début", null=True, blank=True)
    date_fin = models.DateField("fin prévue", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "opération"
        verbose_name_plural = "opérations"
        ordering = ["-date_debut", "nom"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(date_fin__isnull=True)
                | models.Q(date_debut__isnull=True)
                | models.Q(date_fin__gte=models.F("date_debut")),
                name="operation_fin_apres_debut",
            ),
        ]

    def __str__(self) -> str:
        return self.nom

    def get_absolute_url(self) -> str:
        return reverse("marches:operation_detail", args=[self.pk])


class Marche(Versionne):
    donneur_ordre = models.ForeignKey(
        DonneurOrdre,
        verbose_name="donneur d'ordre",
        on_delete=models.PROTECT,
        related_name="marches",
    )
    operation = models.ForeignKey(
        Operation,
        verbose_name="opération",
        on_delete=models.PROTECT,
        related_name="marches",
        null=True,
        blank=True,
    )
    reference = models.CharField("référence", max_length=60)
    objet = models.TextField("objet")
    nature = models.CharField("nature", max_length=12, choices=NatureMarche.choices)
    procedure = models.CharField(
        "procédure", max_length=20, choices=Procedure.choices, default=Procedure.ADAPTEE
    )
    date_notification = models.DateField("date de notification", null=True, blank=True)
    duree_mois = models.PositiveSmallIntegerField("durée (mois)", null=True, blank=True)
    montant_ht = models.DecimalField(
        "montant HT (€)",
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO)],
    )
    code_cpv = models.CharField("code CPV", max_length=10, blank=True)
    lieu_execution = models.CharField("lieu d'exécution", max_length=120, blank=True)
    decp_id = models.CharField("identifiant DECP", max_length=64, blank=True)
    considerations_sociales = models.JSONField(
        "considérations sociales déclarées (DECP)", default=list, blank=True
    )
    candidat_clause = models.BooleanField(
        "candidat à une clause",
        default=False,
        help_text="Le marché déclare une considération sociale dans les données publiques.",
    )
    # The three social considerations of the DECP (schema 2.0), each its own fact.
    clause_sociale = models.BooleanField("clause sociale publiée", default=False)
    critere_social = models.BooleanField("critère social publié", default=False)
    marche_reserve = models.BooleanField("marché réservé publié", default=False)
    qualification = models.CharField(
        "qualification",
        max_length=12,
        choices=Qualification.choices,
        default=Qualification.SUIVI,
        help_text="Un marché importé des DECP est « à qualifier » jusqu'à ce qu'un·e "
        "facilitateur·rice le suive ou l'écarte.",
    )
    motif_ecart = models.TextField("motif de l'écart", blank=True)
    score_qualification = models.PositiveSmallIntegerField("intérêt", default=0)
    raisons_qualification = models.JSONField("pourquoi ce marché", default=list, blank=True)
    # Provenance: the values last read from the DECP (JSON form), so a re-import only
    # updates the fields the team has not changed since.
    valeurs_decp = models.JSONField("valeurs publiées (DECP)", default=dict, blank=True)
    titulaires_decp = models.JSONField("titulaires publiés (DECP)", default=list, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "marché"
        verbose_name_plural = "marchés"
        ordering = ["-date_notification", "reference"]
        permissions = [("importer_decp", "Importer des marchés publiés (DECP)")]
        constraints = [
            models.UniqueConstraint(
                fields=["donneur_ordre", "reference"], name="marche_reference_unique_par_acheteur"
            ),
            models.UniqueConstraint(
                fields=["donneur_ordre", "decp_id"],
                condition=~models.Q(decp_id=""),
                name="marche_decp_id_unique_par_acheteur",
            ),
            models.CheckConstraint(
                condition=models.Q(montant_ht__isnull=True) | models.Q(montant_ht__gte=0),
                name="marche_montant_positif",
            ),
        ]
        indexes = [
            models.Index(fields=["nature"]),
            models.Index(fields=["date_notification"]),
            models.Index(fields=["reference"]),
            models.Index(fields=["qualification", "score_qualification"]),
        ]

    def __str__(self) -> str:
        return f"{self.reference} — {self.objet[:60]}"

    @property
    def date_fin_prevue(self) -> date | None:
        """Notification + duration (None when either is unknown)."""
        if self.date_notification is None or self.duree_mois is None:
            return None
        return mois.ajouter_mois(self.date_notification, self.duree_mois)

    def get_absolute_url(self) -> str:
        return reverse("marches:marche_detail", args=[self.pk])

    def clean(self):
        super().clean()
        erreurs = {}
        if self.code_cpv:
            try:
                self.code_cpv = cpv.valider(self.code_cpv)
            except cpv.CodeCPVInvalide as exc:
                erreurs["code_cpv"] = f"Code CPV invalide : {exc}"
        if (
            self.operation_id
            and self.donneur_ordre_id
            and self.operation.donneur_ordre_id != self.donneur_ordre_id
        ):
            erreurs["operation"] = "Cette opération appartient à un autre donneur d'ordre."
        if self.pk and self.date_notification:
            # notification ≤ start of each lot (Lot.clean checks it when a lot is saved).
            lot = (
                self.lots.filter(date_debut__lt=self.date_notification)
                .order_by("date_debut")
                .first()
            )
            if lot is not None:
                erreurs["date_notification"] = (
                    f"Le lot n° {lot.numero} commence le {formats.date_fr(lot.date_debut)}, "
                    "avant cette date de notification."
                )
        if erreurs:
            raise ValidationError(erreurs)


class LotQuerySet(models.QuerySet):
    def annoter_statut(self, jour: date):
        """Add ``statut_effectif`` (à venir / en cours / terminé on ``jour``): the SQL form of
        ``Lot.statut_le``. « En retard » needs the hours done: see
        ``heures.selectors.annoter_avancement``."""
        return self.annotate(
            statut_effectif=models.Case(
                models.When(
                    models.Q(cloture_le__isnull=False) | models.Q(date_fin__lt=jour),
                    then=models.Value(StatutLot.TERMINE),
                ),
                models.When(date_debut__gt=jour, then=models.Value(StatutLot.A_VENIR)),
                default=models.Value(StatutLot.EN_COURS),
                output_field=models.CharField(),
            )
        )

    def actifs_le(self, jour: date):
        """Lots whose execution period covers ``jour``."""
        return self.filter(
            models.Q(date_debut__lte=jour) | models.Q(date_debut__isnull=True),
            models.Q(date_fin__gte=jour) | models.Q(date_fin__isnull=True),
            cloture_le__isnull=True,
        )

    def a_venir(self, jour: date):
        return self.filter(date_debut__gt=jour, cloture_le__isnull=True)

    def termines(self, jour: date):
        return self.filter(models.Q(date_fin__lt=jour) | models.Q(cloture_le__isnull=False))

    def actifs_sur_mois(self, premier_jour: date, dernier_jour: date):
        return self.filter(
            models.Q(date_debut__lte=dernier_jour) | models.Q(date_debut__isnull=True),
            models.Q(date_fin__gte=premier_jour) | models.Q(date_fin__isnull=True),
        )


class Lot(Versionne):
    marche = models.ForeignKey(
        Marche, verbose_name="marché", on_delete=models.PROTECT, related_name="lots"
    )
    numero = models.CharField("n° de lot", max_length=20)
    intitule = models.CharField("intitulé", max_length=250)
    montant_ht = models.DecimalField(
        "montant HT (€)",
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO)],
    )
    date_debut = models.DateField("début d'exécution", null=True, blank=True)
    date_fin = models.DateField("fin d'exécution", null=True, blank=True)
    titulaire = models.ForeignKey(
        Entreprise,
        verbose_name="titulaire",
        on_delete=models.PROTECT,
        related_name="lots_titulaire",
        null=True,
        blank=True,
    )
    cotraitants = models.ManyToManyField(
        Entreprise, verbose_name="cotraitants", related_name="lots_cotraitant", blank=True
    )
    sous_traitants = models.ManyToManyField(
        Entreprise, verbose_name="sous-traitants", related_name="lots_sous_traitant", blank=True
    )
    facilitateur = models.ForeignKey(
        "mife.User",
        verbose_name="facilitateur·rice référent·e",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="lots_suivis",
    )
    cloture_le = models.DateField("clôturé le", null=True, blank=True)
    motif_cloture = models.TextField("motif de clôture", blank=True)
    history = HistoricalRecords(m2m_fields=[cotraitants, sous_traitants])

    objects = LotQuerySet.as_manager()

    class Meta:
        verbose_name = "lot"
        verbose_name_plural = "lots"
        ordering = ["marche", "numero"]
        constraints = [
            models.UniqueConstraint(
                fields=["marche", "numero"], name="lot_numero_unique_par_marche"
            ),
            models.CheckConstraint(
                condition=models.Q(montant_ht__isnull=True) | models.Q(montant_ht__gte=0),
                name="lot_montant_positif",
            ),
            models.CheckConstraint(
                condition=models.Q(date_fin__isnull=True)
                | models.Q(date_debut__isnull=True)
                | models.Q(date_fin__gte=models.F("date_debut")),
                name="lot_fin_apres_debut",
            ),
        ]
        indexes = [
            models.Index(fields=["date_debut", "date_fin"]),
        ]

    def __str__(self) -> str:
        return self.libelle_de(self.marche.reference, self.numero, self.intitule)

    @staticmethod
    def libelle_de(reference_marche, numero, intitule) -> str:
        """« MAR-2026-001 lot 2 — Gros œuvre » from a row's values (a list's export reads no
        object)."""
        return f"{reference_marche} lot {numero} — {intitule}"

    def get_absolute_url(self) -> str:
        return reverse("marches:lot_detail", args=[self.pk])

    def statut_le(self, jour: date) -> str:
        if self.cloture_le or (self.date_fin and self.date_fin < jour):
            return StatutLot.TERMINE
        if self.date_debut and self.date_debut > jour:
            return StatutLot.A_VENIR
        return StatutLot.EN_COURS

    @property
    def statut(self) -> str:
        return self.statut_le(timezone.localdate())

    @property
    def statut_libelle(self) -> str:
        return StatutLot(self.statut).label

    def clean(self):
        super().clean()
        if self.date_debut and self.date_fin and self.date_fin < self.date_debut:
            raise ValidationError({"date_fin": "La fin d'exécution précède le début."})
        if (
            self.marche_id
            and self.date_debut
            and self.marche.date_notification
            and self.date_debut < self.marche.date_notification
        ):
            raise ValidationError(
                {"date_debut": "Le lot ne peut pas commencer avant la notification du marché."}
            )


class ReferenceCalcul(Versionne):
    """Default inputs of the hours calculator, per contract kind (editable by the admin)."""

    nature = models.CharField(
        "nature de marché", max_length=12, choices=NatureMarche.choices, unique=True
    )
    part_main_oeuvre = models.DecimalField(
        "part de main-d'œuvre (%)", max_digits=5, decimal_places=2, validators=POURCENT
    )
    taux_insertion = models.DecimalField(
        "taux d'insertion (%)", max_digits=5, decimal_places=2, validators=POURCENT
    )
    cout_horaire = models.DecimalField(
        "coût horaire chargé (€)",
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "valeur de référence du calcul d'heures"
        verbose_name_plural = "valeurs de référence du calcul d'heures"
        ordering = ["nature"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(part_main_oeuvre__gte=0, part_main_oeuvre__lte=100)
                & models.Q(taux_insertion__gte=0, taux_insertion__lte=100)
                & models.Q(cout_horaire__gt=0),
                name="referencecalcul_valeurs_valides",
            )
        ]

    def __str__(self) -> str:
        return self.get_nature_display()


class Clause(Versionne):
    """The insertion requirement carried by a lot, with how its hours were computed."""

    lot = models.OneToOneField(
        Lot, verbose_name="lot", on_delete=models.CASCADE, related_name="clause"
    )
    type = models.CharField(
        "type de clause",
        max_length=10,
        choices=TypeClause.choices,
        default=TypeClause.CONDITION_EXECUTION,
    )
    # Calculator inputs, kept with the lot.
    montant_base = models.DecimalField(
        "montant HT retenu (€)",
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO)],
    )
    part_main_oeuvre = models.DecimalField(
        "part de main-d'œuvre (%)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=POURCENT,
    )
    taux_insertion = models.DecimalField(
        "taux d'insertion (%)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=POURCENT,
    )
    cout_horaire = models.DecimalField(
        "coût horaire chargé (€)",
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    heures_calculees = models.DecimalField(
        "heures calculées",
        max_digits=10,
        decimal_places=2,
        default=ZERO,
        validators=[MinValueValidator(ZERO)],
    )
    heures_requises = models.DecimalField(
        "heures d'insertion requises",
        max_digits=10,
        decimal_places=2,
        default=ZERO,
        validators=[MinValueValidator(ZERO)],
    )
    motif_derogation = models.TextField(
        "motif de l'ajustement",
        blank=True,
        help_text="Obligatoire quand les heures requises diffèrent des heures calculées.",
    )
    ponderation_critere = models.DecimalField(
        "pondération du critère (%)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=POURCENT,
    )
    penalite_horaire = models.DecimalField(
        "pénalité par heure non réalisée (€)",
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO)],
    )
    notes = models.TextField("notes", blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "clause d'insertion"
        verbose_name_plural = "clauses d'insertion"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(heures_requises__gte=0) & models.Q(heures_calculees__gte=0),
                name="clause_heures_positives",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(part_main_oeuvre__isnull=True)
                    | models.Q(part_main_oeuvre__gte=0, part_main_oeuvre__lte=100)
                )
                & (
                    models.Q(taux_insertion__isnull=True)
                    | models.Q(taux_insertion__gte=0, taux_insertion__lte=100)
                ),
                name="clause_pourcentages_valides",
            ),
        ]
        indexes = [models.Index(fields=["type"])]

    def __str__(self) -> str:
        return f"{self.get_type_display()} — {self.heures_requises} h"

    @staticmethod
    def calculer_heures(montant, part_main_oeuvre, taux_insertion, cout_horaire) -> Decimal:
        """montant HT × part de main-d'œuvre × taux d'insertion ÷ coût horaire chargé."""
        if None in (montant, part_main_oeuvre, taux_insertion, cout_horaire) or not cout_horaire:
            return ZERO
        heures = (
            Decimal(montant) * Decimal(part_main_oeuvre) / 100 * Decimal(taux_insertion) / 100
        ) / Decimal(cout_horaire)
        return heures.quantize(Decimal("1"))

    @property
    def est_ajustee(self) -> bool:
        return self.heures_requises != self.heures_calculees

    def clean(self):
        super().clean()
        if self.est_ajustee and self.heures_calculees and not self.motif_derogation.strip():
            requises, calculees = (
                formats.heures(self.heures_requises),
                formats.heures(self.heures_calculees),
            )
            raise ValidationError(
                {
                    "motif_derogation": f"Les heures requises ({requises}) diffèrent du calcul "
                    f"({calculees}) : indiquez le motif de l'ajustement."
                }
            )


class ModeleClause(Versionne):
    """Model text of the clause annex for one clause kind, edited by the administrator.

    The text uses Django template syntax ({{ heures }}, {{ donneur_ordre }}…; see
    ``marches.annexe.VARIABLES``). Layout: a line starting with "# " is a heading, "- " a
    bullet; a blank line separates paragraphs.
    """

    type = models.CharField(
        "type de clause", max_length=10, choices=TypeClause.choices, unique=True
    )
    titre = models.CharField("titre", max_length=250)
    texte = models.TextField("texte")
    history = HistoricalRecords()

    class Meta:
        verbose_name = "modèle de clause"
        verbose_name_plural = "modèles de clause"
        ordering = ["type"]

    def __str__(self) -> str:
        return self.titre

    def clean(self):
        super().clean()
        # A text that does not compile would make every annex of this kind fail (error 500).
        try:
            Engine(autoescape=False).from_string(self.texte)
        except TemplateSyntaxError as exc:
            message = "Texte invalide : une balise {% … %} ou {{ … }} est mal formée"
            raise ValidationError({"texte": f"{message} ({exc})."}) from None


# --- Accompagnement des entreprises ---------------------------------------------------------


class TypeEchange(models.TextChoices):
    RENDEZ_VOUS = "rendez_vous", "Rendez-vous"
    VISITE_CHANTIER = "visite_chantier", "Visite de chantier"
    APPEL = "appel", "Appel téléphonique"
    REUNION_DEMARRAGE = "reunion_demarrage", "Réunion de démarrage"
    EMAIL = "email", "E-mail"


MESSAGE_LOT_NON_LIE = (
    "Ce lot n'est pas lié à l'entreprise : elle n'en est ni titulaire, ni cotraitante, ni "
    "sous-traitante."
)


def lots_de_l_entreprise(entreprise) -> models.QuerySet:
    """Lots where the company is titulaire, cotraitant or sous-traitant (no duplicates)."""
    return Lot.objects.filter(
        models.Q(titulaire=entreprise)
        | models.Q(
            pk__in=Lot.cotraitants.through.objects.filter(entreprise=entreprise).values("lot")
        )
        | models.Q(
            pk__in=Lot.sous_traitants.through.objects.filter(entreprise=entreprise).values("lot")
        )
    )


class EtatAction(models.TextChoices):
    """State of an exchange's next action (computed, not stored)."""

    AUCUNE = "aucune", "Aucune action"
    A_FAIRE = "a_faire", "À faire"
    EN_RETARD = "en_retard", "En retard"
    FAITE = "faite", "Faite"


class EchangeQuerySet(models.QuerySet):
    def actions_a_faire(self):
        return self.exclude(prochaine_action="").filter(action_faite_le__isnull=True)

    def actions_dues(self, limite: date):
        """Next actions not done yet whose due date is on or before ``limite``."""
        return self.actions_a_faire().filter(echeance__lte=limite)

    def suivis_par(self, user):
        """Exchanges the user wrote, or about a lot the user is the facilitator of."""
        return self.filter(models.Q(auteur=user) | models.Q(lot__facilitateur=user))


class Echange(Versionne):
    """A contact with a company (meeting, site visit, call…) and the next action agreed."""

    entreprise = models.ForeignKey(
        Entreprise, verbose_name="entreprise", on_delete=models.PROTECT, related_name="echanges"
    )
    lot = models.ForeignKey(
        Lot,
        verbose_name="lot concerné",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="echanges",
        help_text="Facultatif : un lot dont l'entreprise est titulaire, cotraitante ou "
        "sous-traitante.",
    )
    type = models.CharField("type d'échange", max_length=20, choices=TypeEchange.choices)
    date = models.DateField("date de l'échange")
    auteur = models.ForeignKey(
        "mife.User",
        verbose_name="auteur",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="echanges",
    )
    note = models.TextField("compte rendu")
    prochaine_action = models.CharField(
        "prochaine action",
        max_length=250,
        blank=True,
        help_text="Ce qui a été convenu : envoyer une candidature, rappeler, visiter…",
    )
    echeance = models.DateField("échéance", null=True, blank=True)
    action_faite_le = models.DateField("action faite le", null=True, blank=True)
    action_faite_par = models.ForeignKey(
        "mife.User",
        verbose_name="action faite par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords()

    objects = EchangeQuerySet.as_manager()

    class Meta:
        verbose_name = "échange avec une entreprise"
        verbose_name_plural = "échanges avec les entreprises"
        ordering = ["-date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(echeance__isnull=True)
                | models.Q(echeance__gte=models.F("date")),
                name="echange_echeance_apres_date",
            ),
            models.CheckConstraint(
                condition=models.Q(prochaine_action="", echeance__isnull=True)
                | (~models.Q(prochaine_action="") & models.Q(echeance__isnull=False)),
                name="echange_action_et_echeance",
            ),
            models.CheckConstraint(
                condition=models.Q(action_faite_le__isnull=True) | ~models.Q(prochaine_action=""),
                name="echange_action_faite_exige_action",
            ),
        ]
        indexes = [models.Index(fields=["echeance", "action_faite_le"])]

    def __str__(self) -> str:
        return f"{self.get_type_display()} du {self.date:%d/%m/%Y} — {self.entreprise}"

    def get_absolute_url(self) -> str:
        return reverse("marches:echange_detail", args=[self.pk])

    def etat_action_le(self, jour: date) -> str:
        if not self.prochaine_action:
            return EtatAction.AUCUNE
        if self.action_faite_le:
            return EtatAction.FAITE
        if self.echeance and self.echeance < jour:
            return EtatAction.EN_RETARD
        return EtatAction.A_FAIRE

    @property
    def etat_action(self) -> str:
        return self.etat_action_le(timezone.localdate())

    def clean(self):
        super().clean()
        erreurs = {}
        if self.date and self.date > timezone.localdate():
            erreurs["date"] = (
                "La date de l'échange ne peut pas être dans le futur : notez un rendez-vous à "
                "venir comme prochaine action."
            )
        action = (self.prochaine_action or "").strip()
        self.prochaine_action = action
        if action and not self.echeance:
            erreurs["echeance"] = "Indiquez l'échéance de la prochaine action."
        elif self.echeance and not action:
            erreurs["prochaine_action"] = "Décrivez la prochaine action de cette échéance."
        elif self.action_faite_le and not action:
            erreurs["prochaine_action"] = "Cette action est faite : elle ne peut pas être effacée."
        if self.echeance and self.date and self.echeance < self.date:
            erreurs["echeance"] = "L'échéance ne peut pas précéder la date de l'échange."
        if (
            self.lot_id
            and self.entreprise_id
            and not lots_de_l_entreprise(self.entreprise_id).filter(pk=self.lot_id).exists()
        ):
            erreurs["lot"] = MESSAGE_LOT_NON_LIE
        if erreurs:
            raise ValidationError(erreurs)


# --- Repérage des marchés (DECP) ------------------------------------------------------------


class FamilleCPV(models.Model):
    """A CPV family known to carry insertion clauses (edited by the administrator)."""

    prefixe = models.CharField(
        "début du code CPV",
        max_length=8,
        unique=True,
        validators=[RegexValidator(r"^\d{2,8}$", "De 2 à 8 chiffres.")],
        help_text="Les premiers chiffres du code : 45 (travaux de construction), 909…",
    )
    libelle = models.CharField("libellé", max_length=120)

    class Meta:
        verbose_name = "famille CPV porteuse de clauses"
        verbose_name_plural = "familles CPV porteuses de clauses"
        ordering = ["prefixe"]

    def __str__(self) -> str:
        return f"{self.prefixe} — {self.libelle}"


class SeuilsQualification(models.Model):
    """Amount and duration over which an imported contract is worth a look. One row (pk = 1)."""

    montant_min = models.DecimalField(
        "montant HT à partir duquel le marché compte (€)",
        max_digits=14,
        decimal_places=2,
        default=Decimal("90000"),
        validators=[MinValueValidator(ZERO)],
    )
    duree_min_mois = models.PositiveSmallIntegerField(
        "durée à partir de laquelle le marché compte (mois)", default=12
    )

    class Meta:
        verbose_name = "seuils de qualification des marchés"
        verbose_name_plural = "seuils de qualification des marchés"

    def __str__(self) -> str:
        return "Seuils de qualification"

    @classmethod
    def get(cls) -> "SeuilsQualification":
        return cls.objects.get_or_create(pk=1)[0]


class RapportImport(models.Model):
    """What one DECP import did, kept for the team: counts, records set aside, warnings."""

    cree_le = models.DateTimeField("importé le", auto_now_add=True)
    par = models.ForeignKey(
        "mife.User",
        verbose_name="par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    origine = models.CharField("origine", max_length=250, blank=True)
    schema = models.CharField("schéma", max_length=10, blank=True)
    nb_enregistrements = models.PositiveIntegerField("enregistrements lus", default=0)
    nb_importes = models.PositiveIntegerField("enregistrements importés", default=0)
    nb_ecartes = models.PositiveIntegerField("enregistrements écartés", default=0)
    nb_ignores = models.PositiveIntegerField("enregistrements ignorés (filtres)", default=0)
    resume = models.JSONField("résumé", default=list, blank=True)
    # [{"rang", "id", "champ", "motif", "genre"}]: the defective records, set aside.
    ecartes = models.JSONField("enregistrements écartés", default=list, blank=True)
    # [{"genre", "champ", "nombre", "exemples"}]: the warnings, grouped by kind.
    avertissements = models.JSONField("avertissements", default=list, blank=True)
    # [{"rang", "id", "champ", "motif"}]: team edits a re-import did not overwrite.
    conflits = models.JSONField("conflits", default=list, blank=True)

    class Meta:
        verbose_name = "rapport d'import DECP"
        verbose_name_plural = "rapports d'import DECP"
        ordering = ["-cree_le", "-pk"]

    def __str__(self) -> str:
        return f"Import DECP du {formats.date_fr(self.cree_le)} — {self.origine}"

    def get_absolute_url(self) -> str:
        return reverse("marches:rapport_import", args=[self.pk])

    def motifs_ecart(self) -> list[tuple[str, int]]:
        """(reason kind, number of lines), most frequent first."""
        comptes: dict[str, int] = {}
        for ligne in self.ecartes:
            comptes[ligne["genre"]] = comptes.get(ligne["genre"], 0) + 1
        return sorted(comptes.items(), key=lambda c: (-c[1], c[0]))


class ModificationMarche(models.Model):
    """A published modification (avenant) of a contract, applied to its amount and duration."""

    marche = models.ForeignKey(
        Marche, verbose_name="marché", on_delete=models.CASCADE, related_name="modifications"
    )
    rang = models.PositiveSmallIntegerField("n° dans les données publiées")
    decp_id = models.CharField("identifiant publié", max_length=64, blank=True)
    date_notification = models.DateField("notifiée le", null=True, blank=True)
    objet = models.TextField("objet", blank=True)
    montant_avant = models.DecimalField(
        "montant HT avant (€)", max_digits=14, decimal_places=2, null=True, blank=True
    )
    montant_ht = models.DecimalField(
        "montant HT après (€)", max_digits=14, decimal_places=2, null=True, blank=True
    )
    duree_avant = models.PositiveSmallIntegerField("durée avant (mois)", null=True, blank=True)
    duree_mois = models.PositiveSmallIntegerField("durée après (mois)", null=True, blank=True)

    class Meta:
        verbose_name = "modification publiée"
        verbose_name_plural = "modifications publiées"
        ordering = ["marche", "rang"]
        constraints = [
            models.UniqueConstraint(fields=["marche", "rang"], name="modification_rang_unique")
        ]

    def __str__(self) -> str:
        return f"Modification n° {self.rang} — {self.marche.reference}"


class ActeSousTraitance(models.Model):
    """A published sub-contracting act: who, how much, when."""

    marche = models.ForeignKey(
        Marche, verbose_name="marché", on_delete=models.CASCADE, related_name="actes_sous_traitance"
    )
    decp_id = models.CharField("identifiant publié", max_length=64, blank=True)
    sous_traitant = models.ForeignKey(
        Entreprise,
        verbose_name="sous-traitant",
        on_delete=models.PROTECT,
        related_name="actes_sous_traitance",
    )
    montant_ht = models.DecimalField(
        "montant HT (€)", max_digits=14, decimal_places=2, null=True, blank=True
    )
    date_notification = models.DateField("notifié le", null=True, blank=True)

    class Meta:
        verbose_name = "acte de sous-traitance publié"
        verbose_name_plural = "actes de sous-traitance publiés"
        ordering = ["marche", "date_notification", "pk"]

    def __str__(self) -> str:
        return f"{self.sous_traitant} — {self.marche.reference}"


class StatutTache(models.TextChoices):
    EN_ATTENTE = "en_attente", "En attente"
    EN_COURS = "en_cours", "En cours"
    TERMINEE = "terminee", "Terminée"
    ECHEC = "echec", "Échec"


class TacheImportDecp(models.Model):
    """An uploaded DECP file analysed (``apercu``) or imported (``import``) by the worker."""

    APERCU, IMPORT = "apercu", "import"

    cree_le = models.DateTimeField("demandée le", auto_now_add=True)
    modifie_le = models.DateTimeField("mise à jour le", auto_now=True)
    par = models.ForeignKey(
        "mife.User",
        verbose_name="par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    etape = models.CharField(
        "étape", max_length=6, choices=[(APERCU, "Aperçu"), (IMPORT, "Import")]
    )
    statut = models.CharField(
        "statut", max_length=12, choices=StatutTache.choices, default=StatutTache.EN_ATTENTE
    )
    nom = models.CharField("fichier", max_length=250)
    chemin = models.CharField("fichier déposé (stockage)", max_length=250)
    jeton = models.CharField("jeton du dépôt", max_length=32)
    departement = models.CharField("département", max_length=3, blank=True)
    acheteur = models.CharField("acheteur", max_length=14, blank=True)
    total = models.PositiveIntegerField("enregistrements", default=0)
    faits = models.PositiveIntegerField("enregistrements lus", default=0)
    # What the page shows once done: summary, reasons, grouped warnings, refusal errors.
    resultat = models.JSONField("résultat", default=dict, blank=True)
    rapport = models.ForeignKey(
        RapportImport,
        verbose_name="rapport",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    erreur = models.TextField("erreur", blank=True)

    class Meta:
        verbose_name = "traitement d'un fichier DECP"
        verbose_name_plural = "traitements de fichiers DECP"
        ordering = ["-cree_le", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_etape_display()} — {self.nom}"

    @property
    def en_marche(self) -> bool:
        return self.statut in (StatutTache.EN_ATTENTE, StatutTache.EN_COURS)

    @property
    def pourcentage(self) -> int:
        return min(100, round(100 * self.faits / self.total)) if self.total else 0


class SourceVeille(models.Model):
    """A published DECP file (URL) the worker fetches on a schedule (set by the admin)."""

    nom = models.CharField("nom", max_length=120)
    url = models.URLField("adresse du fichier", max_length=500)
    departement = models.CharField("département", max_length=3, blank=True)
    acheteur = models.CharField("SIRET de l'acheteur", max_length=14, blank=True)
    active = models.BooleanField("active", default=True)
    periodicite_heures = models.PositiveSmallIntegerField(
        "toutes les (heures)", default=24, validators=[MinValueValidator(1)]
    )
    envoyer_resume = models.BooleanField(
        "envoyer un résumé par e-mail aux facilitateur·rices", default=False
    )
    etag = models.CharField("ETag reçu", max_length=250, blank=True, editable=False)
    last_modified = models.CharField(
        "Last-Modified reçu", max_length=100, blank=True, editable=False
    )
    derniere_execution = models.DateTimeField(
        "dernière exécution", null=True, blank=True, editable=False
    )
    dernier_resultat = models.TextField("dernier résultat", blank=True, editable=False)

    class Meta:
        verbose_name = "source de veille DECP"
        verbose_name_plural = "sources de veille DECP"
        ordering = ["nom"]

    def __str__(self) -> str:
        return self.nom

    def est_due(self, maintenant) -> bool:
        return self.active and (
            self.derniere_execution is None
            or maintenant - self.derniere_execution
            >= timezone.timedelta(hours=self.periodicite_heures)
        )
