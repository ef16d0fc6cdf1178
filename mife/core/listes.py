"""The reusable list page: filters in the URL, sortable columns, pagination, Excel export.

A list page declares its permission, its FilterSet, its columns and its base queryset; the
page and the Excel export show exactly the same filtered rows (DESIGN.md §6). The export is
written with openpyxl in write-only mode while the rows are read in chunks, so a hundred
thousand rows do not fill the memory; ``mife.core.excel.Classeur`` keeps every text a text
(never a formula).

**Export from values.** When every exported column reads ORM paths (an attribute path such
as ``"employeur.raison_sociale"``, a choice's label ``"get_modalite_display"``, an
annotation, or a function given its ``champs``, see ``Colonne``), the export reads tuples
(``values_list``) instead of building model instances: no declaration needed, the list gets
it automatically. A column that needs the object (a function without ``champs``, a path to a
related object shown by its ``__str__``, a property, a method) sends the whole list through
the objects, as the page does: whatever an object-level rule decides (the protected criteria
of the participants list) stays decided by it.
"""

import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from operator import itemgetter
from typing import Any

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, ObjectDoesNotExist
from django.http import FileResponse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.text import slugify
from django_filters.views import FilterView

from mife.core import excel, formats
from mife.core.excel import Classeur, ColonneExcel
from mife.core.pagination import PaginateurListe
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


def _libelle_de(libelles: dict, valeur):
    """Django's ``get_…_display()`` given the field's labels (``Colonne._libelles``)."""
    try:
        return force_str(libelles.get(valeur, valeur), strings_only=True)
    except TypeError:  # an unhashable value (a JSON list)
        return force_str(libelles.get(make_hashable(valeur), valeur), strings_only=True)


def _chemin_orm(modele, parties: tuple[str, ...], annotations) -> str | None:
    """``("employeur", "raison_sociale")`` -> ``"employeur__raison_sociale"`` when the path
    reads a field through forward relations (or a reverse one-to-one, or is an annotation);
    None for anything else (a related object itself, a property, a method, a to-many path)."""
    if not parties:
        return None
    if parties[0] in annotations:
        return parties[0] if len(parties) == 1 else None
    dernier = len(parties) - 1
    for rang, partie in enumerate(parties):
        try:
            champ = modele._meta.get_field(partie)
        except FieldDoesNotExist:
            return None
        cle = partie == getattr(champ, "attname", None) != champ.name  # "participant_id"
        if champ.is_relation and not cle:
            # A related object: only as a step of the path, and only one row per row.
            if rang == dernier or not (champ.many_to_one or champ.one_to_one):
                return None
            if champ.related_model is None:  # a generic foreign key
                return None
            modele = champ.related_model
        elif rang != dernier or not champ.concrete:
            return None
    return "__".join(parties)


def _resoudre(obj, chemin: str | tuple[str, ...]):
    valeur = obj
    for partie in chemin.split(".") if isinstance(chemin, str) else chemin:
        if valeur is None:
            return None
        try:
            valeur = getattr(valeur, partie)
        except ObjectDoesNotExist:  # a missing one-to-one (a lot without clause)
            return None
    return valeur() if callable(valeur) else valeur


