"""Participants, eligibility, missions, monthly declarations of hours and attestations."""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F
from django.urls import reverse
from simple_history.models import HistoricalRecords

from entreprises.models import Entreprise
from marches.models import Lot
from mife.core import grammaire
from mife.core.models import Horodate, Versionne
from mife.core.mois import dernier_jour, premier_jour

ZERO = Decimal("0")


class TypePrescripteur(models.TextChoices):
    FRANCE_TRAVAIL = "france_travail", "France Travail"
    MISSION_LOCALE = "mission_locale", "Mission Locale"
    CAP_EMPLOI = "cap_emploi", "Cap Emploi"
    PLIE = "plie", "PLIE"
    DEPARTEMENT = "departement", "Département"
    MDPH = "mdph", "MDPH"
    SIAE = "siae", "SIAE"
    MAISON_EMPLOI = "maison_emploi", "Maison de l'emploi"
    AUTRE = "autre", "Autre"


class Prescripteur(Horodate):
    nom = models.CharField("nom", max_length=200)
    type = models.CharField("type", max_length=20, choices=TypePrescripteur.choices)
    commune = models.CharField("commune", max_length=120, blank=True)
    contact_nom = models.CharField("contact", max_length=120, blank=True)
    contact_email = models.EmailField("e-mail du contact", blank=True)
    actif = models.BooleanField("actif", default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "prescripteur"
        verbose_name_plural = "prescripteurs"
        ordering = ["nom"]
        constraints = [models.UniqueConstraint(fields=["nom"], name="prescripteur_nom_unique")]

    def __str__(self) -> str:
        return self.nom


class CritereEligibilite(models.Model):
    """Reference list of eligibility criteria (REFERENCE.md); loaded by a migration."""

    code = models.SlugField("code", max_length=20, unique=True)
    libelle = models.CharField("libellé", max_length=200)
    description = models.TextField("description", blank=True)
    sensible = models.BooleanField(
        "donnée sensible",
        default=False,
        help_text="Donnée de santé (RQTH…) : visible seulement avec la permission dédiée.",
    )
    ordre = models.PositiveSmallIntegerField("ordre", default=0)
    actif = models.BooleanField("actif", default=True)

    class Meta:
        verbose_name = "critère d'éligibilité"
        verbose_name_plural = "critères d'éligibilité"
        ordering = ["ordre", "libelle"]

    def __str__(self) -> str:
        return self.libelle


class Sexe(models.TextChoices):
    FEMME = "F", "Femme"
    HOMME = "M", "Homme"


class NiveauQualification(models.TextChoices):
    """Level of qualification (national nomenclature, 2019), grouped as ISCED for the FSE+."""

    INFRA_3 = "infra3", "Infra 3 (sans diplôme, brevet)"
    NIVEAU_3 = "niv3", "Niveau 3 (CAP, BEP)"
    NIVEAU_4 = "niv4", "Niveau 4 (baccalauréat)"
    NIVEAU_5 = "niv5", "Niveau 5 (bac + 2)"
    NIVEAU_6 = "niv6", "Niveau 6 et plus (bac + 3 et au-delà)"


# ISCED grouping used by the FSE+ common indicators.
CITE_FSE = {
    NiveauQualification.INFRA_3: "CITE 0 à 2",
    NiveauQualification.NIVEAU_3: "CITE 3 à 4",
    NiveauQualification.NIVEAU_4: "CITE 3 à 4",
    NiveauQualification.NIVEAU_5: "CITE 5 à 8",
    NiveauQualification.NIVEAU_6: "CITE 5 à 8",
}


class SituationEntree(models.TextChoices):
    """The person's situation on entering the scheme (FSE+: unemployed, inactive, employed)."""

    DEMANDEUR_EMPLOI = "demandeur_emploi", "Demandeur d'emploi (moins de 12 mois)"
    DEMANDEUR_LONGUE_DUREE = "deld", "Demandeur d'emploi de longue durée (12 mois et plus)"
    INACTIF = "inactif", "Inactif (ni en emploi, ni inscrit comme demandeur)"
    EN_EMPLOI = "en_emploi", "En emploi (y compris indépendant)"


ANONYMISE = "Participant anonymisé"


class Participant(Versionne):
    @property
    def genre_grammatical(self) -> str:
        """« Participante » / « Participant » in messages (mife.core.grammaire)."""
        return grammaire.FEMININ if self.sexe == Sexe.FEMME else grammaire.MASCULIN

    nom = models.CharField("nom", max_length=120)
    prenom = models.CharField("prénom", max_length=120)
    sexe = models.CharField("sexe", max_length=1, choices=Sexe.choices)
    date_naissance = models.DateField("date de naissance")
    commune = models.CharField("commune de résidence", max_length=120, blank=True)
    code_postal = models.CharField("code postal", max_length=10, blank=True)
    resident_qpv = models.BooleanField("résident d'un quartier prioritaire (QPV)", default=False)
    niveau_qualification = models.CharField(
        "niveau de qualification",
        max_length=10,
        choices=NiveauQualification.choices,
        blank=True,
        help_text="Le plus haut diplôme obtenu.",
    )
    situation_entree = models.CharField(
        "situation à l'entrée",
        max_length=20,
        choices=SituationEntree.choices,
        blank=True,
        help_text="La situation de la personne avant sa première mission.",
    )
    telephone = models.CharField("téléphone", max_length=30, blank=True)
    email = models.EmailField("e-mail", blank=True)
    date_information = models.DateField(
        "information RGPD remise le",
        null=True,
        blank=True,
        help_text="Date à laquelle la personne a été informée du traitement de ses données.",
    )
    notes = models.TextField("notes", blank=True)
    anonymise_le = models.DateTimeField("anonymisé le", null=True, blank=True, editable=False)
    criteres = models.ManyToManyField(
        CritereEligibilite,
        through="CritereParticipant",
        verbose_name="critères d'éligibilité",
        related_name="participants",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "participant"
        verbose_name_plural = "participants"
        ordering = ["nom", "prenom"]
        permissions = [
            ("voir_donnees_sensibles", "Voir les critères protégés (RQTH, santé)"),
            (
                "exporter_donnees_personnelles",
                "Exporter les données d'une personne (droit d'accès)",
            ),
        ]
        indexes = [
            models.Index(fields=["nom", "prenom"]),
            models.Index(fields=["commune"]),
        ]

    def __str__(self) -> str:
        return f"{self.nom.upper()} {self.prenom}"

    @staticmethod
    def nom_affiche_de(pk, nom, prenom, anonymise_le) -> str:
        """The displayed name from a row's values (a list's export reads no object)."""
        if anonymise_le:
            return f"{ANONYMISE} n° {pk}"
        return f"{nom.upper()} {prenom}"

    def get_absolute_url(self) -> str:
        return reverse("heures:participant_detail", args=[self.pk])

    def age_le(self, jour: date) -> int:
        """Age in whole years on ``jour``."""
        naissance = self.date_naissance
        return (
            jour.year - naissance.year - ((jour.month, jour.day) < (naissance.month, naissance.day))
        )

    @property
    def initiales(self) -> str:
        return "".join(p[:1].upper() + "." for p in (self.prenom, self.nom) if p)

    # Display rules of personal data: an anonymised participant shows no identity.
    @property
    def nom_affiche(self) -> str:
        return self.nom_affiche_de(self.pk, self.nom, self.prenom, self.anonymise_le)

    @property
    def initiales_affichees(self) -> str:
        return "anonymisé" if self.anonymise_le else self.initiales


class CritereParticipant(Horodate):
    participant = models.ForeignKey(
        Participant,
        verbose_name="participant",
        on_delete=models.CASCADE,
        related_name="criteres_valides",
    )
    critere = models.ForeignKey(
        CritereEligibilite, verbose_name="critère", on_delete=models.PROTECT, related_name="+"
    )
    date_validation = models.DateField("validé le")
    date_fin_validite = models.DateField("valable jusqu'au", null=True, blank=True)
    justification = models.TextField("justification", blank=True)
    prescripteur = models.ForeignKey(
        Prescripteur,
        verbose_name="prescripteur",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="validations",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "critère d'un participant"
        verbose_name_plural = "critères des participants"
        ordering = ["participant", "critere__ordre"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "critere", "date_validation"],
                name="critereparticipant_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(date_fin_validite__isnull=True)
                | models.Q(date_fin_validite__gte=models.F("date_validation")),
                name="critereparticipant_fin_apres_validation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.critere} ({self.date_validation:%d/%m/%Y})"


class Modalite(models.TextChoices):
    EMBAUCHE_CDI = "embauche_cdi", "Embauche directe en CDI"
    EMBAUCHE_CDD = "embauche_cdd", "Embauche directe en CDD"
    ALTERNANCE = "alternance", "Alternance (apprentissage, professionnalisation)"
    MISE_A_DISPOSITION = "mise_a_disposition", "Mise à disposition (ETTI, AI, GEIQ, intérim)"
    SOUS_TRAITANCE_SIAE = "sous_traitance_siae", "Sous-traitance ou co-traitance SIAE"
    FORMATION = "formation", "Action de formation"


class TypeContrat(models.TextChoices):
    CDI = "cdi", "CDI"
    CDD = "cdd", "CDD"
    CDDI = "cddi", "CDDI"
    INTERIM = "interim", "Contrat de mission (intérim)"
    APPRENTISSAGE = "apprentissage", "Contrat d'apprentissage"
    PROFESSIONNALISATION = "professionnalisation", "Contrat de professionnalisation"
    STAGE = "stage", "Stage ou formation"
    AUTRE = "autre", "Autre"


class Sortie(models.TextChoices):
    EMPLOI_DURABLE = "emploi_durable", "Emploi durable (CDI, CDD de plus de 6 mois)"
    EMPLOI_TRANSITION = "emploi_transition", "Emploi de transition"
    FORMATION_QUALIFIANTE = "formation_qualifiante", "Formation qualifiante"
    AUTRE_SIAE = "autre_siae", "Entrée dans une autre structure d'insertion (SIAE)"
    AUTRE = "autre", "Autre sortie"


class SituationSixMois(models.TextChoices):
    """Where the person is six months after the sortie (when the team knows)."""

    EMPLOI_DURABLE = "emploi_durable", "En emploi durable"
    EMPLOI_TRANSITION = "emploi_transition", "En emploi de transition"
    FORMATION = "formation", "En formation"
    DEMANDEUR_EMPLOI = "demandeur_emploi", "Demandeur d'emploi"
    INACTIF = "inactif", "Inactif"


class EtatMission(models.TextChoices):
    """A mission's state on a given day, from its dates (``Mission.etat_le``)."""

    A_VENIR = "a_venir", "À venir"
    EN_COURS = "en_cours", "En cours"
    TERMINEE = "termine", "Terminée"


class MissionQuerySet(models.QuerySet):
    def actives_entre(self, debut: date, fin: date | None):
        """Missions active at least one day between ``debut`` and ``fin`` (``None``: no end):
        the SQL form of ``Mission.active_entre``."""
        missions = self.filter(models.Q(date_fin__isnull=True) | models.Q(date_fin__gte=debut))
        return missions if fin is None else missions.filter(date_debut__lte=fin)

    def actives_sur_mois(self, mois: date):
        """Missions active at least one day of ``mois``: the ones that may declare hours."""
        return self.actives_entre(premier_jour(mois), dernier_jour(mois))

    def actives_le(self, jour: date):
        return self.actives_entre(jour, jour)

    def a_venir(self, jour: date):
        return self.filter(date_debut__gt=jour)

    def terminees(self, jour: date):
        return self.filter(date_fin__lt=jour)


class Mission(Versionne):
    genre_grammatical = grammaire.FEMININ
    reference = models.CharField("référence", max_length=20, unique=True)
    participant = models.ForeignKey(
        Participant, verbose_name="participant", on_delete=models.PROTECT, related_name="missions"
    )
    lot = models.ForeignKey(
        Lot, verbose_name="lot", on_delete=models.PROTECT, related_name="missions"
    )
    employeur = models.ForeignKey(
        Entreprise, verbose_name="employeur", on_delete=models.PROTECT, related_name="missions"
    )
    modalite = models.CharField("modalité", max_length=25, choices=Modalite.choices)
    type_contrat = models.CharField("type de contrat", max_length=25, choices=TypeContrat.choices)
    poste = models.CharField("poste occupé", max_length=150, blank=True)
    date_debut = models.DateField("début")
    date_fin = models.DateField("fin", null=True, blank=True)
    heures_prevues = models.DecimalField(
        "heures prévues",
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO)],
    )
    sortie = models.CharField("sortie", max_length=25, choices=Sortie.choices, blank=True)
    date_sortie = models.DateField("date de sortie", null=True, blank=True)
    situation_six_mois = models.CharField(
        "situation six mois après la sortie",
        max_length=20,
        choices=SituationSixMois.choices,
        blank=True,
        help_text="Si elle est connue.",
    )
    motif_derogation_eligibilite = models.TextField(
        "motif de dérogation à l'éligibilité",
        blank=True,
        help_text="Obligatoire si le participant n'est pas éligible au début de la mission.",
    )
    history = HistoricalRecords()

    objects = MissionQuerySet.as_manager()

    class Meta:
        verbose_name = "mission"
        verbose_name_plural = "missions"
        ordering = ["-date_debut"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(date_fin__isnull=True)
                | models.Q(date_fin__gte=models.F("date_debut")),
                name="mission_fin_apres_debut",
            ),
            models.CheckConstraint(
                condition=models.Q(sortie="") | models.Q(date_fin__isnull=False),
                name="mission_sortie_exige_fin",
            ),
            models.CheckConstraint(
                condition=models.Q(heures_prevues__isnull=True) | models.Q(heures_prevues__gte=0),
                name="mission_heures_prevues_positives",
            ),
        ]
        indexes = [
            models.Index(fields=["date_debut", "date_fin"]),
            models.Index(fields=["modalite"]),
        ]

    def __str__(self) -> str:
        return f"{self.reference} — {self.participant}"

    def get_absolute_url(self) -> str:
        return reverse("heures:mission_detail", args=[self.pk])

    def clean(self):
        super().clean()
        if self.date_fin and self.date_debut and self.date_fin < self.date_debut:
            raise ValidationError({"date_fin": "La fin de mission précède son début."})
        if self.sortie and not self.date_fin:
            raise ValidationError({"date_fin": "Une sortie exige une date de fin de mission."})

    def active_entre(self, debut: date, fin: date | None) -> bool:
        """Active at least one day between ``debut`` and ``fin`` (``None``: no end)."""
        return (fin is None or self.date_debut <= fin) and (
            self.date_fin is None or self.date_fin >= debut
        )

    def active_sur_mois(self, mois: date) -> bool:
        return self.active_entre(premier_jour(mois), dernier_jour(mois))

    def etat_le(self, jour: date) -> EtatMission:
        if self.date_debut > jour:
            return EtatMission.A_VENIR
        if self.date_fin and self.date_fin < jour:
            return EtatMission.TERMINEE
        return EtatMission.EN_COURS


