"""The access and security log, and the open sessions of each account.

``EntreeJournal`` is append-only: the application writes it (``journal.services``) and
never changes a row; only the retention job (``purger_journaux``) deletes rows older
than ``JOURNAL_CONSERVATION_MOIS`` months. It names participants by their number only
(never by name), so deleting or anonymising a participant leaves nothing to rewrite here.

``SessionUtilisateur`` maps a session key to its account, device and address, for the
« Mes sessions » page (see ``journal.sessions``).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Categorie(models.TextChoices):
    ACCES = "acces", "Accès aux données personnelles"
    SECURITE = "securite", "Sécurité"


class Action(models.TextChoices):
    # Reads and exports of personal data.
    CONSULTATION = "consultation", "Consultation d'une fiche"
    CONSULTATION_LISTE = (
        "consultation_liste",
        "Consultation d'une liste avec critères protégés",
    )
    EXPORT_DROIT_ACCES = "export_droit_acces", "Export des données d'une personne"
    EXPORT_LISTE = "export_liste", "Export d'une liste (Excel)"
    EXPORT_FICHIER = "export_fichier", "Téléchargement d'un document"
    # Security events.
    CONNEXION = "connexion", "Connexion"
    CONNEXION_ECHOUEE = "connexion_echouee", "Connexion échouée"
    COMPTE_BLOQUE = "compte_bloque", "Connexion bloquée (trop d'échecs)"
    DECONNEXION = "deconnexion", "Déconnexion"
    ACCES_REFUSE = "acces_refuse", "Accès refusé"
    DOUBLE_FACTEUR_ACTIVE = "double_facteur_active", "Double authentification activée"
    DOUBLE_FACTEUR_ECHOUE = "double_facteur_echoue", "Code de double authentification refusé"
    DOUBLE_FACTEUR_REINITIALISE = (
        "double_facteur_reinitialise",
        "Double authentification réinitialisée",
    )
    CODES_SECOURS = "codes_secours", "Codes de secours"
    ROLE_MODIFIE = "role_modifie", "Rôle modifié"
    PERMISSIONS_MODIFIEES = "permissions_modifiees", "Permissions individuelles modifiées"
    STATUT_COMPTE_MODIFIE = "statut_compte_modifie", "Superutilisateur, équipe ou activité modifié"
    SESSIONS_FERMEES = "sessions_fermees", "Sessions fermées"


CATEGORIE_DES_ACTIONS = {
    Action.CONSULTATION: Categorie.ACCES,
    Action.CONSULTATION_LISTE: Categorie.ACCES,
    Action.EXPORT_DROIT_ACCES: Categorie.ACCES,
    Action.EXPORT_LISTE: Categorie.ACCES,
    Action.EXPORT_FICHIER: Categorie.ACCES,
}


class EntreeJournal(models.Model):
    """Who did what, when, from where (and on which participant, by number)."""

    moment = models.DateTimeField("date et heure", default=timezone.now, db_index=True)
    categorie = models.CharField("catégorie", max_length=10, choices=Categorie.choices)
    action = models.CharField("action", max_length=30, choices=Action.choices)
    utilisateur = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="utilisateur",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    identifiant = models.CharField(
        "identifiant",
        max_length=150,
        blank=True,
        help_text="L'identifiant du compte au moment des faits (ou celui tapé à la connexion).",
    )
    adresse_ip = models.GenericIPAddressField("adresse IP", null=True, blank=True)
    participant_id = models.PositiveBigIntegerField("participant n°", null=True, blank=True)
    objet = models.CharField("objet", max_length=250, blank=True)
    details = models.JSONField("détails", default=dict, blank=True)

    class Meta:
        verbose_name = "entrée du journal"
        verbose_name_plural = "journal des accès et de la sécurité"
        ordering = ["-moment", "-pk"]
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["categorie", "moment"]),
            models.Index(fields=["participant_id", "moment"]),
            models.Index(fields=["utilisateur", "moment"]),
        ]

    def __str__(self) -> str:
        return f"{self.moment:%d/%m/%Y %H:%M} — {self.get_action_display()}"


class SessionUtilisateur(models.Model):
    """One open session of an account: created at login, removed at logout or when ended."""

    cle = models.CharField("clé de session", max_length=40, unique=True)
    utilisateur = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="utilisateur",
        on_delete=models.CASCADE,
        related_name="sessions_ouvertes",
    )
    ouverte_le = models.DateTimeField("ouverte le", default=timezone.now)
    derniere_activite = models.DateTimeField("dernière activité", default=timezone.now)
    adresse_ip = models.GenericIPAddressField("adresse IP", null=True, blank=True)
    navigateur = models.CharField("navigateur (user-agent)", max_length=300, blank=True)

    class Meta:
        verbose_name = "session ouverte"
        verbose_name_plural = "sessions ouvertes"
        ordering = ["-derniere_activite"]
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.utilisateur} — {self.derniere_activite:%d/%m/%Y %H:%M}"
