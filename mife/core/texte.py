"""Text without accents: the one definition used to compare, sort and search French text
(DESIGN.md §6: « sorting and search ignore accents and case »)."""

import unicodedata

from django.db import connections, models
from django.db.backends.signals import connection_created
from django.db.models import Lookup, Q

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "Oe", "æ": "ae", "Æ": "Ae"})


def sans_accents(texte: str) -> str:
    """``« Cœur d'Élodie »`` → ``« Coeur d'Elodie »``: accents dropped, ligatures spelled out,
    case kept."""
    decompose = unicodedata.normalize("NFKD", texte.translate(_LIGATURES))
    return "".join(c for c in decompose if not unicodedata.combining(c))


def cle_recherche(texte: str) -> str:
    """``« Cœur  d’Élodie »`` → ``« coeur d'elodie »``: without accents nor case, one kind of
    apostrophe, single spaces. Two texts a person reads as the same have the same key."""
    return " ".join(sans_accents(texte).replace("’", "'").casefold().split())


SEPARATEURS = " -./_"


def cle_compacte(texte: str) -> str:
    """``« 123 456 789 00012 »`` → ``« 12345678900012 »``, ``« ATT-2026-10 00042 »`` →
    ``« att20261000042 »``: the search key without spaces nor separators (``-./_``), to find
    a reference (SIRET, ``ATT-…``, ``MIS-…``, lot or contract number) however it is typed."""
    cle = cle_recherche(texte)
    for separateur in SEPARATEURS:
        cle = cle.replace(separateur, "")
    return cle


# --- the same keys in SQL ---------------------------------------------------------------------
#
# Searches compare ``cle_recherche(colonne)`` with ``cle_recherche(texte saisi)`` in the
# database, through the ``__contient`` and ``__contient_compact`` lookups of every text
# column. SQLite calls the Python function itself (registered on each connection);
# PostgreSQL computes the same key with plain SQL (``translate`` and ``replace``, built below
# from the Python function, character by character), so it needs no extension.

_PLAGES = ((0x00A0, 0x0250), (0x0300, 0x0370), (0x1E00, 0x1F00), (0x2000, 0x2070))


def _correspondances() -> tuple[str, str, dict[str, str]]:
    """``(de, vers, remplacements)``: the characters that ``translate`` turns into one
    character (or deletes, the combining accents), and those that become several."""
    de, vers, supprimes, remplacements = [], [], [], {}
    for debut, fin in _PLAGES:
        for code in range(debut, fin):
            c = chr(code)
            cle = sans_accents(c).replace("’", "'").casefold()
            if c.isspace() or (cle and cle.isspace()):
                cle = " "
            if cle == c:
                continue
            if cle == "":
                supprimes.append(c)
            elif len(cle) == 1:
                de.append(c)
                vers.append(cle)
            else:
                remplacements[c] = cle
    return "".join(de + supprimes), "".join(vers), remplacements


_DE, _VERS, _REMPLACEMENTS = _correspondances()


def _litteral(texte: str) -> str:
    return "'" + texte.replace("'", "''") + "'"


def cle_sql(expression: str, vendor: str, params=()) -> tuple[str, list]:
    """The SQL of ``cle_recherche(expression)`` for the database ``vendor``, with the
    parameters of ``expression`` (repeated as the SQL repeats it).

    On PostgreSQL, a text made of ASCII only (the bytes count equals the characters count:
    nine names out of ten) takes the short way, ``LOWER`` and the spaces: the ``TRANSLATE``
    of 700 characters costs some 40 µs per row, because each character of the text is looked
    up in that whole list — 1,6 s to search 100 000 participants' names, 0,2 s this way. The
    long way gives the same key for those texts: every character it maps is beyond ASCII."""
    if vendor == "sqlite":
        return f"cle_recherche({expression})", list(params)

    def espaces(sql: str) -> str:
        return f"BTRIM(REGEXP_REPLACE({sql}, '\\s+', ' ', 'g'))"

    sql = f"LOWER({expression})"
    for origine, cible in _REMPLACEMENTS.items():
        sql = f"REPLACE({sql}, {_litteral(origine)}, {_litteral(cible)})"
    sql = f"TRANSLATE({sql}, {_litteral(_DE)}, {_litteral(_VERS)})"
    ascii_seul = f"OCTET_LENGTH({expression}) = CHAR_LENGTH({expression})"
    return (
        f"(CASE WHEN {ascii_seul} THEN {espaces(f'LOWER({expression})')} ELSE {espaces(sql)} END)",
        list(params) * 4,
    )


def _echapper_like(texte: str) -> str:
    return texte.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Contient(Lookup):
    """``champ__contient="Generale"``: the column contains the text, ignoring accents, case,
    ligatures, apostrophes and repeated spaces (finds « Société GÉNÉRALE »)."""

    lookup_name = "contient"
    compacte = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        cle = cle_compacte(str(self.rhs)) if self.compacte else cle_recherche(str(self.rhs))
        colonne, params = cle_sql(lhs, connection.vendor, params)
        if self.compacte:
            for separateur in SEPARATEURS:
                colonne = f"REPLACE({colonne}, '{separateur}', '')"
        return f"{colonne} LIKE %s ESCAPE '\\'", [*params, f"%{_echapper_like(cle)}%"]


class ContientCompact(Contient):
    """``champ__contient_compact="123 456 789"``: the same, spaces and separators ignored on
    both sides (references and identifiers typed with or without them)."""

    lookup_name = "contient_compact"
    compacte = True


def _cle_ou_nul(texte):
    return None if texte is None else cle_recherche(str(texte))


def _fonction_sqlite(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("cle_recherche", 1, _cle_ou_nul, deterministic=True)


def installer() -> None:
    """Register the lookups on text columns and the SQLite function (called once, by the
    ``mife`` app when Django starts)."""
    for champ in (models.CharField, models.TextField):
        champ.register_lookup(Contient)
        champ.register_lookup(ContientCompact)
    connection_created.connect(_fonction_sqlite, dispatch_uid="mife_cle_recherche_sqlite")
    for connexion in connections.all(initialized_only=True):
        if connexion.connection is not None:
            _fonction_sqlite(None, connexion)


def chercher(queryset, champs: list[str], texte: str | None):
    """``queryset`` narrowed to rows where every word of ``texte`` is in one of ``champs``,
    ignoring accents and case (the ``__contient`` lookup below)."""
    for mot in (texte or "").split():
        condition = Q()
        for champ in champs:
            condition |= Q(**{f"{champ}__contient": mot})
        queryset = queryset.filter(condition)
    return queryset
