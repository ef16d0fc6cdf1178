"""Attestations: gapless numbering, the PDF (letterhead, hours, QR code), its fingerprint.

An issued attestation never changes: its PDF and SHA-256 are stored once. A correction issues
a new attestation that replaces the old one (status « remplacée », still downloadable).
Numbers ``ATT-YYYY-MM-NNNNN`` come from a counter row locked in the same transaction as the
attestation, so a rollback leaves no gap and two workers never get the same number.

Figures (docs/attestations.md): a monthly attestation prints the company's own validated hours
of the month and its own cumulative on the lot through that month — never the other companies'
hours, so nothing depends on when or in what order declarations were validated. An attestation
de réalisation prints the lot's validated total on its issue date, labelled with that date.
When a later validation changes a printed figure, the attestation is « à réémettre » (derived:
``selectors.annoter_chiffres_actuels``) until ``reemettre`` replaces it by a new numbered one.
"""

import hashlib
import io
import secrets
from dataclasses import dataclass
from decimal import Decimal

import segno
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
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
    return Parametres.get().lien_public(reverse("verifier_attestation", args=[code]))


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


#: What each printed figure means: printed under the figures of the PDF and shown on the public
#: verification page (docs/attestations.md says the same at more length).
DEFINITIONS_MENSUELLE = (
    "Heures du mois : les heures de l'entreprise sur ce lot pendant le mois attesté, selon sa "
    "déclaration validée (la dernière version validée quand elle a été corrigée).",
    "Cumul : les heures validées de l'entreprise sur ce lot, tous mois confondus jusqu'à la fin "
    "du mois attesté. Les heures des autres entreprises du lot n'y entrent pas : ces chiffres ne "
    "dépendent ni de la date d'émission, ni de l'ordre dans lequel les déclarations ont été "
    "validées.",
    "Heures requises : l'obligation d'insertion du lot entier (toutes entreprises), selon la "
    "clause à la date d'émission.",
    "Si une correction validée change l'un de ces chiffres, l'attestation est remplacée par une "
    "nouvelle attestation numérotée ; la page de vérification l'indique.",
)
DEFINITIONS_REALISATION = (
    "Heures réalisées sur le lot : toutes les heures validées du lot (toutes entreprises, tous "
    "mois), telles que validées à la date d'émission indiquée.",
    "Heures requises : l'obligation d'insertion du lot, selon sa clause.",
    "Si une correction validée change ce total, l'attestation est remplacée par une nouvelle "
    "attestation numérotée ; la page de vérification l'indique.",
)


def definitions(attestation: Attestation) -> tuple[str, ...]:
    if attestation.type == TypeAttestation.MENSUELLE:
        return DEFINITIONS_MENSUELLE
    return DEFINITIONS_REALISATION


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
            "logo": parametres.chemin_logo,
            "signature": parametres.chemin_signature,
            "reste": max(attestation.heures_requises - attestation.cumul_heures, Decimal("0")),
            "date_emission": timezone.localtime(attestation.emise_le).date(),
            "definitions": definitions(attestation),
        },
    )
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def _enregistrer_fichier(attestation: Attestation, contenu: bytes) -> None:
    attestation.sha256 = hashlib.sha256(contenu).hexdigest()
    attestation.fichier.save(f"{attestation.numero}.pdf", ContentFile(contenu), save=False)
    attestation.save(update_fields=["sha256", "fichier"])


def chiffres_mensuels(declaration: DeclarationMensuelle) -> tuple[Decimal, Decimal]:
    """(hours of the month, cumulative through the month) of the company of ``declaration`` on
    its lot: the two figures a monthly attestation prints (``selectors`` define them)."""
    entreprise, lot, mois = declaration.entreprise_id, declaration.lot_id, declaration.mois
    return (
        selectors.heures_entreprise_mois(entreprise, lot, mois),
        selectors.heures_entreprise_lot_jusqu_a(entreprise, lot, mois),
    )


def _creer_mensuelle(declaration: DeclarationMensuelle, user, motif: str = "") -> Attestation:
    """A new numbered monthly attestation of a validated declaration (locked by the caller)."""
    lot = declaration.lot
    clause = getattr(lot, "clause", None)
    total, cumul = chiffres_mensuels(declaration)
    attestation = Attestation.objects.create(
        numero=numero_suivant(f"ATT-{declaration.mois:%Y-%m}"),
        type=TypeAttestation.MENSUELLE,
        declaration=declaration,
        lot=lot,
        entreprise=declaration.entreprise,
        mois=declaration.mois,
        total_heures=total,
        cumul_heures=cumul,
        heures_requises=clause.heures_requises if clause else Decimal("0"),
        code_verification=secrets.token_urlsafe(12),
        motif=motif,
        emise_par=user,
    )
    _enregistrer_fichier(attestation, _pdf(attestation, _lignes(declaration, Parametres.get())))
    return attestation


def _remplacer(ancienne: Attestation, nouvelle: Attestation) -> None:
    Attestation.objects.filter(pk=ancienne.pk).update(
        statut=StatutAttestation.REMPLACEE, remplacee_par=nouvelle
    )


@transaction.atomic
def emettre_mensuelle(declaration: DeclarationMensuelle, user=None) -> Attestation:
    """Issue the monthly attestation of a validated declaration (idempotent: an attestation
    already issued for this declaration is returned as is).

    For a correction, the attestation of the version it replaces becomes « remplacée »; the
    attestations of the later months whose figures it changed become « à réémettre »
    (``selectors.attestations_a_reemettre``), re-issued by the suivi with ``reemettre_tout``.
    """
    declaration = (
        DeclarationMensuelle.objects.select_for_update(of=("self",))
        .select_related("lot__clause", "lot__marche__donneur_ordre", "entreprise")
        .get(pk=declaration.pk)
    )
    if declaration.statut != StatutDeclaration.VALIDEE:
        raise ValueError("Seule une déclaration validée donne lieu à une attestation.")
    existante = declaration.attestations.filter(statut=StatutAttestation.EMISE).first()
    if existante is not None:
        return existante
    anciennes = []
    if declaration.remplace_id:
        anciennes = list(
            Attestation.objects.select_for_update().filter(
                declaration_id=declaration.remplace_id, statut=StatutAttestation.EMISE
            )
        )
    motif = ""
    if anciennes:
        numeros = ", ".join(a.numero for a in anciennes)
        motif = (
            f"Remplace l'attestation {numeros} : déclaration corrigée (version "
            f"{declaration.numero_version})"
            + (f" — {declaration.motif_correction}" if declaration.motif_correction else "")
            + "."
        )
    attestation = _creer_mensuelle(declaration, user, motif)
    for ancienne in anciennes:
        _remplacer(ancienne, attestation)
    return attestation


# --- « à réémettre » and re-issue ----------------------------------------------------------------


def a_reemettre_apres(declaration: DeclarationMensuelle):
    """The attestations a validation of ``declaration`` left « à réémettre »: the company's
    later months on the lot, and the lot's attestation de réalisation."""
    return selectors.attestations_a_reemettre().filter(
        Q(type=TypeAttestation.MENSUELLE, entreprise=declaration.entreprise_id)
        | Q(type=TypeAttestation.REALISATION),
        lot=declaration.lot_id,
    )


def _motif_reemission(ancienne: Attestation, total, cumul) -> str:
    emise = formats.date_fr(timezone.localtime(ancienne.emise_le).date())
    changements = []
    if ancienne.type == TypeAttestation.MENSUELLE:
        libelles = (("heures du mois", ancienne.total_heures, total),)
        libelles += (("cumul", ancienne.cumul_heures, cumul),)
    else:
        libelles = (("heures réalisées sur le lot", ancienne.total_heures, total),)
    for libelle, avant, apres in libelles:
        if avant != apres:
            changements.append(f"{libelle} {formats.heures(avant)} → {formats.heures(apres)}")
    return (
        f"Remplace l'attestation {ancienne.numero} du {emise} : heures validées modifiées depuis "
        f"son émission ({', '.join(changements)})."
    )


@transaction.atomic
def reemettre(attestation: Attestation, user=None) -> Attestation | None:
    """Replace an attestation « à réémettre » by a new numbered one with the current figures.

    Returns None when there is nothing to do (already replaced, or its figures are right).
    Raises ValueError (French message) when it cannot be re-issued as is. Rows are locked in
    the order a validation locks them (declaration, then attestation), so the two never wait
    for each other.
    """
    from marches.models import Lot

    cible = Attestation.objects.only("type", "declaration_id", "lot_id").get(pk=attestation.pk)
    if cible.type == TypeAttestation.MENSUELLE:
        declaration = (
            DeclarationMensuelle.objects.select_for_update(of=("self",))
            .select_related("lot__clause", "entreprise")
            .get(pk=cible.declaration_id)
        )
    else:
        lot = (
            Lot.objects.select_for_update(of=("self",))
            .select_related("clause")
            .get(pk=cible.lot_id)
        )
    ancienne = selectors.annoter_chiffres_actuels(
        Attestation.objects.select_for_update(of=("self",)).filter(pk=cible.pk)
    ).get()
    if not ancienne.a_reemettre:
        return None
    motif = _motif_reemission(ancienne, ancienne.total_actuel, ancienne.cumul_actuel)
    if ancienne.type == TypeAttestation.MENSUELLE:
        if declaration.statut != StatutDeclaration.VALIDEE:
            raise ValueError(
                f"{ancienne.numero} : sa déclaration n'est plus validée "
                f"({declaration.get_statut_display().lower()}) ; elle sera réémise à la "
                "validation de la nouvelle version."
            )
        nouvelle = _creer_mensuelle(declaration, user, motif)
    else:
        nouvelle = _creer_realisation(lot, user, motif, remplace=ancienne)
    _remplacer(ancienne, nouvelle)
    return nouvelle


def reemettre_tout(user=None) -> tuple[list[tuple[Attestation, Attestation]], list[str]]:
    """Re-issue every attestation « à réémettre », one transaction each, oldest month first.
    Returns ([(old, new)…], [error messages]): one that cannot be re-issued stays listed."""
    a_faire = selectors.attestations_a_reemettre().order_by("mois", "numero")
    faites, erreurs = [], []
    for ancienne in a_faire.only("pk", "numero"):
        try:
            nouvelle = reemettre(ancienne, user)
        except ValueError as erreur:
            erreurs.append(str(erreur))
            continue
        if nouvelle is not None:
            faites.append((ancienne, nouvelle))
    return faites, erreurs


def courante(attestation: Attestation) -> Attestation:
    """The attestation in force at the end of ``attestation``'s chain of replacements."""
    vues = {attestation.pk}
    while attestation.remplacee_par_id and attestation.remplacee_par_id not in vues:
        vues.add(attestation.remplacee_par_id)
        attestation = Attestation.objects.get(pk=attestation.remplacee_par_id)
    return attestation


def verification(code: str) -> dict | None:
    """What the public verification page shows (nothing personal): the document's figures and
    their definitions, whether it is still in force, replaced (with the attestation in force,
    linked) or « à réémettre » (its figures changed since it was issued)."""
    attestation = (
        selectors.annoter_chiffres_actuels(Attestation.objects.all())
        .select_related("entreprise", "lot__marche__donneur_ordre")
        .filter(code_verification=code)
        .first()
    )
    if attestation is None:
        return None
    if attestation.statut == StatutAttestation.REMPLACEE:
        etat = "remplacee"
    elif attestation.a_reemettre:
        etat = "a_reemettre"
    else:
        etat = "valide"
    en_vigueur = None
    if etat == "remplacee":
        derniere = courante(attestation)
        en_vigueur = {
            "numero": derniere.numero,
            "url": reverse("verifier_attestation", args=[derniere.code_verification]),
            "valide": derniere.statut == StatutAttestation.EMISE,
        }
    mensuelle = attestation.type == TypeAttestation.MENSUELLE
    emise_le = timezone.localtime(attestation.emise_le).date()
    return {
        "etat": etat,
        "valide": etat == "valide",
        "statut": "à réémettre" if etat == "a_reemettre" else attestation.get_statut_display(),
        "numero": attestation.numero,
        "type": attestation.get_type_display(),
        "mensuelle": mensuelle,
        "entreprise": attestation.entreprise.raison_sociale,
        "lot": str(attestation.lot),
        "donneur_ordre": attestation.lot.marche.donneur_ordre.nom,
        "mois": formats.mois_fr(attestation.mois),
        "total_heures": formats.heures(attestation.total_heures),
        "cumul_heures": formats.heures(attestation.cumul_heures),
        "heures_requises": formats.heures(attestation.heures_requises),
        "total_actuel": formats.heures(attestation.total_actuel),
        "cumul_actuel": formats.heures(attestation.cumul_actuel),
        "emise_le": formats.date_fr(emise_le),
        "remplacee_par": en_vigueur["numero"] if en_vigueur else "",
        "en_vigueur": en_vigueur,
        "definitions": definitions(attestation),
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


def attestations_du_mois(mois, avec_remplacees: bool = False):
    """The month's monthly attestations in force (number order); the replaced ones too when
    asked (``--avec-remplacees``): files, ZIP and print-all PDF then mark them « REMPLACÉE »."""
    attestations = Attestation.objects.filter(mois=mois, type=TypeAttestation.MENSUELLE)
    if not avec_remplacees:
        attestations = attestations.filter(statut=StatutAttestation.EMISE)
    return attestations.select_related("entreprise", "lot__marche", "remplacee_par").order_by(
        "numero"
    )


# --- files written out (folder, ZIP, print-all PDF) ---------------------------------------------

REMPLACEE = "REMPLACÉE"


def nom_fichier(attestation: Attestation) -> str:
    """``ATT-2026-08-00003.pdf``; a replaced one: ``ATT-2026-08-00003-REMPLACÉE.pdf``."""
    if attestation.statut == StatutAttestation.REMPLACEE:
        return f"{attestation.numero}-{REMPLACEE}.pdf"
    return f"{attestation.numero}.pdf"


def lire_pdf(attestation: Attestation) -> bytes:
    with attestation.fichier.open("rb") as fichier:
        return fichier.read()


def pdf_pour_sortie(attestation: Attestation) -> bytes:
    """The PDF to write out: the stored one, or for a replaced attestation a copy stamped
    « REMPLACÉE » on every page (the stored PDF itself never changes)."""
    contenu = lire_pdf(attestation)
    if attestation.statut != StatutAttestation.REMPLACEE:
        return contenu
    return _tamponner(contenu, attestation)


def _tamponner(contenu: bytes, attestation: Attestation) -> bytes:
    from pypdf import PdfReader, PdfWriter
    from weasyprint import HTML

    remplacante = attestation.remplacee_par
    html = render_to_string(
        "heures/attestation_tampon_pdf.html",
        {
            "a": attestation,
            "remplacante": remplacante.numero if remplacante else "",
            "police_grasse": finders.find("fonts/DejaVuSans-Bold.ttf"),
        },
    )
    tampon = PdfReader(io.BytesIO(HTML(string=html).write_pdf())).pages[0]
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(contenu)))
    for page in writer.pages:
        page.merge_page(tampon)
    sortie = io.BytesIO()
    writer.write(sortie)
    return sortie.getvalue()


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
    return _creer_realisation(lot, user)


def _creer_realisation(lot, user, motif: str = "", remplace: Attestation | None = None):
    """A new numbered attestation de réalisation with the lot's validated total of today."""
    cumul = selectors.heures_realisees_lot(lot)
    requises = lot.clause.heures_requises
    observations = [motif] if motif else []
    if cumul < requises:
        if not lot.cloture_le:
            numero = f"{remplace.numero} : " if remplace else ""
            raise ValueError(
                f"{numero}obligation non atteinte ({formats.heures(cumul)} sur "
                f"{formats.heures(requises)}) : clôturez le lot avec un motif pour émettre une "
                "attestation avec écart."
            )
        observations.append(
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
        heures_requises=requises,
        code_verification=secrets.token_urlsafe(12),
        motif=" ".join(observations),
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
