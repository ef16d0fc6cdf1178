"""Portable SQL expressions (PostgreSQL in production, SQLite for a quick start)."""

from django.db.models import CharField, FloatField, Func

from mife.core.texte import cle_recherche


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


#: French letters with diacritics, with the letter ``cle_recherche`` turns them into (PostgreSQL
#: folds the case first with LOWER, which knows accented capitals).
_ACCENTUEES = "àâäáãåçéèêëîïíìñôöóòõùûüúÿý’"
_SANS = "aaaaaaceeeeiiiinooooouuuuyy'"


class SansAccents(Func):
    """A text column as ``mife.core.texte.cle_recherche`` writes it (lower case, no accent,
    ligatures spelled out): to search French text with ``contains`` on a key made in Python by
    ``cle_recherche``. PostgreSQL: LOWER, TRANSLATE and REPLACE (no extension); SQLite: the
    Python function itself, registered on the connection."""

    output_field = CharField()
    arity = 1

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        sql = f"TRANSLATE(LOWER({sql}), %s, %s)"
        params = [*params, _ACCENTUEES, _SANS]
        for avant, apres in (("œ", "oe"), ("æ", "ae")):
            sql = f"REPLACE({sql}, %s, %s)"
            params = [*params, avant, apres]
        return sql, params

    def as_sqlite(self, compiler, connection, **extra_context):
        connection.ensure_connection()
        connection.connection.create_function(
            "cle_recherche", 1, lambda texte: cle_recherche(texte or ""), deterministic=True
        )
        sql, params = compiler.compile(self.source_expressions[0])
        return f"cle_recherche({sql})", params