@dataclass(frozen=True)
class Colonne:
    """A column of a list page and of its Excel export.

    ``valeur`` is an attribute path (``"reference"``, ``"employeur.raison_sociale"``, an
    annotation), a choice's label (``"get_modalite_display"``) or a function of the object.
    A function may instead declare the ORM paths it reads (``champs``, ``"participant__nom"``):
    it is then given their values, in that order, both on the page (read from the object) and
    in the export (read from the row's tuple)::

        Colonne("Participant", nom_affiche, champs=("participant_id", "participant__nom", …))

    The export of a list whose exported columns are all paths or functions with ``champs``
    reads tuples, not objects (much cheaper per row: see the module's docstring); a path
    ending on a related object (``"lot"``, shown by ``str``) or a function of the object
    keeps the list's export on the objects.
    """

    titre: str
    valeur: str | Callable[..., Any]  # attribute path ("marche.reference") or function
    tri: str = ""  # ORM ordering field; empty = not sortable
    format: str = ""  # key of FORMATS
    lien: bool = False  # link the cell to obj.get_absolute_url()
    statut: str | Callable[[Any], str] = ""  # status code (path or function): coloured badge
    numerique: bool = False
    url: Callable[[Any], str] | None = None  # link of the cell ("" or None: no link)
    excel: bool = True  # False: a page-only column (a download link), left out of the export
    reference: bool = False  # a reference (« ATT-2026-09-00006 », « MIS-2026-0019 »): one line
    #: With a function ``valeur``: the ORM paths whose values it is given (see the docstring).
    champs: tuple[str, ...] = ()

    def __post_init__(self):
        if self.champs and not callable(self.valeur):
            raise ImproperlyConfigured(f"Colonne « {self.titre} » : champs demande une fonction.")

    def brute(self, obj):
        if self.champs:
            return self.valeur(*(_resoudre(obj, chemin) for chemin in self._chemins_champs))
        if callable(self.valeur):
            return self.valeur(obj)
        if self._champ_a_choix:
            return self._libelle(obj)
        return _resoudre(obj, self._chemin)

    @cached_property
    def _champ_a_choix(self) -> str:
        """``"modalite"`` for ``"get_modalite_display"`` (a choice's label), else ``""``."""
        chemin = self.valeur if isinstance(self.valeur, str) else ""
        if "." not in chemin and chemin.startswith("get_") and chemin.endswith("_display"):
            return chemin[4:-8]
        return ""

    def _libelles(self, modele) -> tuple[str, dict]:
        """The attname of the choice field and its labels, read once per model (Django
        rebuilds their dictionary on each ``get_…_display()`` call: once per row in an
        export)."""
        par_modele = self.__dict__.setdefault("_libelles_par_modele", {})
        try:
            return par_modele[modele]
        except KeyError:
            champ = modele._meta.get_field(self._champ_a_choix)
            libelles = dict(make_hashable(champ.flatchoices))
            par_modele[modele] = (champ.attname, libelles)
            return par_modele[modele]

    def _libelle(self, obj):
        """What ``obj.get_<champ>_display()`` returns."""
        attname, libelles = self._libelles(type(obj))
        return _libelle_de(libelles, getattr(obj, attname))

    @cached_property
    def _chemin(self) -> tuple[str, ...]:
        """The attribute path, split once (``brute`` runs for every cell of an export)."""
        return tuple(self.valeur.split(".")) if isinstance(self.valeur, str) else ()

    @cached_property
    def _chemins_champs(self) -> tuple[tuple[str, ...], ...]:
        """``champs`` as attribute paths (``"participant__nom"`` -> participant, nom)."""
        return tuple(tuple(chemin.split("__")) for chemin in self.champs)

    def lecture(self, modele, annotations) -> tuple[tuple[str, ...], Callable | None] | None:
        """How the export reads this column from a row of values of ``modele``'s queryset:
        the ORM paths to select and the function of their values giving ``brute`` (None: the
        value itself); None when the column needs the object (see the class docstring)."""
        if self.champs:
            return self.champs, self.valeur
        if callable(self.valeur):
            return None
        if self._champ_a_choix:
            try:
                attname, libelles = self._libelles(modele)
            except FieldDoesNotExist:
                return None
            return (attname,), lambda valeur: _libelle_de(libelles, valeur)
        chemin = _chemin_orm(modele, self._chemin, annotations)
        return None if chemin is None else ((chemin,), None)

    def texte(self, obj) -> str:
        return FORMATS[self.format](self.brute(obj))

    @property
    def classe(self) -> str:
        """CSS class of the column's cells: short values (numbers, dates, badges) never wrap;
        the object's name wraps within a readable width instead of one word per line."""
        if self.numerique:
            return "text-nowrap text-end"
        if self.statut or self.reference or self.format in FORMATS_SUR_UNE_LIGNE:
            return "text-nowrap"
        if self.lien:
            return "colonne-nom"
        return "colonne-texte"


#: Formats whose text is short and must stay on one line (« 12/03/2026 », « 1 234,5 h »).
FORMATS_SUR_UNE_LIGNE = frozenset(
    {"date", "mois", "heures", "montant", "nombre", "pourcentage", "booleen"}
)


