"""Recruitment needs and the « mise en relation »: proposals followed up to a mission.

A company records a need on a lot; the facilitator proposes participants; each proposal goes
proposé → entretien → retenu / non retenu (a proposal may also be declined before any
interview); a retained proposal becomes a mission (same rules as any mission). A need is
« pourvu » as soon as as many proposals are retained as it has posts, « ouvert » otherwise,
unless it was cancelled.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from heures import selectors
from heures.models import (
    BesoinRecrutement,
    CritereParticipant,
    Mission,
    Participant,
    Proposition,
    StatutBesoin,
    StatutProposition,
)
from heures.services import missions as missions_service
from mife.core import formats, grammaire
from mife.core.concurrence import ConflitDeVersion, enregistrer_versionne

#: Allowed moves of a proposal (the others are refused).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    StatutProposition.PROPOSE: (StatutProposition.ENTRETIEN, StatutProposition.NON_RETENU),
    StatutProposition.ENTRETIEN: (StatutProposition.RETENU, StatutProposition.NON_RETENU),
    StatutProposition.RETENU: (),
    StatutProposition.NON_RETENU: (),
}


def transitions_possibles(proposition: Proposition) -> tuple[str, ...]:
    if proposition.besoin.statut == StatutBesoin.ANNULE:
        return ()
    return TRANSITIONS[proposition.statut]


# --- needs -------------------------------------------------------------------------------------


def verifier_besoin(besoin: BesoinRecrutement) -> None:
    erreurs: dict[str, list[str]] = {}
    try:
        besoin.full_clean(validate_unique=False)
    except ValidationError as erreur:
        erreurs.update(erreur.message_dict)
    lot = besoin.lot if besoin.lot_id else None
    if lot is not None:
        if besoin.entreprise_id and not missions_service.employeur_autorise(lot, besoin.entreprise):
            erreurs.setdefault("entreprise", []).append(
                "L'entreprise doit être le titulaire du lot, l'un de ses cotraitants ou "
                "sous-traitants, ou une structure d'insertion (ETTI, AI, GEIQ, EI, ACI, EA…)."
            )
        periode = missions_service.erreurs_periode_lot(lot, besoin.date_debut, besoin.date_fin)
        for champ, message in periode.items():
            erreurs.setdefault(champ, []).append(message)
    if erreurs:
        raise ValidationError(erreurs)


def nombre_retenus(besoin: BesoinRecrutement) -> int:
    return besoin.propositions.filter(statut=StatutProposition.RETENU).count()


def _recalculer_statut(besoin: BesoinRecrutement) -> None:
    if besoin.statut == StatutBesoin.ANNULE:
        return
    besoin.statut = (
        StatutBesoin.POURVU
        if nombre_retenus(besoin) >= besoin.nombre_postes
        else StatutBesoin.OUVERT
    )


@transaction.atomic
def enregistrer_besoin(besoin: BesoinRecrutement, version_lue: int | None, user):
    """Create or update a need (its status follows the number of posts and retained)."""
    verifier_besoin(besoin)
    if besoin.pk is not None:
        _recalculer_statut(besoin)
    return enregistrer_versionne(besoin, version_lue or 0, user=user)


@transaction.atomic
def changer_statut_besoin(besoin: BesoinRecrutement, annuler: bool, version_lue, user):
    """Cancel a need, or reopen a cancelled one (its status then follows the retained)."""
    if annuler:
        if besoin.statut == StatutBesoin.ANNULE:
            raise ValidationError("Ce besoin est déjà annulé.")
        besoin.statut = StatutBesoin.ANNULE
    else:
        if besoin.statut != StatutBesoin.ANNULE:
            raise ValidationError("Seul un besoin annulé peut être rouvert.")
        besoin.statut = StatutBesoin.OUVERT
        _recalculer_statut(besoin)
    return enregistrer_versionne(besoin, version_lue or 0, user=user)


# --- proposals ---------------------------------------------------------------------------------


@transaction.atomic
def proposer(besoin: BesoinRecrutement, participant: Participant, user, commentaire: str = ""):
    """Put a participant forward for an open need (once per need)."""
    besoin = BesoinRecrutement.objects.select_for_update().get(pk=besoin.pk)
    if besoin.statut != StatutBesoin.OUVERT:
        raise ValidationError(
            f"Ce besoin est {besoin.get_statut_display().lower()} : on n'y propose plus personne."
        )
    if participant.anonymise_le:
        raise ValidationError("Ce participant est anonymisé : il ne peut pas être proposé.")
    if Proposition.objects.filter(besoin=besoin, participant=participant).exists():
        raise ValidationError(
            f"{participant} est déjà {grammaire.accorde('proposé', participant)} pour ce besoin."
        )
    proposition = Proposition(
        besoin=besoin,
        participant=participant,
        date_proposition=timezone.localdate(),
        commentaire=commentaire,
    )
    return enregistrer_versionne(proposition, 0, user=user)


@transaction.atomic
def changer_statut(
    proposition: Proposition, statut: str, version_lue: int | None, user, commentaire: str = ""
) -> Proposition:
    """Move a proposal along its allowed transitions; retaining may fill the need."""
    besoin = BesoinRecrutement.objects.select_for_update().get(pk=proposition.besoin_id)
    proposition = (
        Proposition.objects.select_for_update(of=("self",))
        .select_related("modifie_par")
        .get(pk=proposition.pk)
    )
    proposition.besoin = besoin
    if version_lue is not None and proposition.version != version_lue:
        raise ConflitDeVersion(proposition)
    if statut not in transitions_possibles(proposition):
        cible = StatutProposition(statut).label if statut in StatutProposition.values else statut
        raise ValidationError(
            f"Passage de « {proposition.get_statut_display()} » à « {cible} » impossible."
        )
    if statut == StatutProposition.RETENU and besoin.statut != StatutBesoin.OUVERT:
        raise ValidationError(
            f"Le besoin est {besoin.get_statut_display().lower()} : "
            + grammaire.pluriel(besoin.nombre_postes, "poste déjà pourvu", "postes déjà pourvus")
            + "."
        )
    jour = timezone.localdate()
    proposition.statut = statut
    if statut == StatutProposition.ENTRETIEN and not proposition.date_entretien:
        proposition.date_entretien = jour
    if statut in (StatutProposition.RETENU, StatutProposition.NON_RETENU):
        proposition.date_decision = jour
    if commentaire.strip():
        proposition.commentaire = "\n".join(
            filter(None, [proposition.commentaire, commentaire.strip()])
        )
    enregistrer_versionne(proposition, proposition.version, user=user)
    if statut == StatutProposition.RETENU:
        ancien = besoin.statut
        _recalculer_statut(besoin)
        if besoin.statut != ancien:
            enregistrer_versionne(besoin, besoin.version, user=user)
    return proposition


@transaction.atomic
def enregistrer_proposition(proposition: Proposition, version_lue: int | None, user):
    """Edit a proposal's dates and comment (its status moves through ``changer_statut``)."""
    proposition.full_clean(validate_unique=False)
    if proposition.date_entretien and proposition.date_entretien < proposition.date_proposition:
        raise ValidationError(
            {"date_entretien": "L'entretien ne peut pas précéder la proposition."}
        )
    return enregistrer_versionne(proposition, version_lue or 0, user=user)


def mission_preremplie(proposition: Proposition) -> Mission:
    """The mission a retained proposal becomes: lot, employer, dates, post from the need."""
    besoin = proposition.besoin
    return Mission(
        participant=proposition.participant,
        lot=besoin.lot,
        employeur=besoin.entreprise,
        modalite=besoin.modalite,
        type_contrat=besoin.type_contrat,
        poste=besoin.poste,
        date_debut=besoin.date_debut,
        date_fin=besoin.date_fin,
        heures_prevues=besoin.heures_prevues,
    )


@transaction.atomic
def creer_mission(proposition: Proposition, mission: Mission, user) -> Mission:
    """Create the mission of a retained proposal (every mission rule applies) and link it."""
    proposition = (
        Proposition.objects.select_for_update(of=("self",))
        .select_related("mission")
        .get(pk=proposition.pk)
    )
    if proposition.statut != StatutProposition.RETENU:
        raise ValidationError(
            "Seule une proposition retenue devient une mission "
            f"(celle-ci est « {proposition.get_statut_display()} »)."
        )
    if proposition.mission is not None:
        raise ValidationError(
            f"La mission {proposition.mission.reference} a déjà été créée pour cette proposition "
            f"le {formats.date_fr(proposition.mission.cree_le)}."
        )
    mission.participant_id = proposition.participant_id
    mission.lot_id = proposition.besoin.lot_id
    missions_service.enregistrer_mission(mission, None, user)
    proposition.mission = mission
    enregistrer_versionne(proposition, proposition.version, user=user)
    return mission


# --- reading: participants to propose ----------------------------------------------------------


def criteres_du_jour(jour, lookup: str = "criteres_valides") -> Prefetch:
    """Prefetch, as ``criteres_du_jour``, the criteria of participants valid on ``jour``."""
    return Prefetch(
        lookup,
        queryset=CritereParticipant.objects.filter(selectors.criteres_valides_le(jour))
        .select_related("critere")
        .order_by("critere__ordre", "date_validation"),
        to_attr="criteres_du_jour",
    )


def candidats(besoin: BesoinRecrutement, filtres: dict | None = None):
    """Participants eligible on the need's first day, not yet proposed for it (read only).

    ``filtres``: ``q`` (name words), ``commune``, ``critere`` (one valid that day), ``qpv``.
    Each row carries ``criteres_du_jour`` and ``deja_en_mission`` (a mission meets the dates).
    """
    filtres = filtres or {}
    jour = besoin.date_debut
    valides = CritereParticipant.objects.filter(
        selectors.criteres_valides_le(jour), participant=OuterRef("pk")
    )
    missions = Mission.objects.actives_entre(jour, besoin.date_fin).filter(
        participant=OuterRef("pk")
    )
    qs = (
        Participant.objects.filter(anonymise_le__isnull=True)
        .filter(Exists(valides))
        .exclude(pk__in=Proposition.objects.filter(besoin=besoin).values("participant"))
    )
    if critere := filtres.get("critere"):
        qs = qs.filter(Exists(valides.filter(critere=critere)))
    if commune := (filtres.get("commune") or "").strip():
        qs = qs.filter(commune__contient=commune)
    for mot in (filtres.get("q") or "").split():
        qs = qs.filter(Q(nom__contient=mot) | Q(prenom__contient=mot))
    if filtres.get("qpv"):
        qs = qs.filter(resident_qpv=True)
    return (
        qs.annotate(deja_en_mission=Exists(missions))
        .prefetch_related(criteres_du_jour(jour))
        .order_by("nom", "prenom", "pk")
    )
