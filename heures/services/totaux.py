"""Maintained totals of hours: written with the declarations, checked against the definition.

The one definition of hours done stays ``heures/selectors.py`` (lines of **validated**
declarations). At national scale, summing millions of lines for each list page is too slow, so
three figures are kept in tables and rewritten in the same transaction as what changes them:

- ``TotalHeuresMois``: validated hours of a company on a lot for a month (the finest grain
  every other figure adds up);
- ``TotalHeuresLot``: a lot's validated hours (sum of its ``TotalHeuresMois``);
- ``DeclarationMensuelle.total_declare``: the sum of a declaration's own lines, whatever its
  status (the « Total heures » column of the list of declarations).

What changes them: a line saved or deleted (grid, Excel import, correction's copy, admin), a
declaration validated, replaced or deleted. The signal receivers below catch each ``save()``
and ``delete()`` (``heures/apps.py`` connects them); the services that write lines in bulk
(``declarations.corriger``) call ``recalculer_declaration`` themselves, and the commands that
seed data in bulk call ``reconstruire``. A key is *recomputed* from the definition rather than
incremented, under a row lock on the lot's total, so two validations on the same lot at the same
time cannot lose one another's hours. ``python manage.py totaux_heures`` compares every
maintained figure with the definition (``comparer``) and ``--corriger`` rewrites them.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from heures import selectors
from heures.models import (
    DeclarationMensuelle,
    LigneDeclaration,
    StatutDeclaration,
    TotalHeuresLot,
    TotalHeuresMois,
)

ZERO = Decimal("0")
_DECIMAL = DecimalField(max_digits=12, decimal_places=2)
#: Statuses whose change moves validated hours (into « validée », out of it by « remplacée »).
_STATUTS_QUI_COMPTENT = (StatutDeclaration.VALIDEE, StatutDeclaration.REMPLACEE)


def _somme_lignes_declaration():
    somme = (
        LigneDeclaration.objects.filter(declaration=OuterRef("pk"))
        .order_by()
        .values("declaration")
        .annotate(total=Sum("heures"))
        .values("total")
    )
    return Coalesce(Subquery(somme, output_field=_DECIMAL), Value(ZERO), output_field=_DECIMAL)


def recalculer_declaration(declaration_id: int) -> None:
    """Rewrite ``total_declare`` of one declaration from its lines (one UPDATE)."""
    DeclarationMensuelle.objects.filter(pk=declaration_id).update(
        total_declare=_somme_lignes_declaration()
    )


@transaction.atomic
def recalculer(lot_id: int, entreprise_id: int, mois: date) -> None:
    """Rewrite the validated hours of (lot, company, month) and the lot's total from the
    definition, under a lock on the lot's total row (serialises writers of one lot)."""
    TotalHeuresLot.objects.get_or_create(lot_id=lot_id, defaults={"heures": ZERO})
    total_lot = TotalHeuresLot.objects.select_for_update().get(lot_id=lot_id)
    lignes = selectors.lignes_validees().filter(
        declaration__lot_id=lot_id,
        declaration__entreprise_id=entreprise_id,
        declaration__mois=mois,
    )
    resultat = lignes.aggregate(
        n=Count("pk"), total=Coalesce(Sum("heures"), Value(ZERO), output_field=_DECIMAL)
    )
    if resultat["n"]:  # a row when validated lines exist, as heures_validees_par_… groups them
        TotalHeuresMois.objects.update_or_create(
            lot_id=lot_id,
            entreprise_id=entreprise_id,
            mois=mois,
            defaults={"heures": Decimal(resultat["total"]).quantize(selectors.CENTIEME)},
        )
    else:
        TotalHeuresMois.objects.filter(
            lot_id=lot_id, entreprise_id=entreprise_id, mois=mois
        ).delete()
    somme = TotalHeuresMois.objects.filter(lot_id=lot_id).aggregate(
        total=Coalesce(Sum("heures"), Value(ZERO), output_field=_DECIMAL)
    )["total"]
    total_lot.heures = somme
    total_lot.save(update_fields=["heures"])


# --- signal receivers (connected in heures/apps.py) ----------------------------------------------


def ligne_changee(sender, instance: LigneDeclaration, raw=False, **kwargs) -> None:
    """A line saved or deleted: its declaration's total, and the validated totals when the
    declaration is the validated version."""
    if raw:  # loaddata: ``totaux_heures --corriger`` rebuilds afterwards
        return
    recalculer_declaration(instance.declaration_id)
    cle = (
        DeclarationMensuelle.objects.filter(
            pk=instance.declaration_id, statut=StatutDeclaration.VALIDEE
        )
        .values_list("lot_id", "entreprise_id", "mois")
        .first()
    )
    if cle is not None:
        recalculer(*cle)


