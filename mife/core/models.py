"""Models of the kernel: building blocks shared by the domain models of every app, and the
team's settings row (``Parametres``) that every app reads.

They belong to the ``mife`` app (same table names, same migrations); ``mife.models``
imports them so Django registers them.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from mife.core import grammaire
from mife.core.grammaire import Article
from mife.core.images import NomImage, verifier_image


class Horodate(models.Model):
    """Creation/modification timestamps and authors."""

    cree_le = models.DateTimeField("créé le", auto_now_add=True)
    modifie_le = models.DateTimeField("modifié le", auto_now=True)
    modifie_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="modifié par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        abstract = True


class Versionne(Horodate):
    """Optimistic locking: ``version`` grows by one on each save through a service.

    A form carries the version it was opened with; saving with a stale version is refused
    (see ``mife.core.concurrence``), so nobody silently overwrites someone else's work.
    """

    version = models.PositiveIntegerField("version", default=1, editable=False)

    class Meta:
        abstract = True


class Parametres(models.Model):
    """The team's settings, edited by the administrator. A single row (pk = 1)."""

    nom_structure = models.CharField(
        "nom de la structure",
        max_length=200,
        default="MIFE du Territoire de Belfort",
        help_text="Sans article : « MIFE du Territoire de Belfort ».",
    )
    article_structure = models.CharField(
        "article du nom",
        max_length=3,
        choices=Article.choices,
        default=Article.LA,
        blank=True,
        help_text="Pour écrire « la MIFE atteste », « de la MIFE », « à la MIFE » dans les "
        "documents.",
    )
    adresse = models.TextField(
        "adresse postale",
        blank=True,
        default="",
        help_text="Complète, sur plusieurs lignes : rue, code postal et commune.",
    )
    commune = models.CharField(
        "commune de signature",
        max_length=120,
        blank=True,
        help_text="Imprimée dans « Fait à Belfort, le … » au bas des attestations.",
    )
    telephone = models.CharField("téléphone", max_length=30, blank=True)
    email = models.EmailField("e-mail", blank=True)
    logo = models.ImageField(
        "logo",
        upload_to=NomImage("parametres"),
        blank=True,
        validators=[verifier_image],
        help_text="Image PNG ou JPEG, 2 Mo au plus : en-tête des attestations et des annexes.",
    )
    signature = models.ImageField(
        "signature",
        upload_to=NomImage("parametres"),
        blank=True,
        validators=[verifier_image],
        help_text="Image PNG ou JPEG, 2 Mo au plus : au bas des attestations.",
    )
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
    seuil_alerte_heures_mensuel = models.DecimalField(
        "seuil d'alerte d'heures par participant et par mois",
        max_digits=6,
        decimal_places=2,
        default=Decimal("151.67"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Au-delà, la ligne est signalée à la validation sans être refusée : "
        "151,67 h par défaut, la durée légale d'un mois à temps plein.",
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
    validation_quatre_yeux = models.BooleanField(
        "validation à quatre yeux des déclarations",
        default=True,
        help_text="La personne qui a saisi ou soumis une déclaration ne peut pas la valider.",
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

    @property
    def structure(self) -> str:
        """``« la MIFE du Territoire de Belfort »``: the name with its article."""
        return grammaire.avec_article(self.nom_structure, self.article_structure)

    @property
    def structure_sujet(self) -> str:
        """``« La MIFE du Territoire de Belfort »``: at the start of a sentence."""
        return grammaire.avec_article(self.nom_structure, self.article_structure, majuscule=True)

    @property
    def de_structure(self) -> str:
        """``« de la MIFE du Territoire de Belfort »``."""
        return grammaire.de(self.nom_structure, self.article_structure)

    @property
    def a_structure(self) -> str:
        """``« à la MIFE du Territoire de Belfort »``."""
        return grammaire.a(self.nom_structure, self.article_structure)

    @property
    def par_structure(self) -> str:
        """``« par la MIFE du Territoire de Belfort »``."""
        return grammaire.par(self.nom_structure, self.article_structure)

    @staticmethod
    def _chemin(image) -> str:
        """Path on disk of an uploaded image, for WeasyPrint (never a public URL), or ``""``
        when none is set or the file is missing."""
        if not image:
            return ""
        try:
            return image.path if image.storage.exists(image.name) else ""
        except (NotImplementedError, ValueError):
            return ""

    @property
    def chemin_logo(self) -> str:
        return self._chemin(self.logo)

    @property
    def chemin_signature(self) -> str:
        return self._chemin(self.signature)

    @property
    def adresse_documents(self) -> str:
        """The address printed in documents (QR codes, verification links): the one set here,
        else ``SITE_URL`` (set by ``make run`` from HOST and PORT), without a final slash."""
        return (self.url_publique or settings.SITE_URL).rstrip("/")

    def lien_public(self, chemin: str) -> str:
        """``chemin`` (from ``reverse``) as a full address at ``adresse_documents``."""
        return f"{self.adresse_documents}{chemin}"

    @classmethod
    def get(cls) -> "Parametres":
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj
