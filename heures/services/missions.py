"""Missions: the rules a placement must meet, its reference, its saving.

Every rule gives a French message on the field it concerns, and nothing is saved unless all
of them hold (one transaction). Views, the admin-free pages and the « mise en relation »
all save missions through ``enregistrer_mission``.

Rules:
- the employer is the lot's titulaire, one of its co- or subcontractors, or an insertion
  provider (SIAE, GEIQ, EA… — ``TypeStructure.insertion()``);
- the mission's dates lie within its lot's execution period; its end is not before its start;
- the participant is eligible on the first day (``selectors.eligibilite``), otherwise a
  reason for the override is required — and kept in the history;
- a sortie needs an end date; the situation six months later needs a sortie;
- two missions of the same participant on the same lot do not overlap.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from entreprises.models import Entreprise, TypeStructure
from heures import selectors
from heures.models import CompteurNumero, Mission, Participant
from marches.models import Lot
from mife.core import formats
from mife.core.concurrence import enregistrer_versionne

PREFIXE = "MIS"
MOTIF_EMPLOYEUR = (
    "L'employeur doit être le titulaire du lot, l'un de ses cotraitants ou sous-traitants, "
    "ou une structure d'insertion (ETTI, AI, GEIQ, EI, ACI, EA…)."
)


# --- reference ---------------------------------------------------------------------------------


def reference_suivante(annee: int) -> str:
    """Next free ``MIS-YYYY-NNNN``; call inside the transaction that saves the mission.

    The counter row of the year is locked (``select_for_update``) until the transaction ends,
    so two concurrent creations never get the same number, and a rolled-back creation gives
    its number back. References written by other means (demo data, imports) are skipped.
    """
    prefixe = f"{PREFIXE}-{annee}"
    CompteurNumero.objects.get_or_create(prefixe=prefixe)
    compteur = CompteurNumero.objects.select_for_update().get(prefixe=prefixe)
    numero = compteur.dernier + 1
    while Mission.objects.filter(reference=f"{prefixe}-{numero:04d}").exists():
        numero += 1
    compteur.dernier = numero
    compteur.save(update_fields=["dernier"])
    return f"{prefixe}-{numero:04d}"


# --- rules -------------------------------------------------------------------------------------


def employeurs_possibles(lot: Lot):
    """Companies that may employ a participant on ``lot`` (queryset)."""
    return Entreprise.objects.filter(
        Q(pk=lot.titulaire_id)
        | Q(lots_cotraitant=lot)
        | Q(lots_sous_traitant=lot)
        | Q(type_structure__in=TypeStructure.insertion())
    ).distinct()


def employeur_autorise(lot: Lot, entreprise: Entreprise) -> bool:
    if entreprise.pk == lot.titulaire_id or entreprise.est_structure_insertion:
        return True
    return (
        lot.cotraitants.filter(pk=entreprise.pk).exists()
        or lot.sous_traitants.filter(pk=entreprise.pk).exists()
    )


def erreurs_periode_lot(lot: Lot, debut: date | None, fin: date | None) -> dict[str, str]:
    """Messages for dates outside the lot's execution period (keyed by field name)."""
    erreurs: dict[str, str] = {}
    periode = _periode(lot)
    if debut and lot.date_debut and debut < lot.date_debut:
        erreurs["date_debut"] = f"Le début est antérieur au début d'exécution du lot ({periode})."
    elif debut and lot.date_fin and debut > lot.date_fin:
        erreurs["date_debut"] = f"Le début est postérieur à la fin d'exécution du lot ({periode})."
    if fin and lot.date_fin and fin > lot.date_fin:
        erreurs["date_fin"] = f"La fin dépasse la fin d'exécution du lot ({periode})."
    return erreurs


def _periode(lot: Lot) -> str:
    if lot.date_debut and lot.date_fin:
        return f"du {formats.date_fr(lot.date_debut)} au {formats.date_fr(lot.date_fin)}"
    if lot.date_debut:
        return f"à partir du {formats.date_fr(lot.date_debut)}"
    return f"jusqu'au {formats.date_fr(lot.date_fin)}"


def missions_chevauchantes(mission: Mission):
    """Other missions of the same participant on the same lot whose dates meet this one's."""
    autres = Mission.objects.filter(participant=mission.participant_id, lot=mission.lot_id)
    if mission.pk:
        autres = autres.exclude(pk=mission.pk)
    return autres.actives_entre(mission.date_debut, mission.date_fin).order_by("date_debut")