class ListeView(PermissionRequiredMixin, FilterView):
    """Base class of every list page. Subclasses set the attributes below."""

    titre = ""
    colonnes: list[Colonne] = []
    tri_defaut = ""
    paginate_by = 25
    paginator_class = PaginateurListe  # last and deep pages without a long OFFSET
    action_principale: tuple[str, str, str] | None = None  # (label, url, permission)
    #: What an empty list says when it has no row at all (« Aucun besoin de recrutement. »)
    #: and, optionally, how rows come in when there is no creation button here.
    message_vide = "Aucun élément pour l'instant."
    aide_vide = ""
    template_name = "listes/liste.html"
    raise_exception = True
    strict = False  # an invalid filter value shows the error, the list stays usable
    nom_export = ""
    #: Only for an export read from the objects (a column needs the object, see ``Colonne``):
    #: the fields read (``QuerySet.only``), when the columns need few of them, so that a big
    #: export builds light objects. Every field a column reads must be listed (with the joined
    #: objects' keys), or each row would cost a query; empty = every field. An export read from
    #: values selects exactly its columns' paths: nothing to declare.
    champs_export: tuple[str, ...] = ()

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
                cellule = {"texte": colonne.texte(obj), "classe": colonne.classe}
                if colonne.lien and hasattr(obj, "get_absolute_url"):
                    cellule["url"] = obj.get_absolute_url()
                elif colonne.url is not None and (url := colonne.url(obj)):
                    cellule["url"] = url
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
        total = context["paginator"].count if context.get("paginator") else len(lignes)
        context.update(
            titre=self.titre,
            entetes=entetes,
            lignes=lignes,
            total=total,
            action_principale=action,
            fil=[(self.titre, None)],
            filtres_actifs=self.filtres_actifs(),
        )
        if not total:
            context["vide"] = self.etat_vide()
        return context

    def filtres_actifs(self) -> bool:
        """True when the query string holds a non-empty value for one of the filters."""
        filterset = getattr(self, "filterset", None)
        if filterset is None:
            return False
        return any(
            v.strip() for nom in filterset.form.fields for v in self.request.GET.getlist(nom)
        )

    def etat_vide(self) -> dict:
        """What an empty page says: no row matches the filters (with a link that resets
        them), or the list has no row at all (with the next thing to do)."""
        if self.filtres_actifs() and self.get_queryset().exists():
            return {"filtre": True, "message": "Aucun résultat ne correspond à ces filtres."}
        return {"filtre": False, "message": self.message_vide, "aide": self.aide_vide}

    # --- Excel export ------------------------------------------------------------------
    def exporter_excel(self, queryset) -> FileResponse:
        liste_exportee.send(sender=type(self), request=self.request, titre=self.titre)
        colonnes = [colonne for colonne in self.get_colonnes() if colonne.excel]
        wb = Classeur()
        ws = wb.feuille(self.titre or "Export")
        ws.tableau(
            [ColonneExcel(c.titre, TYPES_EXCEL.get(c.format, "")) for c in colonnes],
            self.lignes_excel(queryset, colonnes),
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

    def lignes_excel(self, queryset, colonnes: Sequence[Colonne]) -> Iterable[list]:
        """The export's rows, read in chunks: from tuples of values when every column can be
        read so (``lecture_en_valeurs``), else from the objects (``champs_export``)."""
        en_valeurs = lecture_en_valeurs(queryset, colonnes)
        if en_valeurs is not None:
            chemins, cellules = en_valeurs
            # Prefetches belong to objects; a path never needs them.
            lignes = queryset.prefetch_related(None).values_list(*chemins)
            return ([cellule(ligne) for cellule in cellules] for ligne in lignes.iterator(2000))
        if self.champs_export:
            queryset = queryset.only(*self.champs_export)
        return (
            [self.valeur_excel(colonne, obj) for colonne in colonnes]
            for obj in queryset.iterator(chunk_size=2000)
        )

    @staticmethod
    def valeur_excel(colonne: Colonne, obj):
        """Typed cell values: numbers stay numbers, dates stay dates."""
        valeur = colonne.brute(obj)
        if colonne.statut:
            return FORMATS[colonne.format](valeur)  # the badge's text, as on the page
        return cellule_excel(valeur)


def lecture_en_valeurs(
    queryset, colonnes: Sequence[Colonne]
) -> tuple[list[str], list[Callable[[tuple], Any]]] | None:
    """The ORM paths to select (``values_list``) and, for each column, the function of a row
    of values giving its cell (what ``ListeView.valeur_excel`` gives from the object); None
    when a column needs the object. The key comes first: a ``distinct()`` list keeps two rows
    whose exported values are equal."""
    modele = queryset.model
    annotations = set(queryset.query.annotations)
    chemins: list[str] = ["pk"]
    cellules = []
    for colonne in colonnes:
        lecture = colonne.lecture(modele, annotations)
        if lecture is None:
            return None
        lus, fonction = lecture
        rangs = []
        for chemin in lus:
            if chemin not in chemins:
                chemins.append(chemin)
            rangs.append(chemins.index(chemin))
        cellules.append(_cellule(colonne, tuple(rangs), fonction))
    return chemins, cellules


def _cellule(colonne: Colonne, rangs: tuple[int, ...], fonction) -> Callable[[tuple], Any]:
    """The function of a row of values giving the column's cell (``ListeView.valeur_excel``)."""
    typer = (lambda v: FORMATS[colonne.format](v)) if colonne.statut else cellule_excel
    if fonction is None:
        (rang,) = rangs
        return lambda ligne: typer(ligne[rang])
    if len(rangs) == 1:
        (rang,) = rangs
        return lambda ligne: typer(fonction(ligne[rang]))
    lire = itemgetter(*rangs)
    return lambda ligne: typer(fonction(*lire(ligne)))


def cellule_excel(valeur):
    """A raw value as an export cell: numbers stay numbers, dates stay dates."""
    if type(valeur) is str:  # the most frequent value first
        return valeur
    if valeur is None:
        return None
    if isinstance(valeur, bool):
        return "Oui" if valeur else "Non"
    if isinstance(valeur, Decimal | int | float):
        return float(valeur) if isinstance(valeur, Decimal) else valeur
    if isinstance(valeur, datetime):
        return (
            timezone.localtime(valeur).replace(tzinfo=None) if timezone.is_aware(valeur) else valeur
        )
    if isinstance(valeur, date):
        return valeur
    return str(valeur)
