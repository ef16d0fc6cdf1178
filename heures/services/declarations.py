"""Monthly declarations of hours: entry, workflow and corrections.

brouillon → soumise → validée, or rejetée (with a reason) and back to brouillon on the next
edit. Only the admin staff (permission ``heures.valider_declaration``) validates or rejects:
``TRANSITIONS`` says who may do what from which status, and ``transitions_permises`` is what
the pages show and accept; with the four-eyes setting
(``Parametres.validation_quatre_yeux``, on by default) never the person who entered or
submitted the declaration (``peut_valider``). A validated declaration is locked: a
correction creates a new
version (copy of the lines, with a reason); the validated one keeps counting until the new
version is validated, then it becomes « remplacée ». Concurrent edits are refused (version
field, required on every change).
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from heures.models import DeclarationMensuelle, LigneDeclaration, Mission, StatutDeclaration
from heures.services import totaux
from mife.core import formats
from mife.core.concurrence import ConflitDeVersion, enregistrer_versionne
from mife.core.models import Parametres
from mife.core.mois import premier_jour

MODIFIABLES = (StatutDeclaration.BROUILLON, StatutDeclaration.REJETEE)
PERMISSION_SAISIE = "heures.change_declarationmensuelle"
VERSION_ABSENTE = (
    "Version de la déclaration absente : rechargez la page puis recommencez (rien n'a été modifié)."
)

MESSAGE_QUATRE_YEUX = (
    "Validation à quatre yeux : vous avez saisi ou soumis cette déclaration, une autre "
    "personne doit la valider."
)


def auteurs_saisie(declaration: DeclarationMensuelle) -> set[int]:
    """Who entered or submitted ``declaration``: the authors of its draft and submitted
    states in its history (creation, hours typed or imported, submission), and its submitter.
    Rejecting it does not count: the person who rejected may validate the next submission."""
    auteurs = set(
        DeclarationMensuelle.history.filter(
            id=declaration.pk, statut__in=[StatutDeclaration.BROUILLON, StatutDeclaration.SOUMISE]
        ).values_list("history_user_id", flat=True)
    )
    auteurs.add(declaration.soumise_par_id)
    auteurs.discard(None)
    return auteurs


def peut_valider(declaration: DeclarationMensuelle, user) -> bool:
    """The four-eyes rule: with ``Parametres.validation_quatre_yeux`` (on by default), the
    person who entered or submitted a declaration cannot validate it. (The permission
    ``heures.valider_declaration`` is checked apart, by ``TRANSITIONS``.)"""
    if not Parametres.get().validation_quatre_yeux:
        return True
    return user.pk not in auteurs_saisie(declaration)


@dataclass(frozen=True)
class Transition:
    depuis: tuple[str, ...]  # the statuses it starts from
    permission: str
    refus: str  # why it is refused from any other status


#: The workflow: each action, from which statuses, with which permission.
TRANSITIONS: dict[str, Transition] = {
    "soumettre": Transition(MODIFIABLES, PERMISSION_SAISIE, "Seul un brouillon peut être soumis."),
    "valider": Transition(
        (StatutDeclaration.SOUMISE,),
        "heures.valider_declaration",
        "Seule une déclaration soumise peut être validée.",
    ),
    "rejeter": Transition(
        (StatutDeclaration.SOUMISE,),
        "heures.valider_declaration",
        "Seule une déclaration soumise peut être rejetée.",
    ),
    "corriger": Transition(
        (StatutDeclaration.VALIDEE,),
        PERMISSION_SAISIE,
        "Seule une déclaration validée se corrige par une nouvelle version.",
    ),
}


def _statut_permet(declaration: DeclarationMensuelle, action: str) -> bool:
    if action == "corriger" and declaration.correction_en_cours:
        return False
    return declaration.statut in TRANSITIONS[action].depuis


def transitions_permises(declaration: DeclarationMensuelle, user) -> tuple[str, ...]:
    """The workflow actions ``user`` may take on ``declaration`` now: the buttons shown. Any
    other action posted is refused by the same table: 403 without its permission (the view),
    the French ``refus`` from another status (the services, under lock)."""
    return tuple(
        action
        for action, transition in TRANSITIONS.items()
        if user.has_perm(transition.permission)
        and _statut_permet(declaration, action)
        and (action != "valider" or peut_valider(declaration, user))
    )


def saisie_permise(declaration: DeclarationMensuelle, user) -> bool:
    """Hours may be typed: a draft or rejected declaration, by someone who may change it."""
    return declaration.statut in MODIFIABLES and user.has_perm(PERMISSION_SAISIE)


def missions_du_mois(entreprise, lot, mois: date):
    """Missions of ``entreprise`` (as employer) on ``lot`` active during ``mois``."""
    return (
        Mission.objects.actives_sur_mois(mois)
        .filter(lot=lot, employeur=entreprise)
        .select_related("participant")
        .order_by("participant__nom", "participant__prenom", "reference")
    )


def _verrouiller(declaration: DeclarationMensuelle, version_lue: int | None):
    """Lock the row and check that nobody saved it since ``version_lue`` (required: without
    it, nothing could tell that someone else changed the declaration meanwhile)."""
    if version_lue is None:
        raise ValidationError(VERSION_ABSENTE)
    courante = (
        DeclarationMensuelle.objects.select_for_update(of=("self",))
        .select_related("modifie_par")
        .get(pk=declaration.pk)
    )
    if courante.version != version_lue:
        raise ConflitDeVersion(courante)
    return courante


def _exiger(declaration: DeclarationMensuelle, action: str) -> None:
    if declaration.statut not in TRANSITIONS[action].depuis:
        raise ValidationError(TRANSITIONS[action].refus)


def _toucher(declaration: DeclarationMensuelle, user, **champs) -> None:
    for nom, valeur in champs.items():
        setattr(declaration, nom, valeur)
    enregistrer_versionne(declaration, declaration.version, user=user)


@transaction.atomic
def creer(entreprise, lot, mois: date, user) -> DeclarationMensuelle:
    """The current declaration of the month, created as a draft if there is none."""
    mois = premier_jour(mois)
    existante = (
        DeclarationMensuelle.objects.courantes()
        .filter(entreprise=entreprise, lot=lot, mois=mois)
        .order_by("-numero_version")
        .first()
    )
    if existante is not None:
        return existante
    declaration = DeclarationMensuelle(entreprise=entreprise, lot=lot, mois=mois)
    declaration.full_clean()
    return enregistrer_versionne(declaration, 0, user=user)


def verifier_heures(mission: Mission, heures: Decimal, mois: date, plafond: Decimal) -> None:
    """The rules of one line of hours (grid and Excel import alike); ValidationError if broken."""
    if heures < 0:
        raise ValidationError(
            {"heures": f"{mission.reference} : les heures ne peuvent pas être négatives."}
        )
    if heures.as_tuple().exponent < -2:
        raise ValidationError({"heures": f"{mission.reference} : deux décimales au plus."})
    if heures > plafond:
        raise ValidationError(
            {
                "heures": f"{mission.reference} : {formats.heures(heures)} dépasse le plafond de "
                f"{formats.heures(plafond)}/mois."
            }
        )
    if not mission.active_sur_mois(mois):
        raise ValidationError({"heures": f"{mission.reference} : mission inactive ce mois-ci."})


@transaction.atomic
def enregistrer_lignes(
    declaration: DeclarationMensuelle,
    heures_par_mission: dict[int, Decimal | None],
    version_lue: int | None,
    user,
) -> DeclarationMensuelle:
    """Save the hours of a draft (or rejected) declaration; ``None`` removes a line."""
    declaration = _verrouiller(declaration, version_lue)
    if declaration.statut not in MODIFIABLES:
        statut = declaration.get_statut_display().lower()
        raise ValidationError(f"La déclaration est {statut} : elle ne se modifie plus.")
    plafond = Parametres.get().plafond_heures_mensuel
    missions = {
        m.pk: m for m in missions_du_mois(declaration.entreprise, declaration.lot, declaration.mois)
    }
    for mission_id, heures in heures_par_mission.items():
        mission = missions.get(mission_id)
        if mission is None:
            raise ValidationError(
                {"heures": f"Mission n° {mission_id} : pas active ce mois-ci sur ce lot."}
            )
        if heures is None:
            LigneDeclaration.objects.filter(declaration=declaration, mission=mission).delete()
            continue
        verifier_heures(mission, heures, declaration.mois, plafond)
        LigneDeclaration.objects.update_or_create(
            declaration=declaration, mission=mission, defaults={"heures": heures}
        )
    statut = StatutDeclaration.BROUILLON
    _toucher(declaration, user, statut=statut)
    return declaration


@transaction.atomic
def soumettre(declaration: DeclarationMensuelle, version_lue: int | None, user):
    declaration = _verrouiller(declaration, version_lue)
    _exiger(declaration, "soumettre")
    if not declaration.lignes.exists():
        raise ValidationError("La déclaration ne contient aucune heure : rien à soumettre.")
    _toucher(
        declaration,
        user,
        statut=StatutDeclaration.SOUMISE,
        soumise_le=timezone.now(),
        soumise_par=user,
    )
    return declaration


@transaction.atomic
def valider(declaration: DeclarationMensuelle, version_lue: int | None, user):
    """Validate a submitted declaration, replace the version it corrects, issue the
    attestation. Returns (declaration, attestation)."""
    from heures.services import attestations

    declaration = _verrouiller(declaration, version_lue)
    _exiger(declaration, "valider")
    if not peut_valider(declaration, user):
        raise ValidationError(MESSAGE_QUATRE_YEUX)
    if declaration.remplace_id:
        precedente = DeclarationMensuelle.objects.select_for_update().get(
            pk=declaration.remplace_id
        )
        _toucher(precedente, user, statut=StatutDeclaration.REMPLACEE)
    _toucher(
        declaration,
        user,
        statut=StatutDeclaration.VALIDEE,
        traitee_le=timezone.now(),
        traitee_par=user,
    )
    return declaration, attestations.emettre_mensuelle(declaration, user)


@transaction.atomic
def rejeter(declaration: DeclarationMensuelle, motif: str, version_lue: int | None, user):
    declaration = _verrouiller(declaration, version_lue)
    _exiger(declaration, "rejeter")
    if not (motif or "").strip():
        raise ValidationError({"motif_rejet": "Indiquez le motif du rejet."})
    _toucher(
        declaration,
        user,
        statut=StatutDeclaration.REJETEE,
        motif_rejet=motif.strip(),
        traitee_le=timezone.now(),
        traitee_par=user,
    )
    return declaration


@transaction.atomic
def corriger(declaration: DeclarationMensuelle, motif: str, version_lue: int | None, user):
    """A new draft version of a validated declaration, with its lines copied."""
    declaration = _verrouiller(declaration, version_lue)
    _exiger(declaration, "corriger")
    if not (motif or "").strip():
        raise ValidationError({"motif_correction": "Indiquez le motif de la correction."})
    if declaration.correction_en_cours:
        raise ValidationError("Une correction de cette déclaration est déjà en cours.")
    nouvelle = DeclarationMensuelle(
        entreprise=declaration.entreprise,
        lot=declaration.lot,
        mois=declaration.mois,
        numero_version=declaration.numero_version + 1,
        remplace=declaration,
        motif_correction=motif.strip(),
    )
    enregistrer_versionne(nouvelle, 0, user=user)
    LigneDeclaration.objects.bulk_create(
        LigneDeclaration(
            declaration=nouvelle,
            mission_id=ligne.mission_id,
            heures=ligne.heures,
            commentaire=ligne.commentaire,
        )
        for ligne in declaration.lignes.all()
    )
    totaux.recalculer_declaration(nouvelle.pk)  # bulk_create sends no signal
    return nouvelle


_HEURES_MINUTES = re.compile(r"^(\d{1,3})(?:h|:)(\d{1,2})?(?:min|mn|m)?$", re.IGNORECASE)
_DECIMAL = re.compile(r"^\d{1,3}(?:[.,]\d+)?$")
_DECIMAL_HEURES = re.compile(r"^(\d{1,3}(?:[.,]\d+)?)(?:h|heures?)$", re.IGNORECASE)


def lire_heures(texte) -> Decimal | None:
    """Hours typed by a user or read from a sheet: ``7,5``, ``7.5``, ``7:30``, ``7h30``, ``7h``,
    and the same with spaces or a unit: ``7 h 30``, ``7,5 h``, ``7.5h``, ``7,5 heures``.

    Empty → None (no line). Raises ValueError with a French message otherwise.
    """
    if texte is None:
        return None
    if isinstance(texte, int | float | Decimal) and not isinstance(texte, bool):
        return Decimal(str(texte))
    valeur = re.sub(r"\s", "", str(texte))  # spaces, no-break spaces, thin spaces…
    if not valeur:
        return None
    correspondance = _HEURES_MINUTES.match(valeur)
    if correspondance:
        heures, minutes = int(correspondance.group(1)), int(correspondance.group(2) or 0)
        if minutes >= 60:
            raise ValueError(f"« {texte} » : les minutes doivent être inférieures à 60.")
        return (Decimal(heures) + Decimal(minutes) / 60).quantize(Decimal("0.01"))
    correspondance = _DECIMAL_HEURES.match(valeur)
    if correspondance:
        valeur = correspondance.group(1)
    if _DECIMAL.match(valeur):
        return Decimal(valeur.replace(",", "."))
    if valeur.startswith("-"):
        raise ValueError(f"« {texte} » : les heures ne peuvent pas être négatives.")
    raise ValueError(f"« {texte} » n'est pas un nombre d'heures (ex. : 7,5 ou 7h30).")
