"""Read-side rules of the label: the one place where a label's validity is defined.

A label is valid from the day it is obtained (included) to its expiry date (excluded):
``LabelQuerySet.valides_le`` says it in SQL for lists and counts, ``etat_label_le`` for one
label already loaded, ``annoter_etat`` for a list of labels.

Also read here: a dossier's completeness before filing, a session's quorum, the labels to
renew, the public directory and the certificate's verification.
"""

from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date

from django.db import models
from django.utils import timezone

from label.models import (
    STATUTS_EN_COURS,
    ActionLabel,
    Axe,
    DossierLabel,
    Label,
    SessionJury,
    StatutSession,
)
from mife.core import grammaire


class EtatLabel(models.TextChoices):
    """State of a label on a given day (computed, not stored)."""

    A_VENIR = "a_venir", "Pas encore en vigueur"
    VALIDE = "valide", "En cours de validité"
    EXPIRE = "expire", "Expiré"


def etat_label_le(label: Label, jour: date) -> EtatLabel:
    if jour < label.date_obtention:
        return EtatLabel.A_VENIR
    if jour < label.date_expiration:
        return EtatLabel.VALIDE
    return EtatLabel.EXPIRE


def label_courant(entreprise) -> Label | None:
    """The company's most recently obtained label, whatever its state (``None`` if none)."""
    return Label.objects.filter(entreprise=entreprise).order_by("-date_obtention").first()


# --- dossiers: completeness before filing ------------------------------------------------------


@dataclass
class PointCompletude:
    libelle: str
    fait: bool


@dataclass
class Completude:
    """What a dossier has and lacks before it can be filed (« déposé »)."""

    points: list[PointCompletude] = field(default_factory=list)

    @property
    def manquants(self) -> list[str]:
        return [p.libelle for p in self.points if not p.fait]

    @property
    def complet(self) -> bool:
        return not self.manquants

    @property
    def pourcentage(self) -> int:
        if not self.points:
            return 0
        return round(100 * sum(p.fait for p in self.points) / len(self.points))


def manques_action(action: ActionLabel) -> list[str]:
    """What an action lacks (its ``pieces`` should be prefetched)."""
    manques = []
    if not action.description.strip():
        manques.append("la description")
    if not (action.date_debut and action.date_fin):
        manques.append("les dates")
    if action.personnes is None and action.heures is None:
        manques.append("les quantités (personnes ou heures)")
    if not action.pieces.all():
        manques.append("une pièce justificative")
    return manques


def completude(dossier: DossierLabel, actions: list[ActionLabel] | None = None) -> Completude:
    """The checklist of a complete dossier: an eligible diagnosis (first application), at
    least one action on each axis, each action described, dated, quantified and evidenced,
    good practice shared, and the improvement plan's commitments for each of the 3 years."""
    if actions is None:
        actions = list(dossier.actions.prefetch_related("pieces").order_by("axe", "intitule", "pk"))
    points = []
    if not dossier.renouvellement:
        diagnostic = dossier.diagnostic_eligibilite
        points.append(
            PointCompletude(
                "Diagnostic d'éligibilité favorable",
                diagnostic is not None and diagnostic.eligible,
            )
        )
    axes = {a.axe for a in actions}
    for code, libelle in Axe.choices:
        points.append(PointCompletude(f"Au moins une action sur l'axe « {libelle} »", code in axes))
    for action in actions:
        manques = manques_action(action)
        if manques:
            points.append(
                PointCompletude(
                    f"Action « {action.intitule} » : il manque {', '.join(manques)}", False
                )
            )
        else:
            points.append(PointCompletude(f"Action « {action.intitule} » complète", True))
    points.append(
        PointCompletude(
            "Partage des bonnes pratiques décrit", bool(dossier.bonnes_pratiques.strip())
        )
    )
    for rang, champ in enumerate(
        ("engagements_annee1", "engagements_annee2", "engagements_annee3"), start=1
    ):
        annee = "1re" if rang == 1 else f"{rang}e"
        points.append(
            PointCompletude(
                f"Plan d'amélioration : engagements de la {annee} année",
                bool(getattr(dossier, champ).strip()),
            )
        )
    return Completude(points)


def dossier_en_cours(entreprise) -> DossierLabel | None:
    """The company's dossier in progress, if any (there is at most one)."""
    return DossierLabel.objects.filter(entreprise=entreprise, statut__in=STATUTS_EN_COURS).first()


# --- sessions: quorum --------------------------------------------------------------------------


@dataclass
class Quorum:
    convoques: int
    presents: int

    @property
    def requis(self) -> int:
        """More than half of the convened members."""
        return self.convoques // 2 + 1 if self.convoques else 1

    @property
    def atteint(self) -> bool:
        return self.convoques > 0 and self.presents >= self.requis

    def __str__(self) -> str:
        etat = "atteint" if self.atteint else "non atteint"
        return (
            f"Quorum {etat} : {grammaire.pluriel(self.presents, 'présent')} sur "
            f"{grammaire.pluriel(self.convoques, 'membre convoqué', 'membres convoqués')}, "
            f"{self.requis} requis"
        )


def quorum(session: SessionJury, convocations=None) -> Quorum:
    if convocations is None:
        convocations = list(session.convocations.all())
    return Quorum(convoques=len(convocations), presents=sum(1 for c in convocations if c.present))


