"""Empl'itudes label: dossiers and their actions, jury sessions, labels, partner events."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from entreprises.models import Entreprise
from mife.core.models import Horodate, Versionne

DUREE_LABEL_ANNEES = 3


class StatutDossier(models.TextChoices):
    EN_PREPARATION = "en_preparation", "En préparation"
    DEPOSE = "depose", "Déposé"
    RECEVABLE = "recevable", "Recevable"
    PRESENTE = "presente", "Présenté en jury"
    LABELLISE = "labellise", "Labellisé"
    AJOURNE = "ajourne", "Ajourné"
    REFUSE = "refuse", "Refusé"


class DossierLabel(Versionne):
    entreprise = models.ForeignKey(
        Entreprise,
        verbose_name="entreprise",
        on_delete=models.PROTECT,
        related_name="dossiers_label",
    )
    annee = models.PositiveSmallIntegerField("année de candidature")
    renouvellement = models.BooleanField("renouvellement", default=False)
    statut = models.CharField(
        "statut", max_length=15, choices=StatutDossier.choices, default=StatutDossier.EN_PREPARATION
    )
    animateur = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="animateur·rice",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="dossiers_label",
    )
    date_depot = models.DateField("déposé le", null=True, blank=True)
    diagnostic = models.TextField("diagnostic", blank=True)
    bonnes_pratiques = models.TextField("partage de bonnes pratiques", blank=True)
    plan_amelioration = models.TextField("plan d'amélioration", blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "dossier de labellisation"
        verbose_name_plural = "dossiers de labellisation"
        ordering = ["-annee", "entreprise"]
        constraints = [
            models.UniqueConstraint(
                fields=["entreprise", "annee"], name="dossierlabel_un_par_entreprise_et_annee"
            ),
        ]
        indexes = [models.Index(fields=["statut"])]

    def __str__(self) -> str:
        return f"{self.entreprise} — {self.annee}"

    def get_absolute_url(self) -> str:
        return reverse("label:dossier_detail", args=[self.pk])


class Axe(models.TextChoices):
    DEMANDEURS_EMPLOI = "demandeurs_emploi", "Demandeurs d'emploi"
    SCOLAIRES = "scolaires", "Scolaires"
    SALARIES = "salaries", "Salariés"


class ThemeSalaries(models.TextChoices):
    INTEGRATION = "integration", "Intégration"
    EVOLUTION = "evolution", "Évolution professionnelle"
    EQUILIBRE = "equilibre", "Équilibre des temps de vie"
    TUTORAT = "tutorat", "Tutorat"


class ActionLabel(Horodate):
    dossier = models.ForeignKey(
        DossierLabel, verbose_name="dossier", on_delete=models.CASCADE, related_name="actions"
    )
    axe = models.CharField("axe", max_length=20, choices=Axe.choices)
    theme = models.CharField(
        "thème (axe salariés)", max_length=15, choices=ThemeSalaries.choices, blank=True
    )
    intitule = models.CharField("intitulé", max_length=250)
    description = models.TextField("description", blank=True)
    indicateur = models.CharField("indicateur de suivi", max_length=250, blank=True)
    echeance = models.DateField("échéance", null=True, blank=True)
    realisee = models.BooleanField("réalisée", default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "action du dossier"
        verbose_name_plural = "actions du dossier"
        ordering = ["dossier", "axe", "intitule"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(axe="salaries") | models.Q(theme=""),
                name="actionlabel_theme_seulement_axe_salaries",
            ),
        ]

    def __str__(self) -> str:
        return self.intitule


class PieceJointe(Horodate):
    dossier = models.ForeignKey(
        DossierLabel, verbose_name="dossier", on_delete=models.CASCADE, related_name="pieces"
    )
    libelle = models.CharField("libellé", max_length=200)
    fichier = models.FileField("fichier", upload_to="label/pieces/%Y/")

    class Meta:
        verbose_name = "pièce jointe"
        verbose_name_plural = "pièces jointes"
        ordering = ["dossier", "libelle"]

    def __str__(self) -> str:
        return self.libelle


class College(models.TextChoices):
    SIGNATAIRE = "signataire", "Signataire du protocole"
    CHAMBRE = "chambre", "Chambre consulaire"
    BRANCHE = "branche", "Branche professionnelle"
    ETAT = "etat", "État"
    FRANCE_TRAVAIL = "france_travail", "France Travail"
    AUTRE = "autre", "Autre"


class MembreJury(Horodate):
    civilite = models.CharField(
        "civilité", max_length=4, choices=[("Mme", "Mme"), ("M.", "M.")], blank=True
    )
    nom = models.CharField("nom", max_length=120)
    prenom = models.CharField("prénom", max_length=120, blank=True)
    organisme = models.CharField("organisme", max_length=200)
    college = models.CharField("collège", max_length=15, choices=College.choices)
    email = models.EmailField("e-mail", blank=True)
    actif = models.BooleanField("actif", default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "membre de jury"
        verbose_name_plural = "membres de jury"
        ordering = ["nom", "prenom"]

    def __str__(self) -> str:
        return f"{self.prenom} {self.nom} ({self.organisme})".strip()


class StatutSession(models.TextChoices):
    PLANIFIEE = "planifiee", "Planifiée"
    TENUE = "tenue", "Tenue"
    CLOTUREE = "cloturee", "Clôturée"
    ANNULEE = "annulee", "Annulée"


class SessionJury(Versionne):
    date = models.DateTimeField("date et heure")
    lieu = models.CharField("lieu", max_length=250)
    statut = models.CharField(
        "statut", max_length=10, choices=StatutSession.choices, default=StatutSession.PLANIFIEE
    )
    membres = models.ManyToManyField(
        MembreJury, through="ConvocationJury", verbose_name="membres", related_name="sessions"
    )
    compte_rendu = models.TextField("compte rendu", blank=True)
    proces_verbal = models.FileField("procès-verbal (PDF)", upload_to="label/pv/%Y/", blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "session de jury"
        verbose_name_plural = "sessions de jury"
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"Jury du {timezone.localtime(self.date):%d/%m/%Y}"

    def get_absolute_url(self) -> str:
        return reverse("label:session_detail", args=[self.pk])


class ConvocationJury(models.Model):
    session = models.ForeignKey(
        SessionJury, verbose_name="session", on_delete=models.CASCADE, related_name="convocations"
    )
    membre = models.ForeignKey(
        MembreJury, verbose_name="membre", on_delete=models.PROTECT, related_name="convocations"
    )
    invite_le = models.DateTimeField("invitation envoyée le", null=True, blank=True)
    present = models.BooleanField("présent", null=True, blank=True)

    class Meta:
        verbose_name = "convocation"
        verbose_name_plural = "convocations"
        constraints = [
            models.UniqueConstraint(fields=["session", "membre"], name="convocation_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.membre} — {self.session}"


class Decision(models.TextChoices):
    LABELLISE = "labellise", "Labellisé"
    AJOURNE = "ajourne", "Ajourné"
    REFUSE = "refuse", "Refusé"


class PassageJury(models.Model):
    """A dossier on the agenda of a session, with the jury's decision."""

    session = models.ForeignKey(
        SessionJury, verbose_name="session", on_delete=models.CASCADE, related_name="passages"
    )
    dossier = models.ForeignKey(
        DossierLabel, verbose_name="dossier", on_delete=models.PROTECT, related_name="passages"
    )
    ordre = models.PositiveSmallIntegerField("ordre de passage", default=1)
    decision = models.CharField("décision", max_length=10, choices=Decision.choices, blank=True)
    motivation = models.TextField("motivation", blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "passage en jury"
        verbose_name_plural = "passages en jury"
        ordering = ["session", "ordre"]
        constraints = [
            models.UniqueConstraint(fields=["session", "dossier"], name="passage_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.dossier} — {self.session}"


class Avis(models.TextChoices):
    FAVORABLE = "favorable", "Favorable"
    RESERVE = "reserve", "Favorable avec réserves"
    DEFAVORABLE = "defavorable", "Défavorable"


class AvisMembre(models.Model):
    passage = models.ForeignKey(
        PassageJury, verbose_name="passage", on_delete=models.CASCADE, related_name="avis"
    )
    membre = models.ForeignKey(
        MembreJury, verbose_name="membre", on_delete=models.PROTECT, related_name="avis"
    )
    avis = models.CharField("avis", max_length=12, choices=Avis.choices)
    commentaire = models.TextField("commentaire", blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "avis d'un membre"
        verbose_name_plural = "avis des membres"
        constraints = [
            models.UniqueConstraint(fields=["passage", "membre"], name="avis_unique_par_membre"),
        ]

    def __str__(self) -> str:
        return f"{self.membre} : {self.get_avis_display()}"


class LabelQuerySet(models.QuerySet):
    def valides_le(self, jour):
        """Labels valid on ``jour``: the SQL form of ``label.selectors.etat_label_le``."""
        return self.filter(date_obtention__lte=jour, date_expiration__gt=jour)

    def expirant_avant(self, jour, limite):
        return self.valides_le(jour).filter(date_expiration__lte=limite)


class Label(Horodate):
    entreprise = models.ForeignKey(
        Entreprise, verbose_name="entreprise", on_delete=models.PROTECT, related_name="labels"
    )
    dossier = models.OneToOneField(
        DossierLabel, verbose_name="dossier", on_delete=models.PROTECT, related_name="label"
    )
    date_obtention = models.DateField("obtenu le")
    date_expiration = models.DateField("expire le")
    history = HistoricalRecords()

    objects = LabelQuerySet.as_manager()

    class Meta:
        verbose_name = "label"
        verbose_name_plural = "labels"
        ordering = ["-date_obtention"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(date_expiration__gt=models.F("date_obtention")),
                name="label_expiration_apres_obtention",
            ),
        ]
        indexes = [models.Index(fields=["date_expiration"])]

    def __str__(self) -> str:
        return f"Label {self.entreprise} ({self.date_obtention:%Y})"


class EvenementAnimation(Versionne):
    titre = models.CharField("titre", max_length=250)
    theme = models.CharField("thème", max_length=200, blank=True)
    date = models.DateTimeField("date")
    lieu = models.CharField("lieu", max_length=250, blank=True)
    description = models.TextField("description", blank=True)
    entreprises = models.ManyToManyField(
        Entreprise,
        through="ParticipationEvenement",
        verbose_name="entreprises",
        related_name="evenements",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "événement d'animation"
        verbose_name_plural = "événements d'animation"
        ordering = ["-date"]

    def __str__(self) -> str:
        return self.titre


class ParticipationEvenement(models.Model):
    evenement = models.ForeignKey(
        EvenementAnimation,
        verbose_name="événement",
        on_delete=models.CASCADE,
        related_name="participations",
    )
    entreprise = models.ForeignKey(
        Entreprise, verbose_name="entreprise", on_delete=models.PROTECT, related_name="+"
    )
    nombre_personnes = models.PositiveSmallIntegerField("personnes présentes", default=1)
    present = models.BooleanField("présente", default=True)

    class Meta:
        verbose_name = "participation à un événement"
        verbose_name_plural = "participations aux événements"
        constraints = [
            models.UniqueConstraint(
                fields=["evenement", "entreprise"], name="participation_evenement_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entreprise} — {self.evenement}"
