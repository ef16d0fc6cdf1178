"""The month board: every company × lot expected to declare a month, with its status.

A pair (employer, lot) is *expected to declare* a month when at least one of its missions
is active that month on a lot active that month. The board is built with three queries,
whatever the number of rows (DESIGN: lists stay fast):

1. the distinct expected pairs, from the missions (with the names needed for display);
2. the current declarations of the month (« remplacée » excluded) with their total hours;
3. the last reminder sent per pair for the month.

The rows are then joined, filtered (status, text) and paginated in Python: a month has at
most a few hundred pairs, and the status « non reçue » (no row at all) is easier to filter
on a list than in SQL. Company, lot and buyer filters are pushed into query 1.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Max, Sum
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
from mife.core.mois import dernier_jour, premier_jour
from mife.core.texte import cle_recherche

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


def lignes_du_mois(
    mois: date,
    *,
    entreprise=None,
    lot=None,
    donneur_ordre=None,
    statut: str = "",
    q: str = "",
) -> list[LigneMois]:
    """The board's rows for ``mois`` (three queries), sorted by company then lot."""
    mois = premier_jour(mois)

    # 1. Expected pairs: employers × lots with a mission active this month on an active lot.
    missions = Mission.objects.actives_sur_mois(mois).filter(
        lot__in=Lot.objects.actifs_sur_mois(mois, dernier_jour(mois))
    )
    if entreprise is not None:
        missions = missions.filter(employeur=entreprise)
    if lot is not None:
        missions = missions.filter(lot=lot)
    if donneur_ordre is not None:
        missions = missions.filter(lot__marche__donneur_ordre=donneur_ordre)
    paires = (
        missions.order_by()
        .values(
            "employeur_id",
            "employeur__raison_sociale",
            "lot_id",
            "lot__numero",
            "lot__intitule",
            "lot__marche__reference",
            "lot__marche__donneur_ordre_id",
            "lot__marche__donneur_ordre__nom",
        )
        .distinct()
    )
    lignes = {
        (p["employeur_id"], p["lot_id"]): LigneMois(
            mois=mois,
            entreprise_id=p["employeur_id"],
            entreprise=p["employeur__raison_sociale"],
            lot_id=p["lot_id"],
            lot=f"{p['lot__marche__reference']} lot {p['lot__numero']} — {p['lot__intitule']}",
            marche_reference=p["lot__marche__reference"],
            donneur_ordre_id=p["lot__marche__donneur_ordre_id"],
            donneur_ordre=p["lot__marche__donneur_ordre__nom"] or "",
        )
        for p in paires
    }
    if not lignes:
        return []

    # 2. Current declarations. A validated version and its correction in progress may both
    # exist: the row shows the most recent version (the one the company is working on).
    declarations = (
        DeclarationMensuelle.objects.courantes()
        .filter(mois=mois)
        .order_by("numero_version")
        .values("pk", "entreprise_id", "lot_id", "statut", "numero_version", "motif_rejet")
        .annotate(total=Sum("lignes__heures"))
    )
    for d in declarations:
        ligne = lignes.get((d["entreprise_id"], d["lot_id"]))
        if ligne is not None:  # ordered by version: the last one wins
            ligne.statut = d["statut"]
            ligne.declaration_id = d["pk"]
            ligne.total_heures = d["total"] or Decimal("0")
            ligne.motif_rejet = d["motif_rejet"]

    # 3. Last reminder actually sent, per pair.
    relances = (
        Relance.objects.filter(mois=mois, statut=StatutRelance.ENVOYEE)
        .order_by()
        .values("entreprise_id", "lot_id")
        .annotate(derniere=Max("cree_le"))
    )
    for r in relances:
        ligne = lignes.get((r["entreprise_id"], r["lot_id"]))
        if ligne is not None:
            ligne.derniere_relance = r["derniere"]

    resultat = sorted(lignes.values(), key=lambda li: (cle_recherche(li.entreprise), li.lot))
    if statut:
        resultat = [li for li in resultat if li.statut == statut]
    for mot in cle_recherche(q).split():
        resultat = [li for li in resultat if mot in li.texte_recherche]
    return resultat
