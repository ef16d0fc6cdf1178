"""Portable SQL expressions (PostgreSQL in production, SQLite for a quick start)."""

from django.db.models import (
    CharField,
    Count,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from mife.core.texte import cle_sql


class JoursEntre(Func):
    """Number of days from ``debut`` to ``fin`` (both dates), as a float."""

    output_field = FloatField()
    arity = 2

    def as_sql(self, compiler, connection, **extra_context):  # PostgreSQL and others
        return super().as_sql(
            compiler,
            connection,
            template="CAST((%(expressions)s) AS double precision)",
            arg_joiner=" - ",
            **extra_context,
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="(julianday(%(expressions)s))",
            arg_joiner=") - julianday(",
            **extra_context,
        )


class SansAccents(Func):
    """A text column as ``mife.core.texte.cle_recherche`` writes it (lower case, no accent,
    ligatures spelled out), to sort French names as readers expect. The SQL is the one of the
    ``__contient`` lookups (``cle_sql``): one key, the same on SQLite and PostgreSQL."""

    output_field = CharField()
    arity = 1

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return cle_sql(sql, connection.vendor, params)


def nombre_lies(lies: QuerySet, champ: str) -> Coalesce:
    """The number of rows of ``lies`` whose ``champ`` points at the outer row, as a correlated
    subquery (``Entreprise.objects.annotate(nb=nombre_lies(Lot.objects, "titulaire"))``).

    Unlike ``Count("lots_titulaire")`` (a join and a GROUP BY over every row of both tables
    before the page is cut), the database counts only for the rows it returns: a page of 25
    companies sorted by name reads 25 small index ranges, whatever the size of the tables."""
    compte = (
        lies.filter(**{champ: OuterRef("pk")})
        .order_by()
        .values(champ)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(compte, output_field=IntegerField()), Value(0))
