"""The month board: every company × lot expected to declare a month, with its status.

A pair (employer, lot) is *expected to declare* a month when at least one of its missions
is active that month on a lot active that month. The board is one SQL query
(``paires_du_mois``): the distinct expected pairs, each with its current declaration (status,
maintained total) and last reminder as correlated subqueries, filtered (company, lot, buyer,
status, words of text without accents nor case), sorted and paginated by the database, so a
page costs the same whether the month has 50 pairs or 50 000.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils.http import urlencode

from heures.models import (
    DeclarationMensuelle,
    Mission,
    Relance,
    StatutDeclaration,
    StatutRelance,
)
from marches.models import Lot
from mife.core.expressions import SansAccents
from mife.core.mois import dernier_jour, premier_jour
from mife.core.texte import chercher, cle_recherche

NON_RECUE = "non_recue"
STATUTS_TABLEAU = [
    (NON_RECUE, "Non reçue"),
    (StatutDeclaration.BROUILLON.value, StatutDeclaration.BROUILLON.label),
    (StatutDeclaration.SOUMISE.value, StatutDeclaration.SOUMISE.label),
    (StatutDeclaration.VALIDEE.value, StatutDeclaration.VALIDEE.label),
    (StatutDeclaration.REJETEE.value, StatutDeclaration.REJETEE.label),
]
LIBELLES_STATUTS = dict(STATUTS_TABLEAU)
#: Statuses for which a reminder makes sense (the company still has something to do).
STATUTS_A_RELANCER = frozenset(
    {NON_RECUE, StatutDeclaration.BROUILLON.value, StatutDeclaration.REJETEE.value}
)


@dataclass
class LigneMois:
    mois: date
    entreprise_id: int
    entreprise: str
    lot_id: int
    lot: str
    marche_reference: str
    donneur_ordre_id: int | None
    donneur_ordre: str
    statut: str = NON_RECUE
    declaration_id: int | None = None
    total_heures: Decimal | None = None
    derniere_relance: datetime | None = None
    motif_rejet: str = ""

    @property
    def statut_libelle(self) -> str:
        return LIBELLES_STATUTS[self.statut]

    @property
    def a_relancer(self) -> bool:
        return self.statut in STATUTS_A_RELANCER

    @property
    def url(self) -> str:
        """The declaration, or the entry grid prefilled for this company, lot and month."""
        if self.declaration_id:
            return reverse("heures:declaration_detail", args=[self.declaration_id])
        params = urlencode(
            {"entreprise": self.entreprise_id, "lot": self.lot_id, "mois": f"{self.mois:%Y-%m}"}
        )
        return f"{reverse('heures:declaration_ouvrir')}?{params}"

    @property
    def texte_recherche(self) -> str:
        return cle_recherche(
            " ".join((self.entreprise, self.lot, self.marche_reference, self.donneur_ordre))
        )


_CHAMPS_PAIRE = (
    "employeur_id",
    "employeur__raison_sociale",
    "lot_id",
    "lot__numero",
    "lot__intitule",
    "lot__marche__reference",
    "lot__marche__donneur_ordre_id",
    "lot__marche__donneur_ordre__nom",
)


def paires_du_mois(
    mois: date,
    *,
    entreprise=None,
    lot=None,
    donneur_ordre=None,
    statut: str = "",
    q: str = "",
) -> QuerySet:
    """The board of ``mois`` as one SQL query (dicts), filtered and sorted in the database:
    the expected (employer, lot) pairs (each from its first active mission) with the current
    declaration (latest version, « remplacée » excluded: its id, status, maintained total,
    reason for rejection) and the last reminder sent, each a correlated subquery on an index.
    Paginate it, count it, or turn rows into ``LigneMois`` with ``ligne_mois``."""
    mois = premier_jour(mois)
    missions = Mission.objects.actives_sur_mois(mois).filter(
        lot__in=Lot.objects.actifs_sur_mois(mois, dernier_jour(mois))
    )
    if entreprise is not None:
        missions = missions.filter(employeur=entreprise)
    if lot is not None:
        missions = missions.filter(lot=lot)
    if donneur_ordre is not None:
        missions = missions.filter(lot__marche__donneur_ordre=donneur_ordre)
    missions = chercher(
        missions,
        [
            "employeur__raison_sociale",
            "lot__intitule",
            "lot__marche__reference",
            "lot__marche__donneur_ordre__nom",
        ],
        q,
    )
    courante = (
        DeclarationMensuelle.objects.courantes()
        .filter(mois=mois, entreprise=OuterRef("employeur_id"), lot=OuterRef("lot_id"))
        .order_by("-numero_version")
    )
    relance = (
        Relance.objects.filter(
            mois=mois,
            statut=StatutRelance.ENVOYEE,
            entreprise=OuterRef("employeur_id"),
            lot=OuterRef("lot_id"),
        )
        .order_by("-cree_le")
        .values("cree_le")[:1]
    )
    # One row per pair without DISTINCT: the pair's first active mission (so the database can
    # sort, cut the page, and only then evaluate the subqueries of the 50 rows shown).
    autre_avant = Mission.objects.actives_sur_mois(mois).filter(
        lot=OuterRef("lot_id"), employeur=OuterRef("employeur_id"), pk__lt=OuterRef("pk")
    )
    paires = (
        missions.filter(~Exists(autre_avant))
        .order_by()
        .values(*_CHAMPS_PAIRE)
        .annotate(
            declaration_id=Subquery(courante.values("pk")[:1]),
            declaration_statut=Subquery(courante.values("statut")[:1]),
            declaration_total=Subquery(courante.values("total_declare")[:1]),
            declaration_motif=Subquery(courante.values("motif_rejet")[:1]),
            derniere_relance=Subquery(relance),
        )
    )
    if statut == NON_RECUE:
        paires = paires.filter(~Exists(courante))  # an anti-join, not a subquery per pair
    elif statut:
        paires = paires.filter(declaration_statut=statut)
    return paires.order_by(
        SansAccents("employeur__raison_sociale"),  # sorted as French readers expect
        "employeur__raison_sociale",
        "lot__marche__reference",
        "lot__numero",
        "employeur_id",
        "lot_id",
    )


def ligne_mois(mois: date, p: dict) -> LigneMois:
    """One row of ``paires_du_mois`` as the pages, export and reminders use it."""
    return LigneMois(
        mois=premier_jour(mois),
        entreprise_id=p["employeur_id"],
        entreprise=p["employeur__raison_sociale"],
        lot_id=p["lot_id"],
        lot=f"{p['lot__marche__reference']} lot {p['lot__numero']} — {p['lot__intitule']}",
        marche_reference=p["lot__marche__reference"],
        donneur_ordre_id=p["lot__marche__donneur_ordre_id"],
        donneur_ordre=p["lot__marche__donneur_ordre__nom"] or "",
        statut=p["declaration_statut"] or NON_RECUE,
        declaration_id=p["declaration_id"],
        total_heures=(
            None if p["declaration_id"] is None else (p["declaration_total"] or Decimal("0"))
        ),
        derniere_relance=p["derniere_relance"],
        motif_rejet=p["declaration_motif"] or "",
    )


def lignes_du_mois(mois: date, **filtres) -> list[LigneMois]:
    """Every row of the board of ``mois`` (one query), sorted by company then lot: for the
    reminders, the export and the coherence check. The page paginates ``paires_du_mois``."""
    return [ligne_mois(mois, p) for p in paires_du_mois(mois, **filtres).iterator()]
