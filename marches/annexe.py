"""The clause annex a buyer pastes into its tender documents (CCAP/CCTP): Word and PDF.

The text comes from the admin-edited ``ModeleClause`` of the clause's kind, rendered with the
lot's figures; the same blocks feed the .docx (python-docx) and the PDF (WeasyPrint).
"""

import io
import re
from dataclasses import dataclass

from django.contrib.staticfiles import finders
from django.template import Context, Engine
from django.template.loader import render_to_string
from django.utils import timezone

from marches.models import Lot, ModeleClause
from mife.core import formats
from mife.core.models import Parametres

VARIABLES = (
    "lot, marche, donneur_ordre, par_donneur_ordre, operation, heures, calcul, ajustement, "
    "ponderation, penalite, facilitateur, facilitateur_email, facilitateur_telephone, structure, "
    "la_structure, La_structure, a_la_structure, par_la_structure"
)
_MOTEUR = Engine(autoescape=False)  # plain text: escaping is done by each output format


@dataclass
class Bloc:
    genre: str  # "titre", "paragraphe", "puce"
    texte: str

    def segments(self) -> list[tuple[str, bool]]:
        """The text split into (text, bold) runs, from **bold** marks."""
        morceaux = re.split(r"\*\*(.+?)\*\*", self.texte)
        return [(m, i % 2 == 1) for i, m in enumerate(morceaux) if m]


def contexte(lot: Lot) -> dict:
    clause = lot.clause
    parametres = Parametres.get()
    facilitateur = lot.facilitateur
    calcul = ""
    if clause.heures_calculees and clause.montant_base is not None:
        calcul = " ".join(
            [
                f"{formats.montant(clause.montant_base)} HT",
                f"× {formats.pourcentage(clause.part_main_oeuvre)} de main-d'œuvre",
                f"× {formats.pourcentage(clause.taux_insertion)} d'insertion",
                f"÷ {formats.montant(clause.cout_horaire)} de coût horaire chargé",
                f"= {formats.heures(clause.heures_calculees)}",
            ]
        )
    return {
        "lot": f"{lot.numero} — {lot.intitule}",
        "marche": f"{lot.marche.reference} — {lot.marche.objet}",
        "donneur_ordre": lot.marche.donneur_ordre.nom,
        # « passé par la Ville de Belfort »: the buyer with the article stored on it.
        "par_donneur_ordre": lot.marche.donneur_ordre.par,
        "operation": str(lot.marche.operation or ""),
        "heures": formats.heures(clause.heures_requises),
        "calcul": calcul,
        "ajustement": clause.motif_derogation.strip() if clause.est_ajustee else "",
        "ponderation": formats.pourcentage(clause.ponderation_critere),
        "penalite": formats.montant(clause.penalite_horaire) if clause.penalite_horaire else "",
        "facilitateur": (facilitateur.get_full_name() if facilitateur else "") or "le facilitateur",
        "facilitateur_email": facilitateur.email if facilitateur else "",
        "facilitateur_telephone": facilitateur.telephone if facilitateur else "",
        # The team with its article (Paramètres): « la MIFE… », « La MIFE… » (start of a
        # sentence), « à la MIFE… », « par la MIFE… »; ``structure`` alone is the bare name.
        "structure": parametres.nom_structure,
        "la_structure": parametres.structure,
        "La_structure": parametres.structure_sujet,
        "a_la_structure": parametres.a_structure,
        "par_la_structure": parametres.par_structure,
    }


def modele(lot: Lot) -> ModeleClause:
    return ModeleClause.objects.get(type=lot.clause.type)


def blocs(lot: Lot) -> tuple[str, list[Bloc]]:
    """Title and blocks of the annex for ``lot``."""
    m = modele(lot)
    # Plain text: a Context escapes HTML by default (the engine's setting is not used here).
    texte = _MOTEUR.from_string(m.texte).render(Context(contexte(lot), autoescape=False))
    resultat = []
    for ligne in texte.splitlines():
        ligne = ligne.strip()
        if not ligne:
            continue
        if ligne.startswith("# "):
            resultat.append(Bloc("titre", ligne[2:].strip()))
        elif ligne.startswith("- "):
            resultat.append(Bloc("puce", ligne[2:].strip()))
        else:
            resultat.append(Bloc("paragraphe", ligne))
    return m.titre, resultat


def nom_fichier(lot: Lot, extension: str) -> str:
    base = re.sub(r"[^A-Za-z0-9-]+", "-", f"annexe-clause-{lot.marche.reference}-lot-{lot.numero}")
    return f"{base.strip('-')}.{extension}"


def docx(lot: Lot) -> bytes:
    from docx import Document
    from docx.shared import Pt

    titre, contenu = blocs(lot)
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(10.5)
    document.core_properties.title = titre
    document.core_properties.author = Parametres.get().nom_structure
    document.add_heading(titre, level=1)
    document.add_paragraph(
        f"Annexe au marché {lot.marche.reference} — lot {lot.numero} « {lot.intitule} », "
        f"passé {lot.marche.donneur_ordre.par}"
    )
    for bloc in contenu:
        if bloc.genre == "titre":
            document.add_heading(bloc.texte, level=2)
            continue
        paragraphe = document.add_paragraph(style="List Bullet" if bloc.genre == "puce" else None)
        for texte, gras in bloc.segments():
            paragraphe.add_run(texte).bold = gras
    tampon = io.BytesIO()
    document.save(tampon)
    return tampon.getvalue()


def pdf(lot: Lot) -> bytes:
    from weasyprint import HTML

    titre, contenu = blocs(lot)
    html = render_to_string(
        "marches/annexe_clause_pdf.html",
        {
            "titre": titre,
            "groupes": grouper(contenu),
            "lot": lot,
            "parametres": Parametres.get(),
            "date": timezone.localdate(),
            "donneur_ordre": lot.marche.donneur_ordre,
            "police": finders.find("fonts/DejaVuSans.ttf"),
            "police_grasse": finders.find("fonts/DejaVuSans-Bold.ttf"),
        },
    )
    return HTML(string=html, base_url=str(finders.find("fonts") or ".")).write_pdf()


def grouper(contenu: list[Bloc]) -> list[dict]:
    """Consecutive bullets grouped into one list (for the HTML/PDF layout)."""
    groupes: list[dict] = []
    for bloc in contenu:
        if bloc.genre == "puce":
            if not groupes or groupes[-1]["genre"] != "liste":
                groupes.append({"genre": "liste", "elements": []})
            groupes[-1]["elements"].append(bloc.segments())
        else:
            groupes.append({"genre": bloc.genre, "texte": bloc.texte, "segments": bloc.segments()})
    return groupes
