"""Cross-cutting models: the user account and the team's settings (letterhead, divisors)."""

from django.contrib.auth.models import AbstractUser
from django.db import models

from mife import roles
from mife.core.models import (
    Horodate,
    Parametres,  # noqa: F401 (registered with the mife app)
)


class User(AbstractUser):
    """A member of the team. Roles are Django groups (see ``mife.roles``)."""

    fonction = models.CharField("fonction", max_length=120, blank=True)
    telephone = models.CharField("téléphone", max_length=30, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = "utilisateur"
        verbose_name_plural = "utilisateurs"
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def role(self) -> roles.Role | None:
        """The user's main role (the first of the roles, in the order of ``roles.ROLES``)."""
        return roles.role_of(self)


class FormatBilan(models.TextChoices):
    PDF = "pdf", "PDF"
    XLSX = "xlsx", "Classeur Excel"


class StatutDemandeBilan(models.TextChoices):
    EN_ATTENTE = "en_attente", "En attente"
    EN_COURS = "en_cours", "En cours"
    TERMINEE = "terminee", "Terminée"
    ECHEC = "echec", "Échec"


class DemandeBilan(Horodate):
    """An annual bilan asked from the browser, built by the background worker."""

    annee = models.PositiveSmallIntegerField("année")
    donneur_ordre = models.ForeignKey(
        "marches.DonneurOrdre",
        verbose_name="donneur d'ordre",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Vide : tous les donneurs d'ordre.",
    )
    format = models.CharField("format", max_length=4, choices=FormatBilan.choices)
    statut = models.CharField(
        "statut",
        max_length=12,
        choices=StatutDemandeBilan.choices,
        default=StatutDemandeBilan.EN_ATTENTE,
    )
    progression = models.PositiveSmallIntegerField("progression (%)", default=0)
    fichier = models.FileField("fichier", upload_to="bilans/", blank=True)
    erreur = models.TextField("erreur", blank=True)
    tache_id = models.CharField("identifiant de la tâche", max_length=64, blank=True)
    demandee_par = models.ForeignKey(
        "mife.User",
        verbose_name="demandée par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "demande de bilan"
        verbose_name_plural = "demandes de bilan"
        ordering = ["-cree_le"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progression__lte=100), name="demandebilan_progression_max"
            )
        ]

    def __str__(self) -> str:
        perimetre = f" — {self.donneur_ordre}" if self.donneur_ordre_id else ""
        return f"Bilan {self.annee}{perimetre} ({self.get_format_display()})"


class StatutRapport(models.TextChoices):
    ENVOYE = "envoye", "Envoyé"
    ECHEC = "echec", "Échec d'envoi"


class RapportDonneur(models.Model):
    """A progress report sent to a buyer: what was sent, to whom, by whom, with its figures
    and files exactly as sent (re-downloadable)."""

    donneur_ordre = models.ForeignKey(
        "marches.DonneurOrdre",
        verbose_name="donneur d'ordre",
        on_delete=models.PROTECT,
        related_name="+",
    )
    marche = models.ForeignKey(
        "marches.Marche",
        verbose_name="marché",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    operation = models.ForeignKey(
        "marches.Operation",
        verbose_name="opération",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    debut = models.DateField("début de période")
    fin = models.DateField("fin de période")
    libelle_periode = models.CharField("période", max_length=40)
    destinataires = models.TextField("destinataires")
    sujet = models.CharField("sujet", max_length=250)
    message = models.TextField("message")
    chiffres = models.JSONField("chiffres envoyés", default=dict)
    fichier_pdf = models.FileField("rapport PDF", upload_to="rapports/")
    fichier_xlsx = models.FileField("rapport Excel", upload_to="rapports/")
    statut = models.CharField("statut", max_length=10, choices=StatutRapport.choices)
    erreur = models.TextField("erreur", blank=True)
    envoye_le = models.DateTimeField("envoyé le", auto_now_add=True)
    envoye_par = models.ForeignKey(
        "mife.User",
        verbose_name="envoyé par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "rapport à un donneur d'ordre"
        verbose_name_plural = "rapports aux donneurs d'ordre"
        ordering = ["-envoye_le"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(marche__isnull=False) | models.Q(operation__isnull=False),
                name="rapport_marche_ou_operation",
            ),
            models.CheckConstraint(
                condition=models.Q(fin__gte=models.F("debut")), name="rapport_fin_apres_debut"
            ),
        ]

    def __str__(self) -> str:
        return f"Rapport {self.libelle_periode} — {self.marche or self.operation}"
