"""The reusable detail page: header with name, status badge and allowed actions, sections of
fields, related tables, and the history of changes at the bottom (DESIGN.md §6)."""

from dataclasses import dataclass, field

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.views.generic import DetailView

from mife.core.historique import lignes_historique
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

    #: A cell of one word up to this length (a reference « MIS-2026-0057 », a date, an amount
    #: without space) stays on one line: cut at a hyphen or a slash it reads as two values.
    MOT_SUR_UNE_LIGNE = 24

    @property
    def rangees(self) -> list[list[tuple[str, str, bool]]]:
        """The rows as (texte, url, sur_une_ligne) cells, as the template shows them."""
        return [
            [(texte, url, self.un_seul_mot(str(texte))) for texte, url in ligne]
            for ligne in self.lignes
        ]

    @classmethod
    def un_seul_mot(cls, texte: str) -> bool:
        return " " not in texte and len(texte) <= cls.MOT_SUR_UNE_LIGNE


#: Rows shown at most in a table of a detail page (the rest: a link to the filtered list).
LIMITE_TABLEAU = 50


def limiter(
    queryset,
    titre: str,
    url_tout: str = "",
    libelle_tout: str = "",
    feminin: bool = False,
    limite: int = LIMITE_TABLEAU,
):
    """At most ``limite`` rows of ``queryset`` (read with LIMIT ``limite`` + 1, whatever the
    number of rows); when there are more, the title says so and, given ``url_tout``, a last row
    links to the full filtered list. Returns (rows, title, that last row or None)."""
    objets = list(queryset[: limite + 1])
    tronque = len(objets) > limite
    if tronque:
        titre = f"{titre} ({limite} plus {'récentes' if feminin else 'récents'})"
    suite = [(libelle_tout, url_tout)] if tronque and url_tout else None
    return objets[:limite], titre, suite


@dataclass
class Action:
    libelle: str
    url: str
    principale: bool = False
    methode: str = "get"  # "post" actions are rendered as a form with a CSRF token


def historique(obj, limite: int = 50) -> list[dict]:
    """The last ``limite`` changes of ``obj``, newest first: who, when, what changed."""
    if not hasattr(obj, "history"):
        return []
    versions = list(
        obj.history.select_related("history_user").order_by("-history_date")[: limite + 1]
    )
    lignes = lignes_historique(versions[::-1], type(obj))
    if len(versions) > limite:
        lignes = lignes[1:]  # the version before the oldest shown: only the base of its changes
    return [
        {
            "date": ligne.date,
            "auteur": ligne.auteur,
            "type": ligne.type,
            "changements": [str(changement) for changement in ligne.changements],
        }
        for ligne in reversed(lignes)
    ]


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
