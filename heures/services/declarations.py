"""Monthly declarations of hours: entry, workflow and corrections.

brouillon → soumise → validée, or rejetée (with a reason) and back to brouillon on the next
edit. Only the admin staff (permission ``heures.valider_declaration``, checked by the views)
validates or rejects; with the four-eyes setting (``Parametres.validation_quatre_yeux``, on
by default) never the person who entered or submitted the declaration (``peut_valider``).
A validated declaration is locked: a correction creates a new version
(copy of the lines, with a reason); the validated one keeps counting until the new version
is validated, then it becomes « remplacée ». Concurrent edits are refused (version field).
"""

import re
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from heures.models import DeclarationMensuelle, LigneDeclaration, Mission, StatutDeclaration
from mife.core.concurrence import ConflitDeVersion, enregistrer_versionne
from mife.core.models import Parametres

MODIFIABLES = (StatutDeclaration.BROUILLON, StatutDeclaration.REJETEE)
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
    ``heures.valider_declaration`` is checked apart, by ``perms.peut_valider_declaration``.)"""
    if not Parametres.get().validation_quatre_yeux:
        return True
    return user.pk not in auteurs_saisie(declaration)


def dernier_jour(mois: date) -> date:
    suivant = (mois.replace(day=28) + timezone.timedelta(days=4)).replace(day=1)
    return suivant - timezone.timedelta(days=1)


def missions_du_mois(entreprise, lot, mois: date):
    """Missions of ``entreprise`` (as employer) on ``lot`` active during ``mois``."""
    return (
        Mission.objects.filter(lot=lot, employeur=entreprise, date_debut__lte=dernier_jour(mois))
        .exclude(date_fin__lt=mois)
        .select_related("participant")
        .order_by("participant__nom", "participant__prenom", "reference")
    )


def _verrouiller(declaration: DeclarationMensuelle, version_lue: int | None):
    """Lock the row and check that nobody saved it since ``version_lue``."""
    courante = (
        DeclarationMensuelle.objects.select_for_update(of=("self",))
        .select_related("modifie_par")
        .get(pk=declaration.pk)
    )
    if version_lue is not None and courante.version != version_lue:
        raise ConflitDeVersion(courante)
    return courante


def _toucher(declaration: DeclarationMensuelle, user, **champs) -> None:
    for nom, valeur in champs.items():
        setattr(declaration, nom, valeur)
    enregistrer_versionne(declaration, declaration.version, user=user)


@transaction.atomic
def creer(entreprise, lot, mois: date, user) -> DeclarationMensuelle:
    """The current declaration of the month, created as a draft if there is none."""
    mois = mois.replace(day=1)
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
            {"heures": f"{mission.reference} : {heures} h dépasse le plafond de {plafond} h/mois."}
        )
    if mission.date_debut > dernier_jour(mois) or (mission.date_fin and mission.date_fin < mois):
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
    if declaration.statut not in MODIFIABLES:
        raise ValidationError("Seul un brouillon peut être soumis.")
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
    if declaration.statut != StatutDeclaration.SOUMISE:
        raise ValidationError("Seule une déclaration soumise peut être validée.")
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
    if declaration.statut != StatutDeclaration.SOUMISE:
        raise ValidationError("Seule une déclaration soumise peut être rejetée.")
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
    if declaration.statut != StatutDeclaration.VALIDEE:
        raise ValidationError("Seule une déclaration validée se corrige par une nouvelle version.")
    if not (motif or "").strip():
        raise ValidationError({"motif_correction": "Indiquez le motif de la correction."})
    if hasattr(declaration, "remplacee_par"):
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
    return nouvelle


_HEURES_MINUTES = re.compile(r"^(\d{1,3})\s*(?:h|:)\s*(\d{1,2})?$", re.IGNORECASE)
_DECIMAL = re.compile(r"^\d{1,3}(?:[.,]\d+)?$")


def lire_heures(texte) -> Decimal | None:
    """Hours typed by a user or read from a sheet: ``7,5``, ``7.5``, ``7:30``, ``7h30``, ``7h``.

    Empty → None (no line). Raises ValueError with a French message otherwise.
    """
    if texte is None:
        return None
    if isinstance(texte, int | float | Decimal) and not isinstance(texte, bool):
        return Decimal(str(texte))
    valeur = str(texte).strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if not valeur:
        return None
    correspondance = _HEURES_MINUTES.match(valeur)
    if correspondance:
        heures, minutes = int(correspondance.group(1)), int(correspondance.group(2) or 0)
        if minutes >= 60:
            raise ValueError(f"« {texte} » : les minutes doivent être inférieures à 60.")
        return (Decimal(heures) + Decimal(minutes) / 60).quantize(Decimal("0.01"))
    if _DECIMAL.match(valeur):
        return Decimal(valeur.replace(",", "."))
    if valeur.startswith("-"):
        raise ValueError(f"« {texte} » : les heures ne peuvent pas être négatives.")
    raise ValueError(f"« {texte} » n'est pas un nombre d'heures (ex. : 7,5 ou 7h30).")
