"""Charts of the indicators, drawn server-side as SVG with matplotlib: one function per chart,
used by the *Indicateurs* page (served as an image) and by the bilan PDF (embedded).

Text is drawn as paths with the vendored DejaVu Sans (static/fonts), so the SVG needs no font
and no style sheet. A bar of fewer than 3 people is not drawn and reads « < 3 ».

Drawing a chart costs tens of milliseconds: each SVG is kept in the cache (Django's default
cache) under a hash of the chart's name and of its exact input data (``_en_cache``). The same
data always gives the same SVG, so a cached chart can never show stale figures: new figures
make a new key.
"""

from __future__ import annotations

import functools
import hashlib
import io
from pathlib import Path

import matplotlib
from django.conf import settings
from django.core.cache import cache
from matplotlib import font_manager
from matplotlib.figure import Figure

from mife.core import formats
from mife.indicateurs import MASQUE, Indicateurs, Ligne

MOIS_COURTS = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
               "nov.", "déc."]  # fmt: skip
COULEURS = ["#1f4e79", "#4f8cc9", "#9dc3e6", "#f4b183", "#c55a11", "#7f7f7f"]
COULEUR_ATTENDU = "#c55a11"
_POLICE = Path(settings.BASE_DIR) / "static" / "fonts" / "DejaVuSans.ttf"
_police_chargee = False
# Part of every cache key: bump it when a drawing function changes.
VERSION_DESSIN = f"1-matplotlib-{matplotlib.__version__}"
DUREE_CACHE = 24 * 3600


def _donnees(valeur):
    """The input data of a chart as plain values, for its cache key (a line's ``lien`` is not
    drawn: left out)."""
    if isinstance(valeur, Ligne):
        return ("Ligne", valeur.code, valeur.libelle, valeur.personnes, repr(valeur.heures))
    if isinstance(valeur, dict):
        return ("dict", *((_donnees(k), _donnees(v)) for k, v in valeur.items()))
    if isinstance(valeur, list | tuple):
        return ("list", *(_donnees(v) for v in valeur))
    return repr(valeur)


def cle_cache(nom: str, *args, **kwargs) -> str:
    donnees = repr((VERSION_DESSIN, nom, _donnees(args), _donnees(sorted(kwargs.items()))))
    return "graphique:" + hashlib.sha256(donnees.encode()).hexdigest()


def _en_cache(dessin):
    """Keep the SVG drawn by ``dessin`` in the cache, keyed by its exact arguments."""

    @functools.wraps(dessin)
    def dessin_en_cache(*args, **kwargs):
        cle = cle_cache(dessin.__name__, *args, **kwargs)
        svg = cache.get(cle)
        if svg is None:
            svg = dessin(*args, **kwargs)
            cache.set(cle, svg, DUREE_CACHE)
        return svg

    return dessin_en_cache


def _figure(largeur: float = 7.0, hauteur: float = 3.2) -> Figure:
    global _police_chargee
    if not _police_chargee and _POLICE.exists():
        font_manager.fontManager.addfont(str(_POLICE))
        _police_chargee = True
    figure = Figure(figsize=(largeur, hauteur))
    figure.set_layout_engine("constrained")
    return figure


def _svg(figure: Figure) -> str:
    sortie = io.StringIO()
    with matplotlib.rc_context(
        {"font.family": "DejaVu Sans", "svg.fonttype": "path", "svg.hashsalt": "mife"}
    ):
        figure.savefig(sortie, format="svg", metadata={"Date": None})
    return sortie.getvalue()


def _axes(figure: Figure):
    axes = figure.add_subplot()
    for cote in ("top", "right"):
        axes.spines[cote].set_visible(False)
    axes.tick_params(labelsize=8)
    return axes


def valeurs_affichees(lignes: list[Ligne], valeur: str = "heures") -> list[tuple[str, float, str]]:
    """(label, bar length, text) of each line: a line of fewer than 3 people gets no bar and
    reads « < 3 »."""
    resultat = []
    for ligne in lignes:
        if ligne.masque:
            resultat.append((ligne.libelle, 0.0, MASQUE))
        elif valeur == "heures":
            resultat.append((ligne.libelle, float(ligne.heures), formats.heures(ligne.heures)))
        else:
            resultat.append(
                (ligne.libelle, float(ligne.personnes), formats.nombre(ligne.personnes, 0))
            )
    return resultat


