"""The annual bilan: the same figures (``mife.indicateurs``) as a PDF and as an Excel workbook,
for all buyers or for one (per-buyer bilan: its contracts only, small counts masked).

``tableaux`` is the one list of the bilan's tables: the PDF prints them, the workbook writes
one sheet per table, so both always agree with each other and with the page.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone

from marches.models import DonneurOrdre
from mife import graphiques, indicateurs
from mife.core import excel, formats
from mife.core.excel import Cellule, Classeur, ColonneExcel, Pourcentage
from mife.core.models import Parametres
from mife.indicateurs import Filtres, Indicateurs, Ligne

# Column kinds: how the PDF formats a value and which Excel number format the cell gets.
TEXTE, NOMBRE, DECIMAL, HEURES, POURCENT, MOIS = (
    "texte", "nombre", "decimal", "heures", "pourcent", "mois"
)  # fmt: skip
FORMATS_EXCEL = {
    NOMBRE: "#,##0",
    DECIMAL: excel.FORMATS[excel.NOMBRE],
    HEURES: excel.FORMATS[excel.HEURES],
    MOIS: excel.FORMATS[excel.MOIS],
}  # percentages: excel.Pourcentage


@dataclass
class Colonne:
    titre: str
    type: str = TEXTE


@dataclass
class Tableau:
    titre: str
    feuille: str  # sheet name (31 characters at most)
    colonnes: list[Colonne]
    lignes: list[list]
    note: str = ""
    # Kind of the value columns per row, when rows mix kinds (key figures).
    types_lignes: list[str] | None = None

    def type_cellule(self, i: int, j: int) -> str:
        if self.types_lignes and j > 0:
            return self.types_lignes[i]
        return self.colonnes[j].type

    def cellules_pdf(self) -> list[list[str]]:
        return [
            [_format_pdf(valeur, self.type_cellule(i, j)) for j, valeur in enumerate(ligne)]
            for i, ligne in enumerate(self.lignes)
        ]


def _format_pdf(valeur, type_: str) -> str:
    if valeur is None or valeur == "":
        return "—"
    if isinstance(valeur, str) and type_ != TEXTE:
        return valeur  # « < 3 »
    if type_ == HEURES:
        return formats.heures(valeur)
    if type_ == NOMBRE:
        return formats.nombre(valeur, 0)
    if type_ == DECIMAL:
        return formats.nombre(valeur, 2)
    if type_ == POURCENT:
        return formats.pourcentage(valeur)
    if type_ == MOIS:
        return formats.mois_fr(valeur)
    return str(valeur)


def _personnes(ligne: Ligne, masquer: bool):
    return ligne.personnes_affichees if masquer else ligne.personnes


def _heures(ligne: Ligne, masquer: bool):
    return "< 3" if masquer and ligne.masque else ligne.heures


def _repartition(titre, feuille, lignes, masquer, entete="Catégorie", heures=True, note=""):
    colonnes = [Colonne(entete), Colonne("Personnes", NOMBRE)]
    if heures:
        colonnes.append(Colonne("Heures", HEURES))
    return Tableau(
        titre,
        feuille,
        colonnes,
        [
            [ligne.libelle, _personnes(ligne, masquer)]
            + ([_heures(ligne, masquer)] if heures else [])
            for ligne in lignes
        ],
        note,
    )


def tableaux(r: Indicateurs, precedent: Indicateurs | None, masquer: bool) -> list[Tableau]:
    """Every table of the bilan, in order (``masquer``: per-buyer, counts of 1–2 people show
    « < 3 »)."""
    parametres = Parametres.get()
    cles = [
        [c["libelle"], c["valeur"], c["precedent"]] for c in indicateurs.chiffres_cles(r, precedent)
    ]
    types_cles = {"heures": HEURES, "etp": DECIMAL, "part_sorties_dynamiques": POURCENT}
    # Key figures mix kinds: one typed column per row is not possible, keep numbers typed.
    t_cles = Tableau(
        "Chiffres clés",
        "Chiffres clés",
        [
            Colonne("Indicateur"),
            Colonne(f"{r.filtres.libelle_periode}", NOMBRE),
            Colonne("Un an avant", NOMBRE),
        ],
        cles,
        f"ETP : heures ÷ {formats.nombre(parametres.diviseur_etp, 0)}.",
        types_lignes=[types_cles.get(c, NOMBRE) for c, _ in indicateurs.CHIFFRES_CLES],
    )
    t_mois = Tableau(
        "Heures validées par mois et rythme requis",
        "Par mois",
        [
            Colonne("Mois", MOIS),
            Colonne("Heures validées", HEURES),
            Colonne("Rythme requis", HEURES),
        ],
        [[m, h, a] for m, h, a in r.par_mois],
    )
    sorties = Tableau(
        "Sorties des missions terminées dans la période",
        "Sorties",
        [Colonne("Sortie"), Colonne("Sorties", NOMBRE)],
        [[s.libelle, _personnes(s, masquer)] for s in r.sorties]
        + [["Part des sorties dynamiques (%)", r.part_sorties_dynamiques]],
        "Sorties dynamiques : emploi durable, emploi de transition, sortie positive.",
    )
    six_mois = Tableau(
        "Situation six mois après la sortie",
        "Six mois après",
        [Colonne("Situation"), Colonne("Sorties", NOMBRE)],
        [[s.libelle, _personnes(s, masquer)] for s in r.six_mois],
    )
    structures = Tableau(
        "Structures accompagnées (au moins un échange dans la période)",
        "Structures",
        [Colonne("Type de structure"), Colonne("Structures", NOMBRE)],
        [[s.libelle, s.personnes] for s in r.structures]
        + [
            ["Total des structures accompagnées", r.nb_structures],
            ["Échanges", r.nb_echanges],
            ["dont visites de chantier", r.nb_visites],
        ],
    )
    label = Tableau(
        "Label Empl'itudes et animation du réseau",
        "Label et réseau",
        [Colonne("Indicateur"), Colonne("Nombre", NOMBRE)],
        [
            ["Dossiers de label déposés", r.label["dossiers_deposes"]],
            ["Labels obtenus", r.label["labels_obtenus"]],
            ["Labels valables en fin de période", r.label["labels_valides"]],
            ["Événements du réseau", r.label["evenements"]],
            ["Entreprises présentes aux événements", r.label["entreprises_presentes"]],
        ],
    )
    return [
        t_cles,
        _repartition("Heures par donneur d'ordre", "Donneurs d'ordre", r.par_donneur, masquer,
                     "Donneur d'ordre"),
        _repartition("Heures par opération", "Opérations", r.par_operation, masquer, "Opération"),
        _repartition("Heures par entreprise", "Entreprises", r.par_entreprise, masquer,
                     "Entreprise"),
        _repartition("Heures par nature de marché", "Natures", r.par_nature, masquer, "Nature"),
        _repartition("Heures par famille CPV", "CPV", r.par_cpv, masquer, "Famille CPV"),
        t_mois,
        _repartition("Participants par sexe", "Sexe", r.par_sexe, masquer, "Sexe"),
        _repartition("Participants par tranche d'âge", "Âge", r.par_age, masquer, "Tranche"),
        _repartition("Participants par tranche d'âge (FSE+)", "Âge FSE+", r.par_age_fse, masquer,
                     "Tranche"),
        _repartition("Participants par niveau de qualification", "Niveau", r.par_niveau, masquer,
                     "Niveau"),
        _repartition("Participants par niveau (regroupement CITE du FSE+)", "Niveau CITE",
                     r.par_cite, masquer, "CITE"),
        _repartition("Participants par situation à l'entrée", "Situation",
                     [*r.par_situation, r.dont_longue_duree], masquer, "Situation"),
        _repartition("Participants par résidence en QPV", "QPV", r.par_qpv, masquer, "Résidence"),
        _repartition("Participants par critère d'éligibilité", "Critères", r.par_critere,
                     masquer, "Critère",
                     note="Critères de santé : effectifs seulement (0 h affichée)."),
        _repartition("Participants et heures par modalité", "Modalités", r.par_modalite, masquer,
                     "Modalité"),
        sorties,
        six_mois,
        structures,
        label,
    ]  # fmt: skip


METHODOLOGIE = [
    ("Heures réalisées", "Somme des lignes des déclarations mensuelles validées (dernière "
     "version : une déclaration corrigée ne compte plus). Les brouillons, déclarations soumises, "
     "rejetées ou remplacées ne comptent pas. Une heure appartient à la période de son mois "
     "déclaré."),
    ("ETP", "Heures réalisées ÷ le diviseur des paramètres (1 607 h, durée légale annuelle)."),
    ("Participants", "Personnes ayant au moins une heure validée dans la période, comptées une "
     "fois quel que soit le nombre de missions."),
    ("Profil", "Âge, niveau, situation, résidence et critères sont lus à l'entrée dans la "
     "période : début de la première mission ayant des heures dans la période, ou premier jour "
     "de la période si cette mission a commencé avant. Les heures d'une personne sont rangées "
     "dans sa catégorie."),
    ("Niveau de qualification", "Nomenclature nationale de 2019 (infra 3, 3, 4, 5, 6 et plus), "
     "regroupée pour le FSE+ en CITE 0 à 2, 3 à 4 et 5 à 8."),
    ("Situation à l'entrée", "Demandeur d'emploi (dont de longue durée : 12 mois et plus), "
     "inactif, en emploi."),
    ("Critères d'éligibilité", "Critères valables à l'entrée dans la période ; une personne "
     "peut en avoir plusieurs. Les critères de santé ne sont donnés qu'en effectif."),
    ("Modalité", "Embauche directe (CDI, CDD, alternance), mise à disposition (ETTI, AI, GEIQ), "
     "sous-traitance ou co-traitance SIAE, action de formation."),
    ("Sorties", "Une sortie compte dans la période où sa mission se termine. Emploi durable : "
     "CDI ou CDD de plus de 6 mois. Sortie positive : formation qualifiante ou entrée dans une "
     "autre SIAE. Sorties dynamiques : emploi durable, emploi de transition et sorties "
     "positives, rapportés à toutes les sorties."),
    ("Rythme requis", "Les heures requises de chaque lot réparties également sur ses jours "
     "d'exécution ; la courbe compare les heures validées du mois à ce rythme."),
    ("Structures accompagnées", "Entreprises avec au moins un échange enregistré (rendez-vous, "
     "visite, appel, réunion, courriel) dans la période."),
    ("Secret statistique", "Dans un bilan par donneur d'ordre et dans les graphiques, un "
     "effectif de 1 ou 2 personnes s'affiche «\u00a0<\u00a03\u00a0»."),
]  # fmt: skip


def _filtres(annee: int, donneur_ordre: DonneurOrdre | None) -> Filtres:
    return Filtres.annee(annee, donneur_ordre=donneur_ordre)


def calculer(annee: int, donneur_ordre: DonneurOrdre | None = None, user=None):
    filtres = _filtres(annee, donneur_ordre)
    courant = indicateurs.calculer(filtres, user)
    # Last year: only its key figures are printed (« Un an avant »).
    precedent = indicateurs.calculer(filtres.annee_precedente(), user, detail=False)
    return courant, precedent


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def pdf(
    annee: int,
    donneur_ordre: DonneurOrdre | None = None,
    user=None,
    progression: Callable[[int], None] | None = None,
) -> bytes:
    """The bilan as a PDF: cover, key figures with last year, charts, tables, methodology."""
    from weasyprint import HTML

    avancer = progression or (lambda pourcent: None)
    courant, precedent = calculer(annee, donneur_ordre, user)
    avancer(30)
    graphes = [
        (titre, _data_uri(graphiques.dessiner(nom, courant)))
        for nom, (titre, _) in graphiques.GRAPHIQUES.items()
    ]
    avancer(60)
    html = render_to_string(
        "mife/bilan_pdf.html",
        {
            "annee": annee,
            "donneur_ordre": donneur_ordre,
            "r": courant,
            "tableaux": tableaux(courant, precedent, masquer=donneur_ordre is not None),
            "graphiques": graphes,
            "methodologie": METHODOLOGIE,
            "parametres": Parametres.get(),
            "genere_le": timezone.localtime(),
            "police": finders.find("fonts/DejaVuSans.ttf"),
            "police_grasse": finders.find("fonts/DejaVuSans-Bold.ttf"),
        },
    )
    contenu = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    avancer(100)
    return contenu


def classeur(
    annee: int,
    donneur_ordre: DonneurOrdre | None = None,
    user=None,
    progression: Callable[[int], None] | None = None,
) -> bytes:
    """The bilan as an Excel workbook: one sheet per table, typed numeric cells, readable
    widths, frozen headers, and the methodology."""
    avancer = progression or (lambda pourcent: None)
    courant, precedent = calculer(annee, donneur_ordre, user)
    avancer(50)
    titre = f"Bilan {annee}" + (f" — {donneur_ordre.nom}" if donneur_ordre else "")
    contenu = ecrire_classeur(
        titre, tableaux(courant, precedent, masquer=donneur_ordre is not None), METHODOLOGIE
    )
    avancer(100)
    return contenu


def ecrire_classeur(titre: str, liste: list[Tableau], methodologie=None) -> bytes:
    """Write tables as a workbook (also used by the reports to buyers): one streamed sheet
    per table, its title above, typed cells, fitted widths, frozen header and auto-filter."""
    from openpyxl.styles import Font, PatternFill

    wb = Classeur()
    entete = {"font": Font(bold=True), "fill": PatternFill("solid", fgColor="E8EEF5")}
    for tableau in liste:
        ws = wb.feuille(tableau.feuille)
        ws.tableau(
            [ColonneExcel(c.titre) for c in tableau.colonnes],
            (
                [_cellule_excel(v, tableau.type_cellule(i, j)) for j, v in enumerate(ligne)]
                for i, ligne in enumerate(tableau.lignes)
            ),
            avant=[[Cellule(f"{titre} — {tableau.titre}", font=Font(bold=True, size=12))]],
            apres=[[], [tableau.note]] if tableau.note else [],
            style_entete=entete,
        )
    if methodologie:
        wb.feuille("Méthodologie").tableau(
            [ColonneExcel("Terme"), ColonneExcel("Définition", largeur=110)],
            methodologie,
            style_entete=entete,
        )
    return wb.octets()


def _cellule_excel(valeur, type_: str):
    """A bilan value for Excel: numbers typed with the format of their kind, percentages as
    percentage cells, masked figures (« < 3 ») left as text."""
    if valeur is None or isinstance(valeur, str):
        return valeur
    if type_ == POURCENT:
        return Pourcentage(valeur)
    if type_ in FORMATS_EXCEL:
        return Cellule(valeur, number_format=FORMATS_EXCEL[type_])
    return valeur


def nom_fichier(annee: int, donneur_ordre: DonneurOrdre | None, extension: str) -> str:
    suffixe = f"-donneur-{donneur_ordre.pk}" if donneur_ordre else ""
    return f"bilan-{annee}{suffixe}.{extension}"


# --- from the browser: a background task with progress ------------------------------------


def demander(annee: int, donneur_ordre: DonneurOrdre | None, format_: str, user=None):
    """Record the request and enqueue the task (``mife.tasks.generer_bilan``)."""
    from mife.models import DemandeBilan
    from mife.tasks import generer_bilan

    demande = DemandeBilan.objects.create(
        annee=annee,
        donneur_ordre=donneur_ordre,
        format=format_,
        demandee_par=user,
        modifie_par=user,
    )
    resultat = generer_bilan.enqueue(demande.pk)
    # .update: with the immediate backend the task has already run and saved its fields.
    DemandeBilan.objects.filter(pk=demande.pk).update(tache_id=str(resultat.id))
    demande.refresh_from_db()
    return demande


def executer(demande_id: int) -> None:
    """Task body: build the file, reporting progress; a failure is recorded in French."""
    from django.core.files.base import ContentFile

    from mife.models import DemandeBilan, StatutDemandeBilan

    demande = DemandeBilan.objects.select_related("donneur_ordre", "demandee_par").get(
        pk=demande_id
    )
    if demande.statut == StatutDemandeBilan.TERMINEE:
        return

    def maj(**champs):
        DemandeBilan.objects.filter(pk=demande.pk).update(modifie_le=timezone.now(), **champs)

    maj(statut=StatutDemandeBilan.EN_COURS, erreur="", progression=5)
    try:
        fabrique = pdf if demande.format == "pdf" else classeur
        contenu = fabrique(
            demande.annee,
            demande.donneur_ordre,
            demande.demandee_par,
            progression=lambda pourcent: maj(progression=min(pourcent, 99)),
        )
        demande.refresh_from_db()
        nom = nom_fichier(demande.annee, demande.donneur_ordre, demande.format)
        demande.fichier.save(nom, ContentFile(contenu), save=False)
        demande.statut = StatutDemandeBilan.TERMINEE
        demande.progression = 100
        demande.save(update_fields=["fichier", "statut", "progression"])
    except Exception as erreur:
        maj(
            statut=StatutDemandeBilan.ECHEC,
            erreur=f"Le bilan n'a pas pu être produit : {erreur}. Relancez la demande.",
        )
        raise
