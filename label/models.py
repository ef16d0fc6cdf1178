"""Empl'itudes label: dossiers and their actions, jury sessions, labels, partner events."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from entreprises.models import Contact, Entreprise
from mife.core import grammaire
from mife.core.models import Horodate, Versionne

DUREE_LABEL_ANNEES = 3


class StatutDossier(models.TextChoices):
    EN_PREPARATION = "en_preparation", "En préparation"
    DEPOSE = "depose", "Déposé"
    INCOMPLET = "incomplet", "Incomplet"
    RECEVABLE = "recevable", "Recevable"
    INSCRIT = "inscrit", "Inscrit à une session"
    LABELLISE = "labellise", "Labellisé"
    AJOURNE = "ajourne", "Ajourné"
    REFUSE = "refuse", "Refusé"


#: A company has at most one dossier in these states (« en cours »): an adjourned dossier is
#: taken up again rather than replaced.
STATUTS_EN_COURS = (
    StatutDossier.EN_PREPARATION,
    StatutDossier.DEPOSE,
    StatutDossier.INCOMPLET,
    StatutDossier.RECEVABLE,
    StatutDossier.INSCRIT,
    StatutDossier.AJOURNE,
)
#: States in which the content (actions, attachments, plan) may change, by the animator or
#: by the company through its personal link.
STATUTS_MODIFIABLES = (StatutDossier.EN_PREPARATION, StatutDossier.INCOMPLET)


class DiagnosticEligibilite(Horodate):
    """The short eligibility checklist recorded before a dossier is opened."""

    entreprise = models.ForeignKey(
        Entreprise,
        verbose_name="entreprise",
        on_delete=models.PROTECT,
        related_name="diagnostics_label",
    )
    date = models.DateField("date du diagnostic")
    implantee_territoire = models.BooleanField(
        "implantée sur le Territoire de Belfort",
        default=False,
        help_text="Un établissement de l'entreprise est situé sur le territoire.",
    )
    engagements = models.BooleanField(
        "accepte les engagements du label",
        default=False,
        help_text="Actions sur les trois axes, partage des bonnes pratiques, plan "
        "d'amélioration sur trois ans.",
    )
    effectif = models.PositiveIntegerField(
        "effectif salarié", help_text="Nombre de salariés de l'entreprise."
    )
    label_precedent = models.CharField("label précédent", max_length=200, blank=True)
    eligible = models.BooleanField("éligible", default=False)
    motifs = models.TextField("motifs de non-éligibilité", blank=True)
    commentaire = models.TextField("commentaire", blank=True)
    realise_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="réalisé par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "diagnostic d'éligibilité"
        verbose_name_plural = "diagnostics d'éligibilité"
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return f"Diagnostic {self.entreprise} du {self.date:%d/%m/%Y}"

    def get_absolute_url(self) -> str:
        return reverse("label:diagnostic_detail", args=[self.pk])


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
    diagnostic_eligibilite = models.ForeignKey(
        DiagnosticEligibilite,
        verbose_name="diagnostic d'éligibilité",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dossiers",
    )
    dossier_precedent = models.ForeignKey(
        "self",
        verbose_name="dossier précédent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renouvellements",
        help_text="Pour un renouvellement : le dossier du label qui expire.",
    )
    diagnostic = models.TextField("notes de diagnostic", blank=True)
    bonnes_pratiques = models.TextField("partage de bonnes pratiques", blank=True)
    plan_amelioration = models.TextField("plan d'amélioration : synthèse", blank=True)
    engagements_annee1 = models.TextField("engagements de la 1re année", blank=True)
    engagements_annee2 = models.TextField("engagements de la 2e année", blank=True)
    engagements_annee3 = models.TextField("engagements de la 3e année", blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "dossier de labellisation"
        verbose_name_plural = "dossiers de labellisation"
        ordering = ["-annee", "entreprise"]
        permissions = [
            ("instruire_dossierlabel", "Déclarer un dossier recevable ou incomplet"),
            ("decider_dossierlabel", "Enregistrer l'avis des membres et la décision du jury"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["entreprise", "annee"], name="dossierlabel_un_par_entreprise_et_annee"
            ),
            models.UniqueConstraint(
                fields=["entreprise"],
                condition=models.Q(statut__in=STATUTS_EN_COURS),
                name="dossierlabel_un_seul_en_cours",
            ),
        ]
        indexes = [models.Index(fields=["statut"])]

    def __str__(self) -> str:
        return f"{self.entreprise} — {self.annee}"

    def get_absolute_url(self) -> str:
        return reverse("label:dossier_detail", args=[self.pk])

    @property
    def modifiable(self) -> bool:
        return self.statut in STATUTS_MODIFIABLES

    @property
    def en_cours(self) -> bool:
        return self.statut in STATUTS_EN_COURS


class Axe(models.TextChoices):
    DEMANDEURS_EMPLOI = "demandeurs_emploi", "Demandeurs d'emploi"
    SCOLAIRES = "scolaires", "Scolaires"
    SALARIES = "salaries", "Salariés"


class ThemeSalaries(models.TextChoices):
    INTEGRATION = "integration", "Intégration"
    EVOLUTION = "evolution", "Évolution professionnelle"
    EQUILIBRE = "equilibre", "Équilibre des temps de vie"
    TUTORAT = "tutorat", "Tutorat"


class ActionLabel(Versionne):
    dossier = models.ForeignKey(
        DossierLabel, verbose_name="dossier", on_delete=models.CASCADE, related_name="actions"
    )
    axe = models.CharField("axe", max_length=20, choices=Axe.choices)
    theme = models.CharField(
        "thème (axe salariés)", max_length=15, choices=ThemeSalaries.choices, blank=True
    )
    intitule = models.CharField("intitulé", max_length=250)
    description = models.TextField("description", blank=True)
    date_debut = models.DateField("début", null=True, blank=True)
    date_fin = models.DateField("fin", null=True, blank=True)
    personnes = models.PositiveIntegerField(
        "personnes concernées", null=True, blank=True, help_text="Nombre de personnes touchées."
    )
    heures = models.DecimalField("heures", max_digits=7, decimal_places=1, null=True, blank=True)
    indicateur = models.CharField("indicateur de suivi", max_length=250, blank=True)
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
            models.CheckConstraint(
                condition=models.Q(date_fin__isnull=True)
                | models.Q(date_debut__isnull=True)
                | models.Q(date_fin__gte=models.F("date_debut")),
                name="actionlabel_fin_apres_debut",
            ),
            models.CheckConstraint(
                condition=models.Q(heures__isnull=True) | models.Q(heures__gte=0),
                name="actionlabel_heures_positives",
            ),
        ]

    def __str__(self) -> str:
        return self.intitule

    def get_absolute_url(self) -> str:
        return reverse("label:dossier_detail", args=[self.dossier_id]) + f"#action-{self.pk}"


class TypeFichier(models.TextChoices):
    PDF = "pdf", "PDF"
    PNG = "png", "Image PNG"
    JPEG = "jpeg", "Image JPEG"
    DOCX = "docx", "Document Word (DOCX)"
    XLSX = "xlsx", "Classeur Excel (XLSX)"
    ODT = "odt", "Document OpenDocument (ODT)"


class PieceJointe(Horodate):
    """Evidence attached to a dossier (or to one of its actions).

    Stored under a name generated by the server, never served from a public URL: only
    through a view that checks the reader may see the dossier (``label.views``).
    """

    dossier = models.ForeignKey(
        DossierLabel, verbose_name="dossier", on_delete=models.CASCADE, related_name="pieces"
    )
    action = models.ForeignKey(
        ActionLabel,
        verbose_name="action",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="pieces",
    )
    libelle = models.CharField("libellé", max_length=200)
    fichier = models.FileField("fichier", upload_to="label/pieces/%Y/")
    nom_original = models.CharField("nom du fichier déposé", max_length=255, blank=True)
    type_fichier = models.CharField(
        "type de fichier", max_length=5, choices=TypeFichier.choices, blank=True
    )
    taille = models.PositiveIntegerField("taille (octets)", default=0)
    ajoutee_par_contact = models.ForeignKey(
        Contact,
        verbose_name="déposée par (contact de l'entreprise)",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "pièce jointe"
        verbose_name_plural = "pièces jointes"
        ordering = ["dossier", "libelle"]

    def __str__(self) -> str:
        return self.libelle


class NatureJournal(models.TextChoices):
    TRANSITION = "transition", "Changement de statut"
    CONTENU = "contenu", "Contenu du dossier"
    PIECE = "piece", "Pièce jointe"
    LIEN = "lien", "Lien entreprise"


class JournalDossier(models.Model):
    """Who did what to a dossier, when: transitions (with their comment) and every change,
    by a member of the team or by a company contact through the personal link."""

    dossier = models.ForeignKey(
        DossierLabel, verbose_name="dossier", on_delete=models.CASCADE, related_name="journal"
    )
    le = models.DateTimeField("le", default=timezone.now)
    auteur = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="auteur",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name="contact de l'entreprise",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    nature = models.CharField("nature", max_length=10, choices=NatureJournal.choices)
    statut_avant = models.CharField(
        "statut avant", max_length=15, choices=StatutDossier.choices, blank=True
    )
    statut_apres = models.CharField(
        "statut après", max_length=15, choices=StatutDossier.choices, blank=True
    )
    description = models.CharField("description", max_length=500)
    commentaire = models.TextField("commentaire", blank=True)

    class Meta:
        verbose_name = "entrée du journal d'un dossier"
        verbose_name_plural = "journal des dossiers"
        ordering = ["-le", "-pk"]
        indexes = [models.Index(fields=["dossier", "-le"])]

    def __str__(self) -> str:
        return f"{self.dossier} — {self.description}"

    @property
    def auteur_affiche(self) -> str:
        if self.contact_id:
            return f"{self.contact} (entreprise, lien personnel)"
        return str(self.auteur) if self.auteur_id else "système"


class LienEntreprise(models.Model):
    """A company contact's personal link to one dossier.

    Only the SHA-256 of the random token is stored; the link expires, can be revoked, and
    reaches nothing but its dossier's actions, attachments and plan.
    """

    dossier = models.ForeignKey(
        DossierLabel, verbose_name="dossier", on_delete=models.CASCADE, related_name="liens"
    )
    contact = models.ForeignKey(
        Contact, verbose_name="contact", on_delete=models.PROTECT, related_name="liens_label"
    )
    empreinte = models.CharField("empreinte du jeton", max_length=64, unique=True)
    cree_le = models.DateTimeField("créé le", default=timezone.now)
    cree_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="créé par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    expire_le = models.DateTimeField("expire le")
    revoque_le = models.DateTimeField("révoqué le", null=True, blank=True)
    revoque_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="révoqué par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    dernier_acces = models.DateTimeField("dernier accès", null=True, blank=True)

    class Meta:
        verbose_name = "lien personnel d'une entreprise"
        verbose_name_plural = "liens personnels des entreprises"
        ordering = ["-cree_le"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expire_le__gt=models.F("cree_le")),
                name="lienentreprise_expire_apres_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"Lien de {self.contact} — {self.dossier}"

    def actif_le(self, instant) -> bool:
        return self.revoque_le is None and instant < self.expire_le


class College(models.TextChoices):
    SIGNATAIRE = "signataire", "Signataire du protocole"
    CHAMBRE = "chambre", "Chambre consulaire"
    BRANCHE = "branche", "Branche professionnelle"
    ETAT = "etat", "État"
    FRANCE_TRAVAIL = "france_travail", "France Travail"
    AUTRE = "autre", "Autre"


class MembreJury(Versionne):
    @property
    def genre_grammatical(self) -> str:
        return grammaire.FEMININ if self.civilite == "Mme" else grammaire.MASCULIN

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

    def get_absolute_url(self) -> str:
        return reverse("label:membre_modifier", args=[self.pk])


class StatutSession(models.TextChoices):
    PLANIFIEE = "planifiee", "Planifiée"
    TENUE = "tenue", "Tenue"
    CLOTUREE = "cloturee", "Clôturée"
    ANNULEE = "annulee", "Annulée"


class SessionJury(Versionne):
    genre_grammatical = grammaire.FEMININ
    date = models.DateTimeField("date et heure")
    lieu = models.CharField("lieu", max_length=250)
    statut = models.CharField(
        "statut", max_length=10, choices=StatutSession.choices, default=StatutSession.PLANIFIEE
    )
    membres = models.ManyToManyField(
        MembreJury, through="ConvocationJury", verbose_name="membres", related_name="sessions"
    )
    duree_passage = models.PositiveSmallIntegerField(
        "durée d'un passage (minutes)",
        default=30,
        help_text="Créneau donné à chaque entreprise pour présenter son dossier.",
    )
    convocations_envoyees_le = models.DateTimeField(
        "convocations envoyées le", null=True, blank=True
    )
    compte_rendu = models.TextField("compte rendu", blank=True)
    proces_verbal = models.FileField("procès-verbal (PDF)", upload_to="label/pv/%Y/", blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "session de jury"
        verbose_name_plural = "sessions de jury"
        ordering = ["-date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duree_passage__gte=5), name="sessionjury_duree_passage_min"
            ),
        ]

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
    debut = models.DateTimeField("heure de passage", null=True, blank=True)
    duree = models.PositiveSmallIntegerField("durée (minutes)", default=30)
    convocation_envoyee_le = models.DateTimeField(
        "convocation de l'entreprise envoyée le", null=True, blank=True
    )
    decision = models.CharField("décision", max_length=10, choices=Decision.choices, blank=True)
    motivation = models.TextField("motivation", blank=True)
    decide_le = models.DateTimeField("décidé le", null=True, blank=True)
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

    @property
    def fin(self):
        return self.debut + timedelta(minutes=self.duree) if self.debut else None


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


class Label(Versionne):
    entreprise = models.ForeignKey(
        Entreprise, verbose_name="entreprise", on_delete=models.PROTECT, related_name="labels"
    )
    dossier = models.OneToOneField(
        DossierLabel, verbose_name="dossier", on_delete=models.PROTECT, related_name="label"
    )
    numero = models.CharField("numéro", max_length=20, blank=True)
    code_verification = models.CharField("code de vérification", max_length=32, blank=True)
    date_obtention = models.DateField("obtenu le")
    date_expiration = models.DateField("expire le")
    relance_renouvellement_le = models.DateTimeField(
        "rappel de renouvellement envoyé le", null=True, blank=True
    )
    history = HistoricalRecords()

    objects = LabelQuerySet.as_manager()

    class Meta:
        verbose_name = "label"
        verbose_name_plural = "labels"
        ordering = ["-date_obtention"]
        permissions = [
            ("modifier_dates_label", "Modifier les dates d'un label attribué (avec un motif)"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(date_expiration__gt=models.F("date_obtention")),
                name="label_expiration_apres_obtention",
            ),
            models.UniqueConstraint(
                fields=["numero"], condition=~models.Q(numero=""), name="label_numero_unique"
            ),
            models.UniqueConstraint(
                fields=["code_verification"],
                condition=~models.Q(code_verification=""),
                name="label_code_verification_unique",
            ),
        ]
        indexes = [models.Index(fields=["date_expiration"])]

    def __str__(self) -> str:
        return f"Label {self.entreprise} ({self.date_obtention:%Y})"

    def get_absolute_url(self) -> str:
        return reverse("label:label_detail", args=[self.pk])


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

    def get_absolute_url(self) -> str:
        return reverse("label:evenement_detail", args=[self.pk])


class ParticipationEvenement(models.Model):
    evenement = models.ForeignKey(
        EvenementAnimation,
        verbose_name="événement",
        on_delete=models.CASCADE,
        related_name="participations",
    )
    entreprise = models.ForeignKey(
        Entreprise,
        verbose_name="entreprise",
        on_delete=models.PROTECT,
        related_name="participations_evenements",
    )
    contacts = models.ManyToManyField(
        Contact, verbose_name="personnes invitées", blank=True, related_name="+"
    )
    invitee_le = models.DateTimeField("invitation envoyée le", null=True, blank=True)
    nombre_personnes = models.PositiveSmallIntegerField("personnes présentes", default=0)
    present = models.BooleanField("présente", null=True, blank=True)

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
