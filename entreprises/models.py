"""Companies (titulaires, insertion providers, label applicants) and their contacts."""

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords
from stdnum.fr import siret as stdnum_siret

from mife.core import grammaire
from mife.core.models import Versionne


class TypeIdentifiant(models.TextChoices):
    """Identifier kinds used by the public open data (DECP)."""

    SIRET = "SIRET", "SIRET"
    SIREN = "SIREN", "SIREN (entreprise sans établissement précisé)"
    TVA = "TVA", "TVA intracommunautaire"
    TAHITI = "TAHITI", "TAHITI"
    RIDET = "RIDET", "RIDET"
    FRWF = "FRWF", "FRWF"
    IREP = "IREP", "IREP"
    UE = "UE", "Identifiant UE"
    HORS_UE = "HORS-UE", "Identifiant hors UE"


class TypeStructure(models.TextChoices):
    CLASSIQUE = "classique", "Entreprise classique"
    ACI = "aci", "SIAE — Atelier et chantier d'insertion (ACI)"
    AI = "ai", "SIAE — Association intermédiaire (AI)"
    EI = "ei", "SIAE — Entreprise d'insertion (EI)"
    ETTI = "etti", "SIAE — Entreprise de travail temporaire d'insertion (ETTI)"
    EITI = "eiti", "SIAE — Entreprise d'insertion par le travail indépendant (EITI)"
    GEIQ = "geiq", "GEIQ"
    EA = "ea", "Entreprise adaptée (EA)"
    ESAT = "esat", "ESAT"

    @classmethod
    def insertion(cls) -> list[str]:
        """Structures that provide insertion staff or subcontracting (SIAE, GEIQ, EA, ESAT)."""
        return [c.value for c in cls if c != cls.CLASSIQUE]


class EntrepriseQuerySet(models.QuerySet):
    def structures_insertion(self):
        return self.filter(type_structure__in=TypeStructure.insertion())

    def recherche(self, texte: str):
        """Companies whose name holds every word of ``texte`` (accents and case ignored), or
        whose identifier holds ``texte`` with or without its spaces (« 123 456 789 »)."""
        texte = (texte or "").strip()
        if not texte:
            return self
        nom = models.Q()
        for mot in texte.split():
            nom &= models.Q(raison_sociale__contient=mot) | models.Q(nom_commercial__contient=mot)
        return self.filter(nom | models.Q(identifiant__contient_compact=texte))


class Entreprise(Versionne):
    genre_grammatical = grammaire.FEMININ
    type_identifiant = models.CharField(
        "type d'identifiant",
        max_length=10,
        choices=TypeIdentifiant.choices,
        default=TypeIdentifiant.SIRET,
    )
    identifiant = models.CharField(
        "identifiant (SIRET)",
        max_length=32,
        help_text="14 chiffres pour un SIRET ; sinon l'identifiant publié (TVA, étranger…).",
    )
    raison_sociale = models.CharField("raison sociale", max_length=200)
    nom_commercial = models.CharField("nom commercial", max_length=200, blank=True)
    type_structure = models.CharField(
        "type de structure",
        max_length=12,
        choices=TypeStructure.choices,
        default=TypeStructure.CLASSIQUE,
    )
    code_naf = models.CharField("code NAF", max_length=6, blank=True)
    adresse = models.CharField("adresse", max_length=250, blank=True)
    code_postal = models.CharField("code postal", max_length=10, blank=True)
    commune = models.CharField("commune", max_length=120, blank=True)
    telephone = models.CharField("téléphone", max_length=30, blank=True)
    email = models.EmailField("e-mail", blank=True)
    notes = models.TextField("notes", blank=True)
    active = models.BooleanField("active", default=True)
    history = HistoricalRecords()

    objects = EntrepriseQuerySet.as_manager()

    class Meta:
        verbose_name = "entreprise"
        verbose_name_plural = "entreprises"
        ordering = ["raison_sociale"]
        constraints = [
            models.UniqueConstraint(
                fields=["type_identifiant", "identifiant"], name="entreprise_identifiant_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(identifiant=""), name="entreprise_identifiant_non_vide"
            ),
        ]
        indexes = [
            models.Index(fields=["raison_sociale"]),
            models.Index(fields=["type_structure"]),
            models.Index(fields=["commune"]),
        ]

    def __str__(self) -> str:
        return self.raison_sociale

    def get_absolute_url(self) -> str:
        return reverse("entreprises:detail", args=[self.pk])

    @property
    def siret(self) -> str:
        return self.identifiant if self.type_identifiant == TypeIdentifiant.SIRET else ""

    @property
    def siren(self) -> str:
        return self.siret[:9]

    @property
    def est_structure_insertion(self) -> bool:
        return self.type_structure in TypeStructure.insertion()

    def clean(self):
        super().clean()
        # An empty identifier is reported by clean_fields() (required field), not twice here.
        if self.type_identifiant == TypeIdentifiant.SIRET and self.identifiant:
            valeur = (self.identifiant or "").replace(" ", "")
            try:
                self.identifiant = stdnum_siret.validate(valeur)
            except Exception:
                raise ValidationError(
                    {
                        "identifiant": "SIRET invalide : 14 chiffres attendus, avec une clé de "
                        "contrôle correcte."
                    }
                ) from None


class Contact(Versionne):
    entreprise = models.ForeignKey(
        Entreprise, verbose_name="entreprise", on_delete=models.CASCADE, related_name="contacts"
    )
    civilite = models.CharField(
        "civilité", max_length=4, choices=[("Mme", "Mme"), ("M.", "M.")], blank=True
    )
    nom = models.CharField("nom", max_length=120)
    prenom = models.CharField("prénom", max_length=120, blank=True)
    fonction = models.CharField("fonction", max_length=120, blank=True)
    email = models.EmailField("e-mail", blank=True)
    telephone = models.CharField("téléphone", max_length=30, blank=True)
    principal = models.BooleanField("contact principal", default=False)
    destinataire_relances = models.BooleanField("reçoit les relances d'heures", default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "contact"
        verbose_name_plural = "contacts"
        ordering = ["entreprise", "-principal", "nom"]
        constraints = [
            models.UniqueConstraint(
                fields=["entreprise"],
                condition=models.Q(principal=True),
                name="contact_un_seul_principal",
            )
        ]

    def __str__(self) -> str:
        return " ".join(p for p in (self.civilite, self.prenom, self.nom) if p)