def session_tenue(session: SessionJury, instant=None) -> bool:
    """The session has taken place: marked « tenue » (or closed) and its time has come."""
    instant = instant or timezone.now()
    return (
        session.statut in (StatutSession.TENUE, StatutSession.CLOTUREE) and session.date <= instant
    )


# --- labels: state in SQL, expiry, directory, verification -------------------------------------

#: Renewal is prepared this long before a label expires (reminder, animator's home).
DELAI_RENOUVELLEMENT_MOIS = 6


def ajouter_mois(jour: date, mois: int) -> date:
    annee, m = divmod(jour.month - 1 + mois, 12)
    annee += jour.year
    m += 1
    return jour.replace(year=annee, month=m, day=min(jour.day, monthrange(annee, m)[1]))


def limite_renouvellement(jour: date) -> date:
    return ajouter_mois(jour, DELAI_RENOUVELLEMENT_MOIS)


def annoter_etat(queryset, jour: date):
    """``etat`` of each label on ``jour``, in SQL: the same rule as ``etat_label_le``."""
    return queryset.annotate(
        etat=models.Case(
            models.When(date_obtention__gt=jour, then=models.Value(EtatLabel.A_VENIR.value)),
            models.When(date_expiration__gt=jour, then=models.Value(EtatLabel.VALIDE.value)),
            default=models.Value(EtatLabel.EXPIRE.value),
            output_field=models.CharField(),
        )
    )


def labels_a_renouveler(jour: date):
    """Labels valid on ``jour`` that expire within the renewal delay."""
    return Label.objects.expirant_avant(jour, limite_renouvellement(jour))


# Sections of the French activity nomenclature (NAF rév. 2) by division (two first digits).
SECTIONS_NAF = (
    (1, 3, "Agriculture, sylviculture et pêche"),
    (5, 9, "Industries extractives"),
    (10, 33, "Industrie manufacturière"),
    (35, 35, "Production et distribution d'énergie"),
    (36, 39, "Eau, assainissement, gestion des déchets"),
    (41, 43, "Construction"),
    (45, 47, "Commerce, réparation d'automobiles"),
    (49, 53, "Transports et entreposage"),
    (55, 56, "Hébergement et restauration"),
    (58, 63, "Information et communication"),
    (64, 66, "Activités financières et d'assurance"),
    (68, 68, "Activités immobilières"),
    (69, 75, "Activités spécialisées, scientifiques et techniques"),
    (77, 82, "Activités de services administratifs et de soutien"),
    (84, 84, "Administration publique"),
    (85, 85, "Enseignement"),
    (86, 88, "Santé humaine et action sociale"),
    (90, 93, "Arts, spectacles et activités récréatives"),
    (94, 96, "Autres activités de services"),
    (97, 98, "Activités des ménages en tant qu'employeurs"),
    (99, 99, "Activités extra-territoriales"),
)


def secteur(code_naf: str) -> str:
    """The activity sector (NAF section) of a company's NAF code; empty if unknown."""
    if not code_naf or not code_naf[:2].isdigit():
        return ""
    division = int(code_naf[:2])
    for debut, fin, libelle in SECTIONS_NAF:
        if debut <= division <= fin:
            return libelle
    return ""


@dataclass(frozen=True)
class FicheAnnuaire:
    """What the public directory and the certificate say about a labelled company."""

    entreprise: str
    commune: str
    secteur: str
    date_obtention: date
    date_expiration: date
    numero: str
    code_verification: str


def fiche_annuaire(label: Label) -> FicheAnnuaire:
    e = label.entreprise
    return FicheAnnuaire(
        entreprise=e.nom_commercial or e.raison_sociale,
        commune=e.commune,
        secteur=secteur(e.code_naf),
        date_obtention=label.date_obtention,
        date_expiration=label.date_expiration,
        numero=label.numero,
        code_verification=label.code_verification,
    )


def annuaire(jour: date, recherche: str = "", commune: str = "", secteur_naf: str = ""):
    """Labels valid on ``jour`` for the public directory (one per company), by name."""
    qs = (
        Label.objects.valides_le(jour)
        .select_related("entreprise")
        .order_by("entreprise__raison_sociale", "pk")
    )
    for mot in (recherche or "").split():
        qs = qs.filter(
            models.Q(entreprise__raison_sociale__contient=mot)
            | models.Q(entreprise__nom_commercial__contient=mot)
        )
    if commune:
        qs = qs.filter(entreprise__commune__iexact=commune)
    if secteur_naf:
        bornes = next(((d, f) for d, f, lib in SECTIONS_NAF if lib == secteur_naf), None)
        if bornes is None:
            return qs.none()
        divisions = [f"{n:02d}" for n in range(bornes[0], bornes[1] + 1)]
        condition = models.Q()
        for division in divisions:
            condition |= models.Q(entreprise__code_naf__startswith=division)
        qs = qs.filter(condition)
    return qs


def communes_annuaire(jour: date) -> list[str]:
    return sorted(
        {
            c
            for c in Label.objects.valides_le(jour)
            .values_list("entreprise__commune", flat=True)
            .distinct()
            if c
        }
    )


def verification_label(code: str, jour: date) -> dict | None:
    """What the public verification page of a certificate shows (the directory's fields)."""
    if not code:
        return None
    label = Label.objects.select_related("entreprise").filter(code_verification=code).first()
    if label is None:
        return None
    return {"fiche": fiche_annuaire(label), "etat": etat_label_le(label, jour)}
