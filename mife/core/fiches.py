"""The reusable detail page: header with name, status badge and allowed actions, sections of
fields, related tables, and the history of changes at the bottom (DESIGN.md §6)."""

from dataclasses import dataclass, field

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.views.generic import DetailView

from mife.core.listes import FORMATS


@dataclass
class Champ:
    libelle: str
    valeur: object
    format: str = ""
    url: str = ""

    @property
    def texte(self) -> str:
        return FORMATS[self.format](self.valeur) if self.valeur not in (None, "") else "—"


@dataclass
class Section:
    titre: str
    champs: list[Champ] = field(default_factory=list)


@dataclass
class Tableau:
    """A table of related rows: ``lignes`` are lists of (texte, url) cells."""

    titre: str
    entetes: list[str]
    lignes: list[list[tuple[str, str]]]
    vide: str = "Aucun élément."


@dataclass
class Action:
    libelle: str
    url: str
    principale: bool = False
    methode: str = "get"  # "post" actions are rendered as a form with a CSRF token


def historique(obj, limite: int = 50) -> list[dict]:
    """The last changes of ``obj`` (django-simple-history): who, when, what changed."""
    if not hasattr(obj, "history"):
        return []
    versions = list(
        obj.history.select_related("history_user").order_by("-history_date")[: limite + 1]
    )
    lignes = []
    for i, version in enumerate(versions[:limite]):
        precedente = versions[i + 1] if i + 1 < len(versions) else None
        changements = []
        if precedente is not None and version.history_type == "~":
            delta = version.diff_against(precedente)
            for change in delta.changes:
                if change.field in {"version", "modifie_le", "modifie_par"}:
                    continue
                champ = obj._meta.get_field(change.field)
                if champ.many_to_many:
                    changements.append(
                        f"{champ.verbose_name} : {len(change.old or [])} → "
                        f"{len(change.new or [])} élément(s)"
                    )
                else:
                    changements.append(
                        f"{champ.verbose_name} : « {change.old} » → « {change.new} »"
                    )
        lignes.append(
            {
                "date": version.history_date,
                "auteur": version.history_user or "système",
                "type": {"+": "Création", "~": "Modification", "-": "Suppression"}[
                    version.history_type
                ],
                "changements": changements,
            }
        )
    return lignes


class FicheView(PermissionRequiredMixin, DetailView):
    template_name = "fiches/fiche.html"
    raise_exception = True

    def get_titre(self) -> str:
        return str(self.object)

    def get_sections(self) -> list[Section]:
        return []

    def get_tableaux(self) -> list[Tableau]:
        return []

    def get_actions(self) -> list[Action]:
        return []

    def get_statut(self) -> tuple[str, str] | None:
        return None

    def get_fil(self) -> list[tuple[str, str | None]]:
        return [(self.get_titre(), None)]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            titre=self.get_titre(),
            sections=self.get_sections(),
            tableaux=self.get_tableaux(),
            actions=self.get_actions(),
            statut=self.get_statut(),
            historique=historique(self.object),
            fil=self.get_fil(),
        )
        return context
