"""Portable SQL expressions (PostgreSQL in production, SQLite for a quick start)."""

from django.db.models import FloatField, Func


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
