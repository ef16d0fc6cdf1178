"""Workbooks written by the application, safe against formula injection.

A text typed by a user or read from a public file (a company name, a mission's job title, a
buyer's name from a DECP file) must never become a live formula in a workbook that someone
else opens: ``=HYPERLINK("http://…"&A1,"clic")`` would send the neighbouring cells away on a
click. openpyxl writes every string starting with ``=`` as a formula, and Excel re-reads a
cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a formula as soon
as someone edits it.

``Classeur`` replaces ``openpyxl.Workbook`` for every workbook the application produces:
``texte_sur`` is applied to every string cell (when the workbook is saved, or when a row is
appended to a write-only sheet), so such a text is stored as a string, with Excel's « quote
prefix » (the text stays exactly as typed, and stays text when the cell is edited). Numbers,
dates and booleans are left alone: a negative number typed as a number stays a number.
"""

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

DEBUTS_DE_FORMULE = ("=", "+", "-", "@", "\t", "\r")


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


class _FeuilleEnFlux(WriteOnlyWorksheet):
    """A write-only sheet whose appended strings are made safe before being streamed."""

    def append(self, row):
        super().append([self._sure(valeur) for valeur in row])

    def _sure(self, valeur):
        if isinstance(valeur, Cell):
            return texte_sur(valeur)
        if isinstance(valeur, str) and (est_dangereux(valeur) or valeur.startswith("#")):
            # Plain values are cheaper; only a text that would not stay text gets a cell.
            return texte_sur(WriteOnlyCell(self, value=valeur))
        return valeur


class Classeur(Workbook):
    """``openpyxl.Workbook`` for the application's exports and templates (same API)."""

    def create_sheet(self, title=None, index=None):
        if not self.write_only:
            return super().create_sheet(title=title, index=index)
        feuille = _FeuilleEnFlux(parent=self, title=title)
        self._add_sheet(sheet=feuille, index=index)
        return feuille

    def save(self, filename):
        if not self.write_only:
            for feuille in self.worksheets:
                for cellule in feuille._cells.values():
                    texte_sur(cellule)
        super().save(filename)