class StatutDeclaration(models.TextChoices):
    BROUILLON = "brouillon", "Brouillon"
    SOUMISE = "soumise", "Soumise"
    VALIDEE = "validee", "Validée"
    REJETEE = "rejetee", "Rejetée"
    REMPLACEE = "remplacee", "Remplacée"


class DeclarationMensuelleQuerySet(models.QuerySet):
    def courantes(self):
        """The live version of each company × lot × month (replaced versions excluded)."""
        return self.exclude(statut=StatutDeclaration.REMPLACEE)

    def validees(self):
        return self.filter(statut=StatutDeclaration.VALIDEE)


class DeclarationMensuelle(Versionne):
    """Hours done in one month by one company on one lot, one line per mission.

    A validated declaration is locked; a correction creates a new ``numero_version`` that
    replaces it (the old one gets status « remplacée » and stays readable).
    """

    entreprise = models.ForeignKey(
        Entreprise, verbose_name="entreprise", on_delete=models.PROTECT, related_name="declarations"
    )
    lot = models.ForeignKey(
        Lot, verbose_name="lot", on_delete=models.PROTECT, related_name="declarations"
    )
    mois = models.DateField("mois", help_text="Premier jour du mois déclaré.")
    numero_version = models.PositiveSmallIntegerField("n° de version", default=1)
    statut = models.CharField(
        "statut",
        max_length=10,
        choices=StatutDeclaration.choices,
        default=StatutDeclaration.BROUILLON,
    )
    remplace = models.OneToOneField(
        "self",
        verbose_name="remplace la version",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="remplacee_par",
    )
    motif_correction = models.TextField("motif de la correction", blank=True)
    motif_rejet = models.TextField("motif du rejet", blank=True)
    soumise_le = models.DateTimeField("soumise le", null=True, blank=True)
    soumise_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="soumise par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    traitee_le = models.DateTimeField("validée ou rejetée le", null=True, blank=True)
    traitee_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="validée ou rejetée par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    #: Sum of the declaration's own lines, whatever its status, kept up to date by
    #: ``heures.services.totaux`` in the transaction that changes a line (sortable, indexed).
    total_declare = models.DecimalField(
        "total déclaré", max_digits=10, decimal_places=2, default=ZERO, editable=False
    )
    history = HistoricalRecords(excluded_fields=["total_declare"])

    objects = DeclarationMensuelleQuerySet.as_manager()

    class Meta:
        verbose_name = "déclaration mensuelle"
        verbose_name_plural = "déclarations mensuelles"
        ordering = ["-mois", "entreprise", "lot"]
        permissions = [("valider_declaration", "Valider ou rejeter une déclaration d'heures")]
        constraints = [
            # One version being entered or checked, and one validated version (the one that
            # counts), per company × lot × month: a correction is entered while the validated
            # version keeps counting, which becomes « remplacée » when the correction is validated.
            models.UniqueConstraint(
                fields=["entreprise", "lot", "mois"],
                condition=models.Q(statut__in=["brouillon", "soumise", "rejetee"]),
                name="declaration_une_en_cours_par_entreprise_lot_mois",
            ),
            models.UniqueConstraint(
                fields=["entreprise", "lot", "mois"],
                condition=models.Q(statut="validee"),
                name="declaration_une_validee_par_entreprise_lot_mois",
            ),
            models.UniqueConstraint(
                fields=["entreprise", "lot", "mois", "numero_version"],
                name="declaration_version_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(mois__day=1), name="declaration_mois_premier_jour"
            ),
            models.CheckConstraint(
                condition=~models.Q(statut="rejetee") | ~models.Q(motif_rejet=""),
                name="declaration_rejet_motive",
            ),
        ]
        indexes = [
            models.Index(fields=["mois", "statut"]),
            models.Index(fields=["lot", "mois"]),
            # the list's default ordering (-mois, pk) and its sort by total (deep pages)
            models.Index(F("mois").desc(), "id", name="declaration_ordre_liste"),
            models.Index(fields=["total_declare", "id"], name="declaration_tri_total"),
            models.Index(fields=["entreprise", "mois"], name="declaration_entreprise_mois"),
            # the queue of declarations to validate, oldest submitted first (homes, list)
            models.Index(
                fields=["soumise_le", "id"],
                condition=models.Q(statut="soumise"),
                name="declaration_file_soumises",
            ),
        ]

    def __str__(self) -> str:
        lot = self.lot
        return f"{self.entreprise} — {lot.marche.reference} lot {lot.numero} — {self.mois:%m/%Y}"

    def get_absolute_url(self) -> str:
        return reverse("heures:declaration_detail", args=[self.pk])

    @property
    def verrouillee(self) -> bool:
        return self.statut in (StatutDeclaration.VALIDEE, StatutDeclaration.REMPLACEE)

    @property
    def correction_en_cours(self) -> bool:
        """A newer version correcting this one exists (not validated yet, or validated)."""
        return hasattr(self, "remplacee_par")


