"""Cross-cutting models: the user account and the team's settings (letterhead, divisors)."""

from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.core.validators import MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from mife import roles


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


class Parametres(models.Model):
    """The team's settings, edited by the administrator. A single row (pk = 1)."""

    nom_structure = models.CharField(
        "nom de la structure", max_length=200, default="MIFE du Territoire de Belfort"
    )
    adresse = models.TextField("adresse", blank=True, default="")
    telephone = models.CharField("téléphone", max_length=30, blank=True)
    email = models.EmailField("e-mail", blank=True)
    logo = models.ImageField("logo", upload_to="parametres/", blank=True)
    signature = models.ImageField("signature", upload_to="parametres/", blank=True)
    signataire_nom = models.CharField("nom du signataire", max_length=120, blank=True)
    signataire_titre = models.CharField("titre du signataire", max_length=120, blank=True)
    url_publique = models.URLField(
        "adresse publique de l'application",
        blank=True,
        help_text="Utilisée dans les QR codes de vérification des attestations.",
    )
    diviseur_etp = models.DecimalField(
        "heures pour un ETP",
        max_digits=7,
        decimal_places=2,
        default=Decimal("1607"),
        validators=[MinValueValidator(Decimal("1"))],
        help_text="Durée légale annuelle du travail : 1 607 h par défaut.",
    )
    plafond_heures_mensuel = models.DecimalField(
        "plafond d'heures par participant et par mois",
        max_digits=6,
        decimal_places=2,
        default=Decimal("200"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    marge_retard = models.DecimalField(
        "marge de retard (points de %)",
        max_digits=5,
        decimal_places=2,
        default=Decimal("10"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Un lot est en retard quand sa réalisation est inférieure à l'attendu moins "
        "cette marge.",
    )
    duree_conservation_annees = models.PositiveSmallIntegerField(
        "durée de conservation des données personnelles (années)",
        default=5,
        help_text="Après la fin de la dernière mission, l'identité du participant est anonymisée.",
    )
    identite_sur_attestations = models.BooleanField(
        "nom complet sur les attestations",
        default=False,
        help_text="Par défaut, les attestations n'indiquent que les initiales.",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "paramètres"
        verbose_name_plural = "paramètres"
        permissions = [
            ("voir_bilan", "Consulter les indicateurs et télécharger le bilan"),
            ("administrer", "Administrer les utilisateurs et les listes de référence"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="parametres_ligne_unique"),
            models.CheckConstraint(
                condition=models.Q(diviseur_etp__gt=0), name="parametres_diviseur_etp_positif"
            ),
        ]

    def __str__(self) -> str:
        return self.nom_structure

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def get(cls) -> "Parametres":
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj
