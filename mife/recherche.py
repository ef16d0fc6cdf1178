"""Global search of the top bar: companies, participants, contracts, lots, missions and
attestations — within the user's rights.

Names are compared without accents nor case (``__contient``, mife/core/texte.py: the same
result on PostgreSQL and SQLite); references (SIRET, ``MIS-…``, ``ATT-…``, contract and lot
numbers) are found with or without their spaces (``__contient_compact``). Nothing the user
could not open is listed (each category asks its app's ``perms.py``), and the eligibility
criteria — health data among them — are never searched.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Q
from django.urls import reverse

from entreprises import perms as perms_entreprises
from entreprises.models import Entreprise
from heures import perms as perms_heures
from heures.models import Attestation, Mission, Participant
from marches import perms as perms_marches
from marches.models import Lot, Marche

LIMITE = 20
# Words that say what is searched rather than what to find (« lot 3 du 2026-014 »).
MOTS_OUTILS = {"lot", "n°", "no", "du", "de", "marche", "marché"}


@dataclass
class Resultat:
    categorie: str
    libelle: str
    detail: str
    url: str


def _chaque_mot(texte: str, *champs: str) -> Q:
    """Every word of ``texte`` is in one of ``champs`` (accents and case ignored)."""
    condition = Q()
    mots = [m for m in texte.split() if m.casefold() not in MOTS_OUTILS] or texte.split()
    for mot in mots:
        un_des_champs = Q()
        for champ in champs:
            un_des_champs |= Q(**{f"{champ}__contient": mot})
        condition &= un_des_champs
    return condition


def _entreprises(texte: str) -> list[Resultat]:
    qs = Entreprise.objects.recherche(texte).order_by("raison_sociale", "pk")
    return [
        Resultat(
            "Entreprise", e.raison_sociale, f"{e.identifiant} — {e.commune}", e.get_absolute_url()
        )
        for e in qs[:LIMITE]
    ]


def _participants(texte: str) -> list[Resultat]:
    qs = (
        Participant.objects.filter(anonymise_le__isnull=True)
        .filter(_chaque_mot(texte, "nom", "prenom"))
        .order_by("nom", "prenom", "pk")
    )
    return [Resultat("Participant", str(p), p.commune, p.get_absolute_url()) for p in qs[:LIMITE]]


def _marches(texte: str) -> list[Resultat]:
    qs = (
        Marche.objects.select_related("donneur_ordre")
        .filter(Q(reference__contient_compact=texte) | _chaque_mot(texte, "reference", "objet"))
        .order_by("reference", "pk")
    )
    return [
        Resultat("Marché", str(m), m.donneur_ordre.nom, m.get_absolute_url()) for m in qs[:LIMITE]
    ]


def _lots(texte: str) -> list[Resultat]:
    qs = (
        Lot.objects.select_related("marche__donneur_ordre")
        .filter(
            Q(marche__reference__contient_compact=texte)
            | _chaque_mot(texte, "intitule", "numero", "marche__reference", "marche__objet")
        )
        .order_by("marche__reference", "numero", "pk")
    )
    return [
        Resultat("Lot", str(lot), lot.marche.donneur_ordre.nom, lot.get_absolute_url())
        for lot in qs[:LIMITE]
    ]


def _missions(texte: str, avec_participant: bool) -> list[Resultat]:
    qs = (
        Mission.objects.select_related("lot__marche", "participant")
        .filter(reference__contient_compact=texte)
        .order_by("reference")
    )
    return [
        Resultat(
            "Mission",
            str(m) if avec_participant else m.reference,
            str(m.lot),
            m.get_absolute_url(),
        )
        for m in qs[:LIMITE]
    ]


def _attestations(texte: str) -> list[Resultat]:
    qs = (
        Attestation.objects.select_related("entreprise", "lot__marche")
        .filter(numero__contient_compact=texte)
        .order_by("numero")
    )
    liste = reverse("heures:attestation_liste")
    return [
        Resultat(
            "Attestation",
            a.numero,
            f"{a.entreprise.raison_sociale} — {a.lot}",
            f"{liste}?{urlencode({'q': a.numero})}",
        )
        for a in qs[:LIMITE]
    ]


def rechercher(user, texte: str) -> list[Resultat]:
    texte = (texte or "").strip()
    if not texte:
        return []
    resultats: list[Resultat] = []
    if perms_entreprises.peut_voir(user):
        resultats += _entreprises(texte)
    if perms_heures.peut_voir_participants(user):
        resultats += _participants(texte)
    if perms_marches.peut_voir_marches(user):
        resultats += _marches(texte)
    if perms_marches.peut_voir_lots(user):
        resultats += _lots(texte)
    if perms_heures.peut_voir_missions(user):
        resultats += _missions(texte, perms_heures.peut_voir_participants(user))
    if perms_heures.peut_voir_attestations(user):
        resultats += _attestations(texte)
    return resultats