def declaration_enregistree(sender, instance: DeclarationMensuelle, raw=False, **kwargs) -> None:
    """A declaration saved: its total (a full ``save()`` writes back the value read), and the
    validated totals of its month when it becomes « validée » or « remplacée »."""
    if raw:
        return
    recalculer_declaration(instance.pk)
    if instance.statut in _STATUTS_QUI_COMPTENT:
        recalculer(instance.lot_id, instance.entreprise_id, instance.mois)


def declaration_supprimee(sender, instance: DeclarationMensuelle, **kwargs) -> None:
    if instance.statut == StatutDeclaration.VALIDEE:
        recalculer(instance.lot_id, instance.entreprise_id, instance.mois)


# --- check and rebuild ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """One maintained figure that differs from the definition."""

    quoi: str  # « lot × entreprise × mois », « lot », « déclaration »
    cle: str
    maintenu: Decimal | None
    attendu: Decimal | None

    def __str__(self) -> str:
        def h(valeur):
            return "absent" if valeur is None else f"{valeur} h"

        return f"{self.quoi} {self.cle} : maintenu {h(self.maintenu)}, attendu {h(self.attendu)}"


def _attendus():
    """What the definition gives: per (lot, company, month), per lot, per declaration."""
    mois = {
        (lot, entreprise, m): total
        for (
            entreprise,
            lot,
            m,
        ), total in selectors.heures_validees_par_entreprise_lot_mois().items()
    }
    lots: dict[int, Decimal] = {}
    for (lot, _, _), total in mois.items():
        lots[lot] = lots.get(lot, ZERO) + total
    declarations = {
        pk: Decimal(total or ZERO).quantize(selectors.CENTIEME)
        for pk, total in LigneDeclaration.objects.order_by()
        .values("declaration")
        .annotate(total=Sum("heures"))
        .values_list("declaration", "total")
    }
    return mois, lots, declarations


def comparer() -> list[Difference]:
    """Every maintained total against the definition (a handful of grouped queries)."""
    attendus_mois, attendus_lots, attendus_declarations = _attendus()
    differences = []
    maintenus_mois = {
        (t.lot_id, t.entreprise_id, t.mois): t.heures
        for t in TotalHeuresMois.objects.order_by().iterator(chunk_size=5000)
    }
    for cle in sorted(set(attendus_mois) | set(maintenus_mois)):
        maintenu, attendu = maintenus_mois.get(cle), attendus_mois.get(cle)
        if maintenu != attendu:
            lot, entreprise, m = cle
            differences.append(
                Difference(
                    "lot × entreprise × mois",
                    f"lot {lot}, entreprise {entreprise}, {m:%m/%Y}",
                    maintenu,
                    attendu,
                )
            )
    maintenus_lots = dict(TotalHeuresLot.objects.order_by().values_list("lot_id", "heures"))
    for lot in sorted(set(attendus_lots) | set(maintenus_lots)):
        maintenu, attendu = maintenus_lots.get(lot), attendus_lots.get(lot, ZERO)
        if (maintenu if maintenu is not None else ZERO) != attendu:
            differences.append(Difference("lot", str(lot), maintenu, attendu))
    for pk, maintenu in (
        DeclarationMensuelle.objects.order_by("pk").values_list("pk", "total_declare").iterator()
    ):
        attendu = attendus_declarations.get(pk, ZERO)
        if maintenu != attendu:
            differences.append(Difference("déclaration", f"n° {pk}", maintenu, attendu))
    return differences


@transaction.atomic
def reconstruire() -> None:
    """Rewrite every maintained total from the definition (bulk seeding, ``--corriger``)."""
    attendus_mois, attendus_lots, _ = _attendus()
    TotalHeuresMois.objects.all().delete()
    TotalHeuresMois.objects.bulk_create(
        (
            TotalHeuresMois(lot_id=lot, entreprise_id=entreprise, mois=m, heures=total)
            for (lot, entreprise, m), total in attendus_mois.items()
        ),
        batch_size=2000,
    )
    TotalHeuresLot.objects.all().delete()
    TotalHeuresLot.objects.bulk_create(
        (TotalHeuresLot(lot_id=lot, heures=total) for lot, total in attendus_lots.items()),
        batch_size=2000,
    )
    DeclarationMensuelle.objects.update(total_declare=_somme_lignes_declaration())