def _decrire(mission: Mission) -> str:
    fin = f"au {formats.date_fr(mission.date_fin)}" if mission.date_fin else "sans date de fin"
    return f"{mission.reference} (du {formats.date_fr(mission.date_debut)} {fin})"


def verifier(mission: Mission) -> None:
    """Raise a ValidationError with one French message per faulty field; changes nothing
    except ``date_sortie`` (defaults to the end date when a sortie is given)."""
    erreurs: dict[str, list[str]] = {}

    def ajouter(champ: str, message: str) -> None:
        erreurs.setdefault(champ, []).append(message)

    # Field-level checks of the model (choices, required fields, bounds) and its clean().
    try:
        mission.full_clean(exclude=["reference"], validate_unique=False)
    except ValidationError as erreur:
        for champ, messages in erreur.message_dict.items():
            for message in messages:
                ajouter(champ, message)

    participant = mission.participant if mission.participant_id else None
    lot = mission.lot if mission.lot_id else None
    debut, fin = mission.date_debut, mission.date_fin

    if participant is not None and participant.anonymise_le:
        ajouter(
            "participant",
            "Ce participant est anonymisé : aucune mission ne peut lui être attribuée.",
        )

    if lot is not None:
        if mission.employeur_id and not employeur_autorise(lot, mission.employeur):
            ajouter("employeur", MOTIF_EMPLOYEUR)
        for champ, message in erreurs_periode_lot(lot, debut, fin).items():
            ajouter(champ, message)

    if mission.sortie and not mission.date_sortie and fin:
        mission.date_sortie = fin
    if mission.date_sortie:
        if not mission.sortie:
            ajouter("sortie", "Indiquez la sortie correspondant à la date de sortie.")
        if debut and mission.date_sortie < debut:
            ajouter("date_sortie", "La date de sortie précède le début de la mission.")
    if mission.situation_six_mois and not mission.sortie:
        ajouter(
            "situation_six_mois",
            "La situation six mois après suppose une sortie : indiquez d'abord la sortie.",
        )

    if participant is not None and debut:
        eligibilite = selectors.eligibilite(participant, debut)
        if not eligibilite.eligible and not mission.motif_derogation_eligibilite.strip():
            ajouter(
                "motif_derogation_eligibilite",
                f"{participant} n'a aucun critère d'éligibilité valable au "
                f"{formats.date_fr(debut)} : indiquez le motif de la dérogation, ou "
                "faites d'abord valider un critère.",
            )

    if participant is not None and lot is not None and debut and not (fin and fin < debut):
        autres = list(missions_chevauchantes(mission)[:3])
        if autres:
            ajouter(
                "date_debut",
                "Ces dates chevauchent une autre mission de ce participant sur ce lot : "
                + ", ".join(_decrire(m) for m in autres)
                + ".",
            )

    if erreurs:
        raise ValidationError(erreurs)


# --- saving ------------------------------------------------------------------------------------


def derogation_appliquee(mission: Mission) -> bool:
    """The participant is not eligible on the first day and a reason was given."""
    return (
        bool(mission.motif_derogation_eligibilite.strip())
        and not selectors.eligibilite(mission.participant, mission.date_debut).eligible
    )


@transaction.atomic
def enregistrer_mission(mission: Mission, version_lue: int | None, user) -> Mission:
    """Check every rule, then create (with a new reference) or update the mission.

    The participant's row is locked first, so two concurrent saves for the same person are
    checked one after the other (no overlapping missions slip through). A stale
    ``version_lue`` raises ``ConflitDeVersion`` (who changed it, when).
    """
    if mission.participant_id:
        Participant.objects.select_for_update().filter(pk=mission.participant_id).first()
    verifier(mission)
    if derogation_appliquee(mission):
        jour = formats.date_fr(mission.date_debut)
        motif = mission.motif_derogation_eligibilite.strip()
        # The full reason is the mission's own field (kept in the history at each version).
        mission._change_reason = f"Dérogation à l'éligibilité au {jour} : {motif}"[:100]
    if mission.pk is None:
        mission.reference = reference_suivante(mission.date_debut.year)
    return enregistrer_versionne(mission, version_lue or 0, user=user)
