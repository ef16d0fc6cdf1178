"""Attestations: gapless numbering, the PDF (letterhead, hours, QR code), its fingerprint.

An issued attestation never changes: its PDF and SHA-256 are stored once. A correction issues
a new attestation that replaces the old one (status « remplacée », still downloadable).
Numbers ``ATT-YYYY-MM-NNNNN`` come from a counter row locked in the same transaction as the
attestation, so a rollback leaves no gap and two workers never get the same number.
"""

import hashlib
import secrets
from dataclasses import dataclass
from decimal import Decimal

import segno
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from heures import selectors
from heures.models import (
    Attestation,
    CompteurNumero,
    DeclarationMensuelle,
    StatutAttestation,
    StatutDeclaration,
    TypeAttestation,
)
from mife.core import formats
from mife.core.models import Parametres


def numero_suivant(prefixe: str) -> str:
    """Next number of ``prefixe`` (e.g. ``ATT-2026-10``); call inside a transaction."""
    CompteurNumero.objects.get_or_create(prefixe=prefixe)
    compteur = CompteurNumero.objects.select_for_update().get(prefixe=prefixe)
    compteur.dernier += 1
    compteur.save(update_fields=["dernier"])
    return f"{prefixe}-{compteur.dernier:05d}"


def url_verification(code: str) -> str:
    chemin = reverse("verifier_attestation", args=[code])
    base = (Parametres.get().url_publique or settings.SITE_URL).rstrip("/")
    return f"{base}{chemin}"


@dataclass
class LigneAttestation:
    personne: str
    mission: str
    modalite: str
    heures: Decimal


def _lignes(declaration: DeclarationMensuelle, parametres: Parametres) -> list[LigneAttestation]:
    lignes = declaration.lignes.select_related("mission__participant").order_by(
        "mission__participant__nom", "mission__reference"
    )
    return [
        LigneAttestation(
            personne=(
                str(ligne.mission.participant)
                if parametres.identite_sur_attestations
                else ligne.mission.participant.initiales
            ),
            mission=ligne.mission.reference,
            modalite=ligne.mission.get_modalite_display(),
            heures=ligne.heures,
        )
        for ligne in lignes
    ]


def _pdf(attestation: Attestation, lignes: list[LigneAttestation]) -> bytes:
    from weasyprint import HTML

    parametres = Parametres.get()
    lien = url_verification(attestation.code_verification)
    qr = segno.make(
        lien if lien.startswith("http") else f"https://verifier.invalid{lien}", error="m"
    )
    html = render_to_string(
        "heures/attestation_pdf.html",
        {
            "a": attestation,
            "lot": attestation.lot,
            "lignes": lignes,
            "parametres": parametres,
            "lien": lien,
            "qr_svg": qr.svg_inline(scale=3, dark="#000"),
            "police": finders.find("fonts/DejaVuSans.ttf"),
            "police_grasse": finders.find("fonts/DejaVuSans-Bold.ttf"),
            "logo": parametres.logo.path if parametres.logo else "",
            "signature": parametres.signature.path if parametres.signature else "",
            "reste": max(attestation.heures_requises - attestation.cumul_heures, Decimal("0")),
        },
    )
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def _enregistrer_fichier(attestation: Attestation, contenu: bytes) -> None:
    attestation.sha256 = hashlib.sha256(contenu).hexdigest()
    attestation.fichier.save(f"{attestation.numero}.pdf", ContentFile(contenu), save=False)
    attestation.save(update_fields=["sha256", "fichier"])


@transaction.atomic
def emettre_mensuelle(declaration: DeclarationMensuelle, user=None) -> Attestation:
    """Issue the monthly attestation of a validated declaration (idempotent: an attestation
    already issued for this declaration is returned as is)."""
    declaration = DeclarationMensuelle.objects.select_for_update().get(pk=declaration.pk)
    if declaration.statut != StatutDeclaration.VALIDEE:
        raise ValueError("Seule une déclaration validée donne lieu à une attestation.")
    existante = declaration.attestations.filter(statut=StatutAttestation.EMISE).first()
    if existante is not None:
        return existante
    lot = declaration.lot
    clause = getattr(lot, "clause", None)
    parametres = Parametres.get()
    attestation = Attestation.objects.create(
        numero=numero_suivant(f"ATT-{declaration.mois:%Y-%m}"),
        type=TypeAttestation.MENSUELLE,
        declaration=declaration,
        lot=lot,
        entreprise=declaration.entreprise,
        mois=declaration.mois,
        total_heures=selectors.heures_declarees(declaration),
        cumul_heures=selectors.heures_realisees_lot_jusqu_a(lot, declaration.mois),
        heures_requises=clause.heures_requises if clause else Decimal("0"),
        code_verification=secrets.token_urlsafe(12),
        emise_par=user,
    )
    _enregistrer_fichier(attestation, _pdf(attestation, _lignes(declaration, parametres)))
    # A correction: the attestation of the version it replaces is marked « remplacée ».
    precedente = declaration.remplace
    if precedente is not None:
        Attestation.objects.filter(declaration=precedente, statut=StatutAttestation.EMISE).update(
            statut=StatutAttestation.REMPLACEE, remplacee_par=attestation
        )
    return attestation


def verification(code: str) -> dict | None:
    """What the public verification page shows (nothing personal)."""
    attestation = (
        Attestation.objects.select_related("entreprise", "lot__marche__donneur_ordre")
        .filter(code_verification=code)
        .first()
    )
    if attestation is None:
        return None
    return {
        "valide": attestation.statut == StatutAttestation.EMISE,
        "statut": attestation.get_statut_display(),
        "numero": attestation.numero,
        "type": attestation.get_type_display(),
        "entreprise": attestation.entreprise.raison_sociale,
        "lot": str(attestation.lot),
        "donneur_ordre": attestation.lot.marche.donneur_ordre.nom,
        "mois": formats.mois_fr(attestation.mois),
        "total_heures": formats.heures(attestation.total_heures),
        "emise_le": formats.date_fr(timezone.localtime(attestation.emise_le).date()),
        "remplacee_par": attestation.remplacee_par.numero if attestation.remplacee_par else "",
    }


def declarations_a_attester(mois):
    """Validated declarations of ``mois`` that have no issued attestation yet."""
    return (
        DeclarationMensuelle.objects.filter(mois=mois, statut=StatutDeclaration.VALIDEE)
        .exclude(attestations__statut=StatutAttestation.EMISE)
        .order_by("pk")
    )


def emettre_mois(mois, user=None, progression=None) -> list[Attestation]:
    """Issue every missing monthly attestation of ``mois``, one transaction each.

    Re-running issues nothing twice (each declaration is locked and checked); a run stopped in
    the middle is finished by the next one. ``progression(faites, total)`` is called after each.
    """
    a_faire = list(declarations_a_attester(mois).values_list("pk", flat=True))
    emises = []
    for rang, pk in enumerate(a_faire, start=1):
        emises.append(emettre_mensuelle(DeclarationMensuelle(pk=pk), user))
        if progression is not None:
            progression(rang, len(a_faire))
    return emises


def attestations_du_mois(mois):
    return (
        Attestation.objects.filter(mois=mois, type=TypeAttestation.MENSUELLE)
        .select_related("entreprise", "lot__marche")
        .order_by("numero")
    )


def realisation_possible(lot) -> tuple[bool, str]:
    """Whether the end-of-obligation attestation can be issued for ``lot``, and why not."""
    clause = getattr(lot, "clause", None)
    if clause is None or not clause.heures_requises:
        return False, "Ce lot n'a pas d'heures d'insertion requises."
    if lot.attestations.filter(
        type=TypeAttestation.REALISATION, statut=StatutAttestation.EMISE
    ).exists():
        return False, "L'attestation de réalisation de ce lot est déjà émise."
    cumul = selectors.heures_realisees_lot(lot)
    if cumul < clause.heures_requises and not lot.cloture_le:
        return False, (
            f"Obligation non atteinte ({formats.heures(cumul)} sur "
            f"{formats.heures(clause.heures_requises)}) : clôturez le lot avec un motif pour "
            "émettre une attestation avec écart."
        )
    return True, ""


@transaction.atomic
def emettre_realisation(lot, user=None) -> Attestation:
    """Issue the attestation de réalisation of a lot whose validated hours reach the hours
    required, or which was closed with a shortfall (its closing reason is printed)."""
    from marches.models import Lot

    lot = Lot.objects.select_for_update(of=("self",)).select_related("clause").get(pk=lot.pk)
    possible, raison = realisation_possible(lot)
    if not possible:
        raise ValueError(raison)
    cumul = selectors.heures_realisees_lot(lot)
    motif = ""
    if cumul < lot.clause.heures_requises:
        motif = (
            f"Lot clôturé le {formats.date_fr(lot.cloture_le)} avec un écart : {lot.motif_cloture}"
        )
    aujourdhui = timezone.localdate()
    attestation = Attestation.objects.create(
        numero=numero_suivant(f"ATT-{aujourdhui:%Y-%m}"),
        type=TypeAttestation.REALISATION,
        lot=lot,
        entreprise=lot.titulaire,
        total_heures=cumul,
        cumul_heures=cumul,
        heures_requises=lot.clause.heures_requises,
        code_verification=secrets.token_urlsafe(12),
        motif=motif,
        emise_par=user,
    )
    _enregistrer_fichier(attestation, _pdf(attestation, _lignes_lot(lot)))
    return attestation


def _lignes_lot(lot) -> list[LigneAttestation]:
    """Validated hours of the whole lot, per mission (for the attestation de réalisation)."""
    parametres = Parametres.get()
    missions = selectors.annoter_heures_validees_missions(
        lot.missions.select_related("participant").order_by("participant__nom", "reference")
    )
    return [
        LigneAttestation(
            personne=str(m.participant)
            if parametres.identite_sur_attestations
            else m.participant.initiales,
            mission=m.reference,
            modalite=m.get_modalite_display(),
            heures=m.heures_validees,
        )
        for m in missions
        if m.heures_validees
    ]
