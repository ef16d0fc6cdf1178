"""The long breakdowns of the *Indicateurs* page (per buyer, operation, company, nature, CPV
division): one definition of each, and the one rule that bounds them on the page.

The page shows the first ``LIMITE`` rows of each (biggest hours first, the order of
``mife.indicateurs``), then a line « … et 583 autres entreprises (12 345 h) » that links to the
complete breakdown (``/indicateurs/ventilation/<nom>/``, same filters, paginated, Excel). A
national operator has thousands of companies: the page stays the same size whatever the data.
The annual bilan (PDF, workbook) keeps every row: it is the official document.

The « autres » line gives a number of rows and their hours, never a number of people: one
person working for two companies counts in both rows, so a sum would not count people, and
subtracting the rows of the full list from it would reveal a masked (« < 3 ») count. In a
table whose small counts are masked, the hours of a masked row are hidden too, so the line
shows no hours when one of the rows it sums is masked (the full list would give them away).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.urls import reverse

from mife.core.formats import nombre
from mife.indicateurs import ZERO, Indicateurs, Ligne

#: Rows of a breakdown shown on the page before the « autres » line.
LIMITE = 15


@dataclass(frozen=True)
class Ventilation:
    """A long breakdown of the page: its ``Indicateurs`` field and its words."""

    nom: str  # in the URL of the complete breakdown
    champ: str  # the field of ``Indicateurs`` (a list of ``Ligne``)
    titre: str  # the table's caption on the page
    titre_complet: str  # the title of the complete breakdown's page
    entete: str  # header of the first column
    pluriel: str  # « … et 583 autres entreprises »
    masquer: bool = False  # counts of 1 or 2 people show « < 3 »

    def lignes(self, resultat: Indicateurs) -> list[Ligne]:
        return getattr(resultat, self.champ)


VENTILATIONS = {
    v.nom: v
    for v in [
        Ventilation("donneurs", "par_donneur", "Par donneur d'ordre",
                    "Heures par donneur d'ordre", "Donneur d'ordre", "donneurs d'ordre"),
        Ventilation("operations", "par_operation", "Par opération", "Heures par opération",
                    "Opération", "opérations"),
        Ventilation("entreprises", "par_entreprise", "Par entreprise", "Heures par entreprise",
                    "Entreprise", "entreprises"),
        Ventilation("natures", "par_nature", "Par nature de marché",
                    "Heures par nature de marché", "Nature", "natures"),
        Ventilation("cpv", "par_cpv", "Par famille CPV", "Heures par famille CPV",
                    "Famille CPV", "familles CPV"),
    ]
}  # fmt: skip


@dataclass
class Reste:
    """The rows after the first ``LIMITE``, summed: how many, their hours (``None``: not
    shown, see the module's rule) and the link to the complete breakdown."""

    nombre: int
    heures: Decimal | None
    libelle: str
    url: str = ""


@dataclass
class TableauBorne:
    """A breakdown as the page shows it."""

    ventilation: Ventilation
    lignes: list[Ligne]
    reste: Reste | None


def tronquer(
    lignes: list[Ligne], pluriel: str, masquer: bool = False, limite: int = LIMITE
) -> tuple[list[Ligne], Reste | None]:
    """The first ``limite`` rows and the rest summed (``None`` when nothing is left out). A
    single row left over is shown rather than summed: a summary line would not be shorter."""
    if len(lignes) <= limite + 1:
        return lignes, None
    autres = lignes[limite:]
    cache_des_heures = masquer and any(ligne.masque for ligne in autres)
    heures = None if cache_des_heures else sum((ligne.heures for ligne in autres), ZERO)
    return lignes[:limite], Reste(
        len(autres), heures, f"… et {nombre(len(autres))} autres {pluriel}"
    )


def url_complete(nom: str, requete: str) -> str:
    """The complete breakdown ``nom`` with the page's filters (``requete``, a query string)."""
    url = reverse("indicateurs_ventilation", args=[nom])
    return f"{url}?{requete}" if requete else url


def tableaux_bornes(resultat: Indicateurs, requete: str, limite: int = LIMITE):
    """Every long breakdown of ``resultat`` bounded for the page, with the link to its
    complete list (the page's filters kept)."""
    tableaux = []
    for v in VENTILATIONS.values():
        lignes, reste = tronquer(v.lignes(resultat), v.pluriel, v.masquer, limite)
        if reste is not None:
            reste.url = url_complete(v.nom, requete)
        tableaux.append(TableauBorne(v, lignes, reste))
    return tableaux