@_en_cache
def barres(lignes: list[Ligne], titre: str, valeur: str = "heures") -> str:
    """Horizontal bars of ``valeur`` (``heures`` or ``personnes``) per line; a line of fewer
    than 3 people is not drawn and reads « < 3 »."""
    figure = _figure(7.0, 0.3 * max(len(lignes), 2) + 0.8)
    with matplotlib.rc_context({"font.family": "DejaVu Sans"}):
        axes = _axes(figure)
        affichees = valeurs_affichees(lignes, valeur)[::-1]
        barres_ = axes.barh([a[0] for a in affichees], [a[1] for a in affichees], color=COULEURS[0])
        maximum = max((a[1] for a in affichees), default=0) or 1
        for barre, (_, _, texte) in zip(barres_, affichees, strict=True):
            axes.text(
                barre.get_width() + maximum * 0.01,
                barre.get_y() + barre.get_height() / 2,
                texte,
                va="center",
                fontsize=8,
            )
        axes.set_xlim(0, maximum * 1.2)
        axes.set_title(titre, fontsize=10, loc="left")
        axes.xaxis.set_visible(False)
        return _svg(figure)


@_en_cache
def barres_empilees(series: dict[str, list[Ligne]], titre: str) -> str:
    """People of each group (``series``: group → lines of the same categories), stacked by
    category; a part of fewer than 3 people is not drawn."""
    figure = _figure(7.0, 0.5 * max(len(series), 2) + 1.4)
    with matplotlib.rc_context({"font.family": "DejaVu Sans"}):
        axes = _axes(figure)
        groupes = list(series)[::-1]
        categories = [ligne.libelle for ligne in next(iter(series.values()), [])]
        gauche = [0.0] * len(groupes)
        for i, categorie in enumerate(categories):
            valeurs = []
            for groupe in groupes:
                ligne = series[groupe][i]
                valeurs.append(0.0 if ligne.masque else float(ligne.personnes))
            axes.barh(
                groupes, valeurs, left=gauche, color=COULEURS[i % len(COULEURS)], label=categorie
            )
            gauche = [g + v for g, v in zip(gauche, valeurs, strict=True)]
        axes.set_title(titre, fontsize=10, loc="left")
        axes.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3)
        return _svg(figure)


def courbe_mensuelle(resultat: Indicateurs) -> str:
    """Validated hours per month (bars) and cumulated, against the required pace (line)."""
    return _courbe_mensuelle(resultat.par_mois)


@_en_cache
def _courbe_mensuelle(par_mois: list) -> str:
    figure = _figure(7.0, 3.0)
    with matplotlib.rc_context({"font.family": "DejaVu Sans"}):
        axes = _axes(figure)
        mois = [f"{formats.MOIS[m.month - 1][:4]}. {m.year % 100:02d}" for m, _, _ in par_mois]
        realise, attendu, cumul_r, cumul_a = [], [], [], []
        total_r = total_a = 0.0
        for _, heures, requis in par_mois:
            total_r += float(heures)
            total_a += float(requis)
            realise.append(float(heures))
            attendu.append(float(requis))
            cumul_r.append(total_r)
            cumul_a.append(total_a)
        axes.bar(mois, realise, color=COULEURS[1], label="Heures validées du mois")
        axes.plot(mois, attendu, color=COULEUR_ATTENDU, marker="o", markersize=3,
                  label="Rythme requis (heures dues par mois)")  # fmt: skip
        axes.set_title("Heures validées par mois et rythme requis", fontsize=10, loc="left")
        axes.tick_params(axis="x", labelrotation=45)
        axes.legend(fontsize=7, loc="upper left")
        return _svg(figure)


def sorties(resultat: Indicateurs) -> str:
    return barres(resultat.sorties, "Sorties des missions terminées", valeur="personnes")


# The charts by name, for the page (one URL per chart) and the PDF.
GRAPHIQUES = {
    "mois": ("Heures validées par mois et rythme requis", courbe_mensuelle),
    "donneurs": (
        "Heures par donneur d'ordre",
        lambda r: barres(r.par_donneur[:12], "Heures par donneur d'ordre"),
    ),
    "modalites": (
        "Heures par modalité",
        lambda r: barres(r.par_modalite, "Heures par modalité"),
    ),
    "profil": (
        "Participants par tranche d'âge et sexe",
        lambda r: barres_empilees(r.age_par_sexe, "Participants par sexe et tranche d'âge"),
    ),
    "niveaux": (
        "Participants par niveau de qualification",
        lambda r: barres(r.par_niveau, "Participants par niveau de qualification", "personnes"),
    ),
    "sorties": ("Sorties", sorties),
}


def dessiner(nom: str, resultat: Indicateurs) -> str:
    return GRAPHIQUES[nom][1](resultat)