class LigneDeclaration(models.Model):
    declaration = models.ForeignKey(
        DeclarationMensuelle,
        verbose_name="déclaration",
        on_delete=models.CASCADE,
        related_name="lignes",
    )
    mission = models.ForeignKey(
        Mission, verbose_name="mission", on_delete=models.PROTECT, related_name="lignes"
    )
    heures = models.DecimalField(
        "heures", max_digits=6, decimal_places=2, validators=[MinValueValidator(ZERO)]
    )
    commentaire = models.CharField("commentaire", max_length=250, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "ligne de déclaration"
        verbose_name_plural = "lignes de déclaration"
        ordering = ["declaration", "mission__participant__nom"]
        constraints = [
            models.UniqueConstraint(
                fields=["declaration", "mission"], name="ligne_une_par_mission"
            ),
            models.CheckConstraint(
                condition=models.Q(heures__gte=0), name="ligne_heures_positives"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mission.reference} : {self.heures} h"


class TotalHeuresMois(models.Model):
    """Validated hours of one company on one lot for one month: a maintained copy of
    ``heures.selectors.heures_entreprise_mois`` (the one definition), so that lists, home pages
    and indicators never sum millions of lines.

    Rewritten by ``heures.services.totaux`` in the transaction that validates, replaces or
    deletes a declaration or changes a validated line; ``python manage.py totaux_heures``
    compares every row with the definition (and rebuilds them with ``--corriger``).
    """

    lot = models.ForeignKey(
        Lot, verbose_name="lot", on_delete=models.CASCADE, related_name="totaux_mois"
    )
    entreprise = models.ForeignKey(
        Entreprise, verbose_name="entreprise", on_delete=models.CASCADE, related_name="+"
    )
    mois = models.DateField("mois")
    heures = models.DecimalField("heures validées", max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = "total d'heures du mois (maintenu)"
        verbose_name_plural = "totaux d'heures par mois (maintenus)"
        constraints = [
            models.UniqueConstraint(fields=["lot", "entreprise", "mois"], name="total_mois_unique"),
        ]
        indexes = [
            models.Index(fields=["mois"], name="total_mois_mois"),
            models.Index(fields=["entreprise", "mois"], name="total_mois_entreprise"),
        ]

    def __str__(self) -> str:
        return (
            f"lot {self.lot_id}, entreprise {self.entreprise_id}, {self.mois:%m/%Y} : {self.heures}"
        )


class TotalHeuresLot(models.Model):
    """Validated hours of a lot, all companies and months: the sum of its ``TotalHeuresMois``
    rows, maintained with them (what the lists of lots, « en retard » and the homes read)."""

    lot = models.OneToOneField(
        Lot,
        verbose_name="lot",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="total_heures",
    )
    heures = models.DecimalField("heures validées", max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = "total d'heures du lot (maintenu)"
        verbose_name_plural = "totaux d'heures des lots (maintenus)"
        indexes = [models.Index(fields=["heures"], name="total_lot_heures")]

    def __str__(self) -> str:
        return f"lot {self.lot_id} : {self.heures}"


class TypeAttestation(models.TextChoices):
    MENSUELLE = "mensuelle", "Attestation mensuelle"
    REALISATION = "realisation", "Attestation de réalisation"


class StatutAttestation(models.TextChoices):
    EMISE = "emise", "Émise"
    REMPLACEE = "remplacee", "Remplacée"


class CompteurNumero(models.Model):
    """Gapless counters for document numbers (one row per prefix, locked on use)."""

    prefixe = models.CharField("préfixe", max_length=30, unique=True)
    dernier = models.PositiveIntegerField("dernier numéro attribué", default=0)

    class Meta:
        verbose_name = "compteur de numérotation"
        verbose_name_plural = "compteurs de numérotation"

    def __str__(self) -> str:
        return f"{self.prefixe} : {self.dernier}"


class Attestation(models.Model):
    """An issued document. Never modified once issued; a correction replaces it.

    Its figures are defined in docs/attestations.md; whether they still match the validated
    lines (« à réémettre ») is derived by ``selectors.annoter_chiffres_actuels``.
    """

    numero = models.CharField("numéro", max_length=30, unique=True)
    type = models.CharField("type", max_length=12, choices=TypeAttestation.choices)
    statut = models.CharField(
        "statut", max_length=10, choices=StatutAttestation.choices, default=StatutAttestation.EMISE
    )
    declaration = models.ForeignKey(
        DeclarationMensuelle,
        verbose_name="déclaration",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attestations",
    )
    lot = models.ForeignKey(
        Lot, verbose_name="lot", on_delete=models.PROTECT, related_name="attestations"
    )
    entreprise = models.ForeignKey(
        Entreprise, verbose_name="entreprise", on_delete=models.PROTECT, related_name="attestations"
    )
    mois = models.DateField("mois", null=True, blank=True)
    total_heures = models.DecimalField(
        "heures attestées",
        max_digits=10,
        decimal_places=2,
        help_text="Mensuelle : heures validées de l'entreprise sur le lot pour le mois. "
        "Réalisation : heures validées du lot (toutes entreprises) à la date d'émission.",
    )
    cumul_heures = models.DecimalField(
        "cumul des heures",
        max_digits=10,
        decimal_places=2,
        help_text="Mensuelle : heures validées de l'entreprise sur le lot jusqu'à la fin du mois "
        "(sans les autres entreprises). Réalisation : heures validées du lot.",
    )
    heures_requises = models.DecimalField("heures requises", max_digits=10, decimal_places=2)
    code_verification = models.CharField("code de vérification", max_length=40, unique=True)
    fichier = models.FileField("fichier PDF", upload_to="attestations/%Y/%m/", blank=True)
    sha256 = models.CharField("empreinte SHA-256", max_length=64, blank=True)
    motif = models.TextField("motif (clôture avec écart, correction)", blank=True)
    emise_le = models.DateTimeField("émise le", auto_now_add=True)
    emise_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="émise par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    remplacee_par = models.OneToOneField(
        "self",
        verbose_name="remplacée par",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="remplace",
    )

    class Meta:
        verbose_name = "attestation"
        verbose_name_plural = "attestations"
        ordering = ["-emise_le"]
        permissions = [("emettre_attestation", "Émettre les attestations")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(type="mensuelle")
                | (models.Q(declaration__isnull=False) & models.Q(mois__isnull=False)),
                name="attestation_mensuelle_a_une_declaration",
            ),
            models.CheckConstraint(
                condition=models.Q(total_heures__gte=0) & models.Q(cumul_heures__gte=0),
                name="attestation_heures_positives",
            ),
        ]
        indexes = [models.Index(fields=["mois", "type"])]

    def __str__(self) -> str:
        return self.numero


class StatutBesoin(models.TextChoices):
    OUVERT = "ouvert", "Ouvert"
    POURVU = "pourvu", "Pourvu"
    ANNULE = "annule", "Annulé"


class BesoinRecrutement(Versionne):
    """A company's need of staff on a lot, which the facilitator answers with participants."""

    lot = models.ForeignKey(
        Lot, verbose_name="lot", on_delete=models.PROTECT, related_name="besoins"
    )
    entreprise = models.ForeignKey(
        Entreprise,
        verbose_name="entreprise",
        on_delete=models.PROTECT,
        related_name="besoins_recrutement",
        help_text="L'entreprise qui recrute : titulaire, cotraitant, sous-traitant du lot ou "
        "structure d'insertion.",
    )
    poste = models.CharField("poste", max_length=150)
    nombre_postes = models.PositiveSmallIntegerField(
        "nombre de postes", default=1, validators=[MinValueValidator(1)]
    )
    date_debut = models.DateField("début souhaité")
    date_fin = models.DateField("fin prévue", null=True, blank=True)
    modalite = models.CharField(
        "modalité", max_length=25, choices=Modalite.choices, default=Modalite.EMBAUCHE_CDD
    )
    type_contrat = models.CharField(
        "type de contrat", max_length=25, choices=TypeContrat.choices, default=TypeContrat.CDD
    )
    heures_prevues = models.DecimalField(
        "heures prévues par poste",
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO)],
    )
    exigences = models.TextField("exigences et compétences", blank=True)
    commune = models.CharField("commune du poste", max_length=120, blank=True)
    statut = models.CharField(
        "statut", max_length=10, choices=StatutBesoin.choices, default=StatutBesoin.OUVERT
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "besoin de recrutement"
        verbose_name_plural = "besoins de recrutement"
        ordering = ["-date_debut", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(nombre_postes__gte=1), name="besoin_au_moins_un_poste"
            ),
            models.CheckConstraint(
                condition=models.Q(date_fin__isnull=True)
                | models.Q(date_fin__gte=models.F("date_debut")),
                name="besoin_fin_apres_debut",
            ),
        ]
        indexes = [models.Index(fields=["statut", "date_debut"])]

    def __str__(self) -> str:
        return f"{self.poste} — {self.entreprise}"

    def get_absolute_url(self) -> str:
        return reverse("heures:besoin_detail", args=[self.pk])

    def clean(self):
        super().clean()
        if self.date_fin and self.date_debut and self.date_fin < self.date_debut:
            raise ValidationError({"date_fin": "La fin prévue précède le début souhaité."})


