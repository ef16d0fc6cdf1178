"""The reusable list page: filters in the URL, sortable columns, pagination, Excel export.

A list page declares its permission, its FilterSet, its columns and its base queryset; the
page and the Excel export show exactly the same filtered rows (DESIGN.md §6). The export is
written with openpyxl in write-only mode while the rows are read in chunks, so a hundred
thousand rows do not fill the memory; ``mife.core.excel.Classeur`` keeps every text a text
(never a formula).
"""

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist
from django.http import FileResponse
from django.utils import timezone
from django.utils.text import slugify
from django_filters.views import FilterView

from mife.core import excel, formats
from mife.core.excel import Classeur, ColonneExcel
from mife.core.signaux import liste_exportee

FORMATS = {
    "": lambda v: "" if v is None else str(v),
    "date": formats.date_fr,
    "mois": formats.mois_fr,
    "heures": formats.heures,
    "montant": formats.montant,
    "nombre": formats.nombre,
    "pourcentage": formats.pourcentage,
    "booleen": lambda v: "Oui" if v else "Non",
}
TYPES_EXCEL = {  # a column's display format -> its type in the Excel export
    "date": excel.DATE,
    "mois": excel.MOIS,
    "heures": excel.HEURES,
    "montant": excel.MONTANT,
    "nombre": excel.NOMBRE,
    "pourcentage": excel.POURCENTAGE,
}


def _resoudre(obj, chemin: str):
    valeur = obj
    for partie in chemin.split("."):
        if valeur is None:
            return None
        try:
            valeur = getattr(valeur, partie)
        except ObjectDoesNotExist:  # a missing one-to-one (a lot without clause)
            return None
    return valeur() if callable(valeur) else valeur


@dataclass(frozen=True)
class Colonne:
    titre: str
    valeur: str | Callable[[Any], Any]  # attribute path ("marche.reference") or function
    tri: str = ""  # ORM ordering field; empty = not sortable
    format: str = ""  # key of FORMATS
    lien: bool = False  # link the cell to obj.get_absolute_url()
    statut: str | Callable[[Any], str] = ""  # status code (path or function): coloured badge
    numerique: bool = False

    def brute(self, obj):
        return self.valeur(obj) if callable(self.valeur) else _resoudre(obj, self.valeur)

    def texte(self, obj) -> str:
        return FORMATS[self.format](self.brute(obj))


class ListeView(PermissionRequiredMixin, FilterView):
    """Base class of every list page. Subclasses set the attributes below."""

    titre = ""
    colonnes: list[Colonne] = []
    tri_defaut = ""
    paginate_by = 25
    action_principale: tuple[str, str, str] | None = None  # (label, url, permission)
    template_name = "listes/liste.html"
    raise_exception = True
    strict = False  # an invalid filter value shows the error, the list stays usable
    nom_export = ""

    def get_colonnes(self) -> list[Colonne]:
        return self.colonnes

    def get_tris(self) -> dict[str, str]:
        return {c.tri: c.tri for c in self.get_colonnes() if c.tri}

    def tri_courant(self) -> str:
        demande = self.request.GET.get("tri", "")
        if demande.lstrip("-") in self.get_tris():
            return demande
        return self.tri_defaut

    def get_queryset(self):
        if self.queryset is None and self.model is None:
            raise ImproperlyConfigured(f"{type(self).__name__} needs a queryset or a model.")
        qs = super().get_queryset()
        tri = self.tri_courant()
        if tri:
            qs = qs.order_by(tri, "pk")
        return qs

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "xlsx":
            filterset_class = self.get_filterset_class()
            self.filterset = self.get_filterset(filterset_class)
            qs = self.filterset.qs if self.filterset.is_bound else self.get_queryset()
            if self.filterset.is_bound and not self.filterset.is_valid():
                qs = qs.none()
            return self.exporter_excel(qs)
        return super().get(request, *args, **kwargs)

    # --- page --------------------------------------------------------------------------
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        colonnes = self.get_colonnes()
        tri = self.tri_courant()
        entetes = []
        for colonne in colonnes:
            sens = ""
            if colonne.tri and tri.lstrip("-") == colonne.tri:
                sens = "descending" if tri.startswith("-") else "ascending"
            prochain = f"-{colonne.tri}" if sens == "ascending" else colonne.tri
            entetes.append({"colonne": colonne, "sens": sens, "prochain_tri": prochain})
        lignes = []
        for obj in context["object_list"]:
            cellules = []
            for colonne in colonnes:
                cellule = {"texte": colonne.texte(obj), "numerique": colonne.numerique}
                if colonne.lien and hasattr(obj, "get_absolute_url"):
                    cellule["url"] = obj.get_absolute_url()
                if colonne.statut:
                    cellule["statut"] = (
                        colonne.statut(obj)
                        if callable(colonne.statut)
                        else _resoudre(obj, colonne.statut)
                    )
                cellules.append(cellule)
            lignes.append({"objet": obj, "cellules": cellules})
        action = None
        if self.action_principale and self.request.user.has_perm(self.action_principale[2]):
            action = {"libelle": self.action_principale[0], "url": self.action_principale[1]}
        context.update(
            titre=self.titre,
            entetes=entetes,
            lignes=lignes,
            total=context["paginator"].count if context.get("paginator") else len(lignes),
            action_principale=action,
            fil=[(self.titre, None)],
        )
        return context

    # --- Excel export ------------------------------------------------------------------
    def exporter_excel(self, queryset) -> FileResponse:
        liste_exportee.send(sender=type(self), request=self.request, titre=self.titre)
        colonnes = self.get_colonnes()
        wb = Classeur()
        ws = wb.feuille(self.titre or "Export")
        ws.tableau(
            [ColonneExcel(c.titre, TYPES_EXCEL.get(c.format, "")) for c in colonnes],
            (
                [self.valeur_excel(colonne, obj) for colonne in colonnes]
                for obj in queryset.iterator(chunk_size=2000)
            ),
        )
        # Closed by FileResponse once sent; a temporary file keeps big exports out of memory.
        fichier = tempfile.TemporaryFile()  # noqa: SIM115
        wb.save(fichier)
        fichier.seek(0)
        nom = self.nom_export or slugify(self.titre) or "export"
        horodatage = timezone.localtime().strftime("%Y%m%d-%H%M")
        return FileResponse(
            fichier,
            as_attachment=True,
            filename=f"{nom}-{horodatage}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )

    @staticmethod
    def valeur_excel(colonne: Colonne, obj):
        """Typed cell values: numbers stay numbers, dates stay dates."""
        valeur = colonne.brute(obj)
        if colonne.statut:
            return colonne.texte(obj)
        if valeur is None:
            return None
        if isinstance(valeur, bool):
            return "Oui" if valeur else "Non"
        if isinstance(valeur, Decimal | int | float):
            return float(valeur) if isinstance(valeur, Decimal) else valeur
        if isinstance(valeur, datetime):
            return (
                timezone.localtime(valeur).replace(tzinfo=None)
                if timezone.is_aware(valeur)
                else valeur
            )
        if isinstance(valeur, date):
            return valeur
        return str(valeur)
