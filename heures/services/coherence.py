"""The coherence check: every figure people see or hand out, recomputed from the validated lines.

``controler`` reads the validated lines once, aggregated per company × lot × month by the
selectors (the one definition of hours done), sums them up in Python, and compares:

- every attestation in force: its printed figures (hours of the month and cumulative, or the
  lot's total for an attestation de réalisation) with the definitions of docs/attestations.md;
  whether its declaration is still the validated version; whether the « à réémettre » list
  (``selectors.annoter_chiffres_actuels``) agrees; that every PDF, replaced ones included, still
  has its SHA-256;
- what a month's output holds (``attestations --out``, ZIP, print-all PDF): no replaced
  attestation, no two attestations for one company × lot × month, and hours adding up to the
  validated hours of the attested declarations;
- the totals of the pages and exports: each lot's hours done (lot list and its export, lot
  page, contract and company pages), each company's hours per year (company page), each row of
  the month board (page and export) and each year's hours (direction's home page).

Nothing is written. A difference is an ``Ecart``; none is expected, except attestations
« à réémettre » after a correction until the suivi re-issues them (they are reported with
that explanation). ``python manage.py controler_chiffres`` exits non-zero on any difference.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from heures import selectors, selectors_mois
from heures.models import (
    Attestation,
    DeclarationMensuelle,
    StatutAttestation,
    StatutDeclaration,
    TypeAttestation,
)
from heures.services import attestations as services_attestations
from marches.models import Lot
from mife.core import formats

ZERO = Decimal("0")
PLURIELS = {
    "attestation": "attestations",
    "lot": "lots",
    "entreprise": "entreprises",
    "année": "années",
}


@dataclass(frozen=True)
class Ecart:
    """One figure that differs from its recomputation from the validated lines."""

    categorie: str  # Attestation, Sortie du mois, Lot, Entreprise, Mois, Année, Fichier
    objet: str
    chiffre: str
    attendu: Decimal | None = None
    trouve: Decimal | None = None
    explication: str = ""
    url: str = ""

    @property
    def valeurs(self) -> str:
        if self.attendu is None and self.trouve is None:
            return ""
        return f"{formats.heures(self.trouve)} au lieu de {formats.heures(self.attendu)}"

    def __str__(self) -> str:
        texte = f"{self.categorie} {self.objet} — {self.chiffre}"
        if self.valeurs:
            texte += f" : {self.valeurs}"
        if self.explication:
            texte += f" ({self.explication})"
        return texte


@dataclass
class Controle:
    mois: date | None
    ecarts: list[Ecart] = field(default_factory=list)
    verifies: dict[str, int] = field(default_factory=dict)
    informations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.ecarts

    @property
    def a_reemettre(self) -> int:
        return sum(1 for e in self.ecarts if e.explication.startswith("à réémettre"))

    def resume(self) -> str:
        portee = f"{formats.mois_fr(self.mois)}" if self.mois else "toutes périodes"
        compte = ", ".join(
            f"{n} {PLURIELS.get(nom, nom) if n > 1 else nom}" for nom, n in self.verifies.items()
        )
        if self.ok:
            return f"Contrôle des chiffres ({portee}) : aucun écart. Vérifié : {compte}."
        n = len(self.ecarts)
        return (
            f"Contrôle des chiffres ({portee}) : {n} écart{'s' if n > 1 else ''}. "
            f"Vérifié : {compte}."
        )


class _Reference:
    """Validated hours summed up in Python from the finest grain (company × lot × month)."""

    def __init__(self):
        self.detail = selectors.heures_validees_par_entreprise_lot_mois()
        self.lot: dict[int, Decimal] = defaultdict(lambda: ZERO)
        self.entreprise_lot: dict[tuple[int, int], list[tuple[date, Decimal]]] = defaultdict(list)
        self.entreprise_annee: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
        self.annee: dict[int, Decimal] = defaultdict(lambda: ZERO)
        self.mois: set[date] = set()
        for (entreprise, lot, mois), heures in self.detail.items():
            self.lot[lot] += heures
            self.entreprise_lot[(entreprise, lot)].append((mois, heures))
            self.entreprise_annee[(entreprise, mois.year)] += heures
            self.annee[mois.year] += heures
            self.mois.add(mois)

    def mensuel(self, entreprise: int, lot: int, mois: date) -> Decimal:
        return self.detail.get((entreprise, lot, mois), ZERO)

    def cumul(self, entreprise: int, lot: int, mois: date) -> Decimal:
        return sum((h for m, h in self.entreprise_lot[(entreprise, lot)] if m <= mois), ZERO)


def controler(mois: date | None = None) -> Controle:
    """Recompute and compare every figure (``mois``: only that month's attestations, output
    and board; lots, companies and years are always checked whole)."""
    mois = mois.replace(day=1) if mois else None
    controle = Controle(mois=mois)
    reference = _Reference()
    _attestations(controle, reference, mois)
    _sorties(controle, reference, mois)
    _lots(controle, reference)
    _entreprises(controle, reference)
    _mois(controle, reference, mois)
    _annees(controle, reference, mois)
    return controle


def _libelle_attestation(a: Attestation) -> str:
    quand = formats.mois_fr(a.mois) if a.mois else "réalisation"
    return f"{a.numero} ({a.entreprise.raison_sociale}, {a.lot}, {quand})"


def _attestations(controle: Controle, reference: _Reference, mois: date | None) -> None:
    toutes = Attestation.objects.select_related("entreprise", "lot__marche", "declaration")
    if mois:
        toutes = toutes.filter(mois=mois, type=TypeAttestation.MENSUELLE)
    en_vigueur = selectors.annoter_chiffres_actuels(
        toutes.filter(statut=StatutAttestation.EMISE)
    ).order_by("numero")
    n = 0
    for a in en_vigueur:
        n += 1
        objet = _libelle_attestation(a)
        url = reverse("heures:attestation_pdf", args=[a.pk])
        if a.type == TypeAttestation.MENSUELLE:
            attendus = (
                ("heures du mois imprimées", a.total_heures, reference.mensuel(
                    a.entreprise_id, a.lot_id, a.mois
                )),
                ("cumul de l'entreprise imprimé", a.cumul_heures, reference.cumul(
                    a.entreprise_id, a.lot_id, a.mois
                )),
            )  # fmt: skip
            if a.declaration.statut != StatutDeclaration.VALIDEE:
                controle.ecarts.append(
                    Ecart(
                        "Attestation",
                        objet,
                        "sa déclaration n'est plus la version validée "
                        f"({a.declaration.get_statut_display().lower()}) mais l'attestation "
                        "n'est pas remplacée",
                        url=url,
                    )
                )
        else:
            total = reference.lot[a.lot_id]
            attendus = (("heures réalisées sur le lot imprimées", a.total_heures, total),)
        differe = False
        for chiffre, imprime, attendu in attendus:
            if imprime != attendu:
                differe = True
                controle.ecarts.append(
                    Ecart("Attestation", objet, chiffre, attendu, imprime, _pourquoi(a), url=url)
                )
        if differe != a.a_reemettre:
            etat = "ne la signale pas" if differe else "la signale à tort"
            controle.ecarts.append(
                Ecart("Attestation", objet, f"la liste « à réémettre » {etat}", url=url)
            )
    controle.verifies["attestation"] = n
    for a in toutes.order_by("numero"):
        _fichier_intact(controle, a)
        if a.statut == StatutAttestation.REMPLACEE and not a.remplacee_par_id:
            controle.ecarts.append(
                Ecart("Attestation", _libelle_attestation(a), "remplacée sans remplaçante")
            )


def _pourquoi(a) -> str:
    emise = a.emise_le
    if a.derniere_validation and a.derniere_validation > emise:
        quand = formats.date_fr(timezone.localtime(a.derniere_validation))
        return (
            f"à réémettre : heures validées modifiées le {quand}, après son émission ; "
            "réémettez-la depuis « Attestations à réémettre »"
        )
    return "écart inexpliqué : aucune validation après son émission ne l'explique"


def _fichier_intact(controle: Controle, a: Attestation) -> None:
    """The stored PDF is the one issued (an attestation never changes once issued)."""
    objet = _libelle_attestation(a)
    if not a.fichier:
        controle.ecarts.append(Ecart("Fichier", objet, "PDF absent"))
        return
    try:
        contenu = services_attestations.lire_pdf(a)
    except OSError:
        controle.ecarts.append(Ecart("Fichier", objet, f"PDF introuvable ({a.fichier.name})"))
        return
    if hashlib.sha256(contenu).hexdigest() != a.sha256:
        controle.ecarts.append(
            Ecart("Fichier", objet, "empreinte SHA-256 différente : le PDF a été modifié")
        )


def _sorties(controle: Controle, reference: _Reference, mois: date | None) -> None:
    """What ``attestations --out``, the ZIP and the print-all PDF of a month hold."""
    emises = Attestation.objects.filter(type=TypeAttestation.MENSUELLE)
    if mois:
        emises = emises.filter(mois=mois)
    liste_mois = sorted(set(emises.values_list("mois", flat=True).distinct()))
    for m in liste_mois:
        sortie = list(services_attestations.attestations_du_mois(m))
        objet = formats.mois_fr(m)
        remplacees = [a.numero for a in sortie if a.statut != StatutAttestation.EMISE]
        if remplacees:
            controle.ecarts.append(
                Ecart(
                    "Sortie du mois",
                    objet,
                    f"attestations remplacées dans les fichiers du mois : {', '.join(remplacees)}",
                )
            )
        vues: dict[tuple[int, int], str] = {}
        for a in sortie:
            cle = (a.entreprise_id, a.lot_id)
            if cle in vues:
                controle.ecarts.append(
                    Ecart(
                        "Sortie du mois",
                        objet,
                        f"deux attestations en vigueur pour {a.entreprise.raison_sociale} sur "
                        f"{a.lot} : {vues[cle]} et {a.numero}",
                    )
                )
            vues[cle] = a.numero
        total = sum((a.total_heures for a in sortie), ZERO)
        valide = sum((reference.mensuel(e, lot, m) for e, lot in vues), ZERO)
        if total != valide:
            controle.ecarts.append(
                Ecart(
                    "Sortie du mois",
                    objet,
                    "total des attestations écrites (dossier, ZIP, PDF à imprimer)",
                    valide,
                    total,
                )
            )
        sans = (
            DeclarationMensuelle.objects.filter(mois=m, statut=StatutDeclaration.VALIDEE)
            .exclude(attestations__statut=StatutAttestation.EMISE)
            .count()
        )
        if sans:
            controle.informations.append(
                f"{objet} : {sans} déclaration{'s' if sans > 1 else ''} validée"
                f"{'s' if sans > 1 else ''} sans attestation (à émettre : python manage.py "
                f"attestations --mois {m:%Y-%m} --out DOSSIER)."
            )
    controle.verifies["mois de fichiers"] = len(liste_mois)


def _lots(controle: Controle, reference: _Reference) -> None:
    """Hours done of each lot as the lot list, its export, the lot, contract and company
    pages compute them (their two annotations)."""
    avancement = selectors.annoter_avancement(
        Lot.objects.select_related("marche"), timezone.localdate()
    )
    realisees = dict(
        selectors.annoter_heures_realisees(Lot.objects.all()).values_list("pk", "heures_realisees")
    )
    n = 0
    for lot in avancement.order_by("marche__reference", "numero", "pk"):
        n += 1
        attendu = reference.lot[lot.pk]
        url = lot.get_absolute_url()
        for chiffre, trouve in (
            ("heures réalisées (liste des lots et son export, page du lot)", lot.heures_realisees),
            ("heures réalisées (pages du marché et de l'entreprise)", realisees.get(lot.pk)),
        ):
            trouve = Decimal(trouve or ZERO).quantize(selectors.CENTIEME)
            if trouve != attendu:
                controle.ecarts.append(Ecart("Lot", str(lot), chiffre, attendu, trouve, url=url))
    controle.verifies["lot"] = n


def _entreprises(controle: Controle, reference: _Reference) -> None:
    """Validated hours per year of each company, as its page shows them."""
    from entreprises.models import Entreprise

    pages = selectors.heures_par_annee_entreprises()
    cles = {e for e, _ in reference.entreprise_annee} | set(pages)
    noms = dict(Entreprise.objects.filter(pk__in=cles).values_list("pk", "raison_sociale"))
    for entreprise in sorted(cles, key=lambda pk: noms.get(pk, "")):
        affichees = dict(pages.get(entreprise, []))
        annees = {a for e, a in reference.entreprise_annee if e == entreprise} | set(affichees)
        for annee in sorted(annees):
            attendu = reference.entreprise_annee.get((entreprise, annee), ZERO)
            trouve = affichees.get(annee, ZERO)
            if trouve != attendu:
                controle.ecarts.append(
                    Ecart(
                        "Entreprise",
                        noms.get(entreprise, f"n° {entreprise}"),
                        f"heures validées de {annee} (page de l'entreprise)",
                        attendu,
                        trouve,
                        url=reverse("entreprises:detail", args=[entreprise]),
                    )
                )
    controle.verifies["entreprise"] = len(cles)


def _mois(controle: Controle, reference: _Reference, mois: date | None) -> None:
    """Each validated row of the month board (page and export) against the validated hours."""
    liste = [mois] if mois else sorted(reference.mois)
    for m in liste:
        for ligne in selectors_mois.lignes_du_mois(m):
            if ligne.statut != StatutDeclaration.VALIDEE:
                continue
            attendu = reference.mensuel(ligne.entreprise_id, ligne.lot_id, m)
            trouve = Decimal(ligne.total_heures or ZERO).quantize(selectors.CENTIEME)
            if trouve != attendu:
                controle.ecarts.append(
                    Ecart(
                        "Mois",
                        f"{formats.mois_fr(m)} — {ligne.entreprise}, {ligne.lot}",
                        "heures validées (tableau du mois et son export)",
                        attendu,
                        trouve,
                        url=ligne.url,
                    )
                )
    controle.verifies["mois de tableau"] = len(liste)


def _annees(controle: Controle, reference: _Reference, mois: date | None) -> None:
    """Each year's validated hours, as the direction's home page shows them."""
    annees = [mois.year] if mois else sorted(reference.annee)
    for annee in annees:
        attendu = reference.annee.get(annee, ZERO)
        trouve = selectors.heures_annee(annee)
        if trouve != attendu:
            controle.ecarts.append(
                Ecart(
                    "Année",
                    str(annee),
                    "heures validées (accueil de la direction)",
                    attendu,
                    trouve,
                )
            )
    controle.verifies["année"] = len(annees)