class StatutProposition(models.TextChoices):
    PROPOSE = "propose", "Proposé"
    ENTRETIEN = "entretien", "Entretien"
    RETENU = "retenu", "Retenu"
    NON_RETENU = "non_retenu", "Non retenu"


class Proposition(Versionne):
    """A participant put forward for a need; a retained one becomes a mission."""

    besoin = models.ForeignKey(
        BesoinRecrutement,
        verbose_name="besoin",
        on_delete=models.PROTECT,
        related_name="propositions",
    )
    participant = models.ForeignKey(
        Participant,
        verbose_name="participant",
        on_delete=models.PROTECT,
        related_name="propositions",
    )
    statut = models.CharField(
        "statut",
        max_length=12,
        choices=StatutProposition.choices,
        default=StatutProposition.PROPOSE,
    )
    date_proposition = models.DateField("proposé le")
    date_entretien = models.DateField("entretien le", null=True, blank=True)
    date_decision = models.DateField("décision le", null=True, blank=True)
    commentaire = models.TextField("commentaire", blank=True)
    mission = models.OneToOneField(
        Mission,
        verbose_name="mission",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposition",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "proposition"
        verbose_name_plural = "propositions"
        ordering = ["besoin", "date_proposition", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["besoin", "participant"], name="proposition_une_par_participant"
            ),
            models.CheckConstraint(
                condition=models.Q(mission__isnull=True) | models.Q(statut="retenu"),
                name="proposition_mission_si_retenue",
            ),
        ]
        indexes = [models.Index(fields=["statut"])]

    def __str__(self) -> str:
        return f"{self.participant} — {self.besoin.poste}"

    def get_absolute_url(self) -> str:
        return reverse("heures:besoin_detail", args=[self.besoin_id]) + f"#proposition-{self.pk}"


class StatutRelance(models.TextChoices):
    ENVOYEE = "envoyee", "Envoyée"
    ECHEC = "echec", "Échec d'envoi"


class Relance(Horodate):
    """A reminder sent to a company for a month's declaration (log of what was sent)."""

    entreprise = models.ForeignKey(
        Entreprise, verbose_name="entreprise", on_delete=models.PROTECT, related_name="relances"
    )
    lot = models.ForeignKey(
        Lot, verbose_name="lot", on_delete=models.PROTECT, related_name="relances"
    )
    mois = models.DateField("mois")
    destinataires = models.TextField("destinataires")
    sujet = models.CharField("sujet", max_length=250)
    corps = models.TextField("message")
    statut = models.CharField("statut", max_length=10, choices=StatutRelance.choices)
    erreur = models.TextField("erreur", blank=True)
    envoyee_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="envoyée par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "relance"
        verbose_name_plural = "relances"
        ordering = ["-cree_le"]
        indexes = [models.Index(fields=["mois", "entreprise", "lot"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(mois__day=1), name="relance_mois_premier_jour"
            )
        ]

    def __str__(self) -> str:
        return f"Relance {self.entreprise} — {self.mois:%m/%Y}"


class StatutGeneration(models.TextChoices):
    EN_ATTENTE = "en_attente", "En attente"
    EN_COURS = "en_cours", "En cours"
    TERMINEE = "terminee", "Terminée"
    ECHEC = "echec", "Échec"


class GenerationAttestations(Horodate):
    """A batch « Générer les attestations du mois », run by the background worker."""

    mois = models.DateField("mois")
    statut = models.CharField(
        "statut",
        max_length=12,
        choices=StatutGeneration.choices,
        default=StatutGeneration.EN_ATTENTE,
    )
    total = models.PositiveIntegerField("attestations à émettre", default=0)
    faites = models.PositiveIntegerField("attestations émises", default=0)
    erreur = models.TextField("erreur", blank=True)
    tache_id = models.CharField("identifiant de la tâche", max_length=64, blank=True)
    fichier_zip = models.FileField("archive ZIP", upload_to="attestations/lots/", blank=True)
    fichier_pdf = models.FileField("PDF à imprimer", upload_to="attestations/lots/", blank=True)
    demandee_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="demandée par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "génération d'attestations"
        verbose_name_plural = "générations d'attestations"
        ordering = ["-cree_le"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(mois__day=1), name="generation_mois_premier_jour"
            ),
            models.CheckConstraint(
                condition=models.Q(faites__lte=models.F("total")) | models.Q(total=0),
                name="generation_faites_au_plus_total",
            ),
        ]

    def __str__(self) -> str:
        return f"Attestations de {self.mois:%m/%Y} ({self.get_statut_display()})"

    @property
    def pourcentage(self) -> int:
        return int(self.faites * 100 / self.total) if self.total else 0
