"""Excel round trip of a company's monthly hours: a pre-filled template, then its upload.

The template (``generer_modele``) has **one sheet per lot** on which the company employs
participants whose mission is active that month; lots whose declaration of the month is
already soumise or validée are left out (their header rows say so). Each sheet lists the
missions (reference, participant, modality, dates) with a « Heures du mois » column to fill,
pre-filled with the hours of the draft if there is one. A very hidden, protected sheet
``_modele`` identifies the company (identifier kind and value), the month, the template
version, each lot's sheet, and a snapshot of the draft hours at download time.

``analyser`` reads a filled template **without writing anything** and returns a ``Rapport``:
per lot, the hours read and what will change, or the errors — each one naming the sheet, the
line, the column and the reason in French. ``enregistrer`` saves a clean report all or
nothing (one transaction across lots) through ``heures.services.declarations``.

Hours changed in the application since the template was downloaded are never overwritten:
for each mission, the file's value must equal either the snapshot (untouched in the file)
or the current value (already saved); otherwise the upload is refused for that line.
"""

import json
import re
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from io import BytesIO

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from openpyxl import load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from heures.models import DeclarationMensuelle, Mission, StatutDeclaration
from heures.services import declarations
from heures.services.declarations import MODIFIABLES, lire_heures
from marches.models import Lot
from mife.core import excel, formats, grammaire
from mife.core.concurrence import ConflitDeVersion
from mife.core.excel import Cellule, Classeur, ColonneExcel
from mife.core.models import Parametres
from mife.core.mois import premier_jour

MARQUEUR = "Clauses & Label — heures mensuelles"
VERSION_MODELE = "1"
FEUILLE_META = "_modele"
TAILLE_MAX = 5 * 1024 * 1024  # a month's template weighs a few dozen kB
TAILLE_DECOMPRESSEE_MAX = 50 * 1024 * 1024  # refuse zip bombs before openpyxl expands them
LIGNE_TITRE, LIGNE_LOT, LIGNE_CONSIGNE, LIGNE_INFO, LIGNE_ENTETE = 1, 2, 3, 4, 5
PREMIERE_LIGNE = LIGNE_ENTETE + 1
CENTIEME = Decimal("0.01")

# (key, header, width) — the header texts are checked on upload; do not reword lightly.
COLONNES = (
    ("reference", "Référence mission", 18),
    ("participant", "Participant", 26),
    ("modalite", "Modalité", 40),
    ("poste", "Poste", 22),
    ("debut", "Début de mission", 16),
    ("fin", "Fin de mission", 16),
    ("heures", "Heures du mois", 16),
)
LETTRE = {cle: get_column_letter(i) for i, (cle, _, _) in enumerate(COLONNES, start=1)}
TITRE_PAR_LETTRE = {get_column_letter(i): titre for i, (_, titre, _) in enumerate(COLONNES, 1)}
COL_REFERENCE = 1
COL_PARTICIPANT = 2
COL_HEURES = len(COLONNES)
FORMAT_HEURES = excel.FORMATS[excel.HEURES]
FORMAT_DATE = excel.FORMATS[excel.DATE]
TYPES_COLONNES = ("", "", "", "", excel.DATE, excel.DATE, excel.HEURES)
CONSIGNE = (
    "Saisissez les heures de chaque participant dans la colonne {lettre} « Heures du mois » : "
    "7,5 ou 7:30 ou 7h30 ; une case vide = aucune heure ce mois-ci. Arrondi au centième "
    "(151,67) et {plafond} h au plus par participant. Ne modifiez ni les autres colonnes, ni le "
    "nom de la feuille ; pas de formule."
)
_INTERDITS_FEUILLE = str.maketrans(dict.fromkeys("[]:*?/\\", "-"))
_EPOQUE_EXCEL = datetime(1899, 12, 30)


# --- report --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Erreur:
    """A reason to refuse the file, with where it is (sheet, line, column letter)."""

    texte: str
    feuille: str = ""
    ligne: int | None = None
    colonne: str = ""

    def __str__(self) -> str:
        lieu = []
        if self.feuille:
            lieu.append(f"feuille « {self.feuille} »")
        if self.ligne:
            lieu.append(f"ligne {self.ligne}")
        if self.colonne:
            titre = TITRE_PAR_LETTRE.get(self.colonne)
            lieu.append(f"colonne {self.colonne}" + (f" ({titre})" if titre else ""))
        if not lieu:
            return self.texte
        texte = ", ".join(lieu)
        return f"{texte[0].upper()}{texte[1:]} : {self.texte}"


class Action:
    AJOUTEE = "ajoutee"
    MODIFIEE = "modifiee"
    SUPPRIMEE = "supprimee"
    INCHANGEE = "inchangee"
    VIDE = "vide"

    LIBELLES = {
        AJOUTEE: "Ajoutée",
        MODIFIEE: "Modifiée",
        SUPPRIMEE: "Supprimée",
        INCHANGEE: "Inchangée",
        VIDE: "Aucune heure",
    }


@dataclass
class LigneLue:
    ligne: int  # row number in the sheet
    mission: Mission
    heures: Decimal | None  # read from the file (rounded to the hundredth)
    avant: Decimal | None  # currently saved
    saisi: Decimal | None = None  # the value of the file when it had to be rounded
    participant_lu: str = ""  # the name typed in the file when it is not the mission's

    @property
    def arrondi(self) -> bool:
        return self.saisi is not None

    @property
    def saisi_texte(self) -> str:
        return brut(self.saisi) if self.saisi is not None else ""

    @property
    def participant_different(self) -> bool:
        return bool(self.participant_lu)

    @property
    def action(self) -> str:
        if self.heures is None:
            return Action.VIDE if self.avant is None else Action.SUPPRIMEE
        if self.avant is None:
            return Action.AJOUTEE
        return Action.INCHANGEE if self.heures == self.avant else Action.MODIFIEE

    @property
    def libelle_action(self) -> str:
        return Action.LIBELLES[self.action]

    @property
    def change(self) -> bool:
        return self.action in (Action.AJOUTEE, Action.MODIFIEE, Action.SUPPRIMEE)


@dataclass
class LotLu:
    feuille: str
    lot: Lot
    declaration: DeclarationMensuelle | None  # current version at analysis time
    lignes: list[LigneLue] = field(default_factory=list)
    heures_avant: dict[int, Decimal] = field(default_factory=dict)  # mission pk → saved hours

    @property
    def changements(self) -> dict[int, Decimal | None]:
        return {x.mission.pk: x.heures for x in self.lignes if x.change}

    def nombre(self, action: str) -> int:
        return sum(1 for x in self.lignes if x.action == action)

    @property
    def total_avant(self) -> Decimal:
        return sum(self.heures_avant.values(), Decimal("0"))

    @property
    def total_apres(self) -> Decimal:
        apres = dict(self.heures_avant)
        for mission_id, heures in self.changements.items():
            if heures is None:
                apres.pop(mission_id, None)
            else:
                apres[mission_id] = heures
        return sum(apres.values(), Decimal("0"))

    @property
    def resultat(self) -> str:
        """What confirming will do to this lot's declaration, in one sentence."""
        if not self.changements:
            return "Aucun changement."
        detail = ", ".join(
            f"{n} ligne{'s' if n > 1 else ''} {Action.LIBELLES[a].lower()}{'s' if n > 1 else ''}"
            for a in (Action.AJOUTEE, Action.MODIFIEE, Action.SUPPRIMEE)
            if (n := self.nombre(a))
        )
        if self.declaration is None:
            return f"Déclaration créée en brouillon : {detail}."
        if self.declaration.statut == StatutDeclaration.REJETEE:
            return f"Déclaration rejetée corrigée (elle repasse en brouillon) : {detail}."
        return f"Brouillon mis à jour : {detail}."


@dataclass
class Rapport:
    entreprise: object = None
    mois: date | None = None
    lots: list[LotLu] = field(default_factory=list)
    erreurs: list[Erreur] = field(default_factory=list)
    avertissements: list[str] = field(default_factory=list)
    enregistre: bool = False

    def erreur(self, texte: str, feuille: str = "", ligne=None, colonne: str = "") -> None:
        self.erreurs.append(Erreur(texte, feuille, ligne, colonne))

    @property
    def valide(self) -> bool:
        return not self.erreurs

    @property
    def a_enregistrer(self) -> bool:
        return self.valide and any(lot.changements for lot in self.lots)

    def empreinte(self) -> dict[str, int]:
        """Version of each lot's declaration seen by the analysis (0: none yet)."""
        return {
            str(lot.lot.pk): lot.declaration.version if lot.declaration else 0 for lot in self.lots
        }

    def resume(self) -> str:
        lignes = sum(len(lot.changements) for lot in self.lots)
        lots = sum(1 for lot in self.lots if lot.changements)
        if not lignes:
            return "Rien à enregistrer : le fichier reprend les heures déjà saisies."
        return (
            f"{lignes} ligne{'s' if lignes > 1 else ''} d'heures à enregistrer sur {lots} "
            f"lot{'s' if lots > 1 else ''} — {formats.mois_fr(self.mois)}, {self.entreprise}."
        )


# --- template ------------------------------------------------------------------------------


def _nom_feuille(lot: Lot, pris: set[str]) -> str:
    base = f"{lot.marche.reference} lot {lot.numero}".translate(_INTERDITS_FEUILLE).strip("'")
    base = base[:31] or f"Lot {lot.pk}"
    nom, n = base, 2
    while nom.lower() in pris or nom.lower() in (FEUILLE_META, "history"):
        suffixe = f" ({n})"
        nom, n = base[: 31 - len(suffixe)] + suffixe, n + 1
    pris.add(nom.lower())
    return nom


def _declarations_courantes(entreprise, mois: date, lots) -> dict[int, DeclarationMensuelle]:
    """The live declaration of each lot for the month (the latest version), lines loaded."""
    courantes = (
        DeclarationMensuelle.objects.courantes()
        .filter(entreprise=entreprise, mois=mois, lot__in=lots)
        .select_related("modifie_par")
        .prefetch_related("lignes__mission")
        .order_by("lot", "-numero_version")
    )
    resultat: dict[int, DeclarationMensuelle] = {}
    for declaration in courantes:
        resultat.setdefault(declaration.lot_id, declaration)
    return resultat


def _lots_du_mois(entreprise, mois: date):
    missions = Mission.objects.actives_sur_mois(mois).filter(employeur=entreprise)
    return list(
        Lot.objects.filter(pk__in=missions.values("lot"))
        .select_related("marche__donneur_ordre")
        .order_by("marche__reference", "numero", "pk")
    )


def _libelle_participant(participant, voir_identites: bool) -> str:
    return str(participant) if voir_identites else participant.initiales


def generer_modele(entreprise, mois: date, user) -> bytes:
    """The .xlsx template of ``entreprise``'s hours for ``mois``, pre-filled from the drafts.

    Participants appear by their initials unless ``user`` may see identities
    (``heures.view_participant``). Raises ValidationError when there is nothing to declare.
    """
    mois = premier_jour(mois)
    lots = _lots_du_mois(entreprise, mois)
    if not lots:
        raise ValidationError(
            f"Aucune mission de {entreprise} n'est active en {formats.mois_fr(mois)} : "
            "pas de modèle à produire."
        )
    courantes = _declarations_courantes(entreprise, mois, lots)
    ouverts, exclus = [], []
    for lot in lots:
        declaration = courantes.get(lot.pk)
        if declaration is not None and declaration.statut not in MODIFIABLES:
            exclus.append(
                f"{lot.marche.reference} lot {lot.numero} (déclaration "
                f"{declaration.get_statut_display().lower()})"
            )
        else:
            ouverts.append((lot, declaration))
    if not ouverts:
        raise ValidationError(
            f"Les déclarations {grammaire.de_mois(mois)} de {entreprise} sont toutes soumises "
            "ou validées : plus rien à saisir par import."
        )
    voir_identites = user.has_perm("heures.view_participant")
    plafond = Parametres.get().plafond_heures_mensuel
    genere_le = timezone.localtime()
    identifiant = f"{entreprise.get_type_identifiant_display()} {entreprise.identifiant}"
    titre = f"Heures d'insertion {grammaire.de_mois(mois)} — {entreprise} ({identifiant})"
    consigne = CONSIGNE.format(lettre=LETTRE["heures"], plafond=formats.nombre(plafond, 2))
    info = (
        f"Modèle v{VERSION_MODELE} téléchargé le {formats.date_fr(genere_le)} par "
        f"{user.get_full_name() or user.get_username()} — une feuille par lot."
    )
    if exclus:
        info += " Non repris (déjà transmis) : " + " ; ".join(exclus) + "."

    wb = Classeur()
    wb.properties.creator = "Clauses & Label"
    wb.properties.title = f"Heures {grammaire.de_mois(mois)} — {entreprise}"
    pris: set[str] = set()
    meta_lots = []
    for lot, declaration in ouverts:
        feuille = _nom_feuille(lot, pris)
        saisies = {x.mission_id: x.heures for x in declaration.lignes.all()} if declaration else {}
        missions = list(declarations.missions_du_mois(entreprise, lot, mois))
        entetes = (
            titre,
            f"Lot : {lot} — donneur d'ordre : {lot.marche.donneur_ordre}",
            consigne,
            info,
        )
        _ecrire_feuille(wb.create_sheet(title=feuille), entetes, missions, saisies, voir_identites)
        instantane = {m.reference: str(saisies[m.pk]) for m in missions if m.pk in saisies}
        meta_lots.append([feuille, lot.pk, str(lot), json.dumps(instantane, separators=(",", ":"))])
    _ecrire_meta(wb, entreprise, mois, meta_lots, genere_le, user)
    wb.active = 0
    return wb.octets()


def _ecrire_feuille(ws, entetes, missions, saisies, voir_identites) -> None:
    """One lot's sheet, streamed: header rows (title, lot, instructions, origin), then one row
    per mission with the hours cell left editable."""
    derniere = get_column_letter(len(COLONNES))
    styles = (
        Font(bold=True, size=14),
        Font(bold=True),
        Font(),
        Font(italic=True, color="555555"),
    )
    haut = Alignment(wrap_text=True, vertical="top")
    avant = [
        [Cellule(texte, font=police, alignment=haut)]
        for texte, police in zip(entetes, styles, strict=True)
    ]
    for ligne in (LIGNE_TITRE, LIGNE_LOT, LIGNE_CONSIGNE, LIGNE_INFO):
        ws.merged_cells.add(f"A{ligne}:{derniere}{ligne}")  # written with the sheet's tail
    # Row heights and widths are written before the rows: set them first.
    ws.row_dimensions[LIGNE_CONSIGNE].height = 48
    ws.row_dimensions[LIGNE_INFO].height = 30
    ws.row_dimensions[LIGNE_ENTETE].height = 30

    trait = Side(style="thin", color="999999")
    bordure = Border(left=trait, right=trait, top=trait, bottom=trait)
    saisie = PatternFill("solid", fgColor="FFF2CC")
    ouverte = Protection(locked=False)
    lignes = (
        [
            Cellule(mission.reference, border=bordure),
            Cellule(_libelle_participant(mission.participant, voir_identites), border=bordure),
            Cellule(mission.get_modalite_display(), border=bordure),
            Cellule(mission.poste, border=bordure),
            Cellule(mission.date_debut, border=bordure, number_format=FORMAT_DATE),
            Cellule(mission.date_fin, border=bordure, number_format=FORMAT_DATE),
            Cellule(
                saisies.get(mission.pk),
                border=bordure,
                fill=saisie,
                protection=ouverte,
                number_format=FORMAT_HEURES,
            ),
        ]
        for mission in missions
    )
    nombre = ws.tableau(
        [
            ColonneExcel(titre, type_, largeur)
            for (_, titre, largeur), type_ in zip(COLONNES, TYPES_COLONNES, strict=True)
        ],
        lignes,
        avant=avant,
        style_entete={
            "font": Font(bold=True, color="FFFFFF"),
            "fill": PatternFill("solid", fgColor="1F4E79"),
            "alignment": Alignment(horizontal="center", vertical="center", wrap_text=True),
            "border": bordure,
        },
    )
    if nombre:
        derniere_ligne = PREMIERE_LIGNE + nombre - 1
        plage = f"{LETTRE['heures']}{PREMIERE_LIGNE}:{LETTRE['heures']}{derniere_ligne}"
        aide = DataValidation(
            allow_blank=True,
            showInputMessage=True,
            promptTitle="Heures du mois",
            prompt="Exemples : 7,5 — 7:30 — 7h30. Vide = aucune heure. Pas de formule.",
        )
        aide.add(plage)
        ws.data_validations.append(aide)
    # Protected without password against slips: only the hours cells are editable.
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.autoFilter = False  # filtering stays possible on the protected sheet
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{LIGNE_ENTETE}:{LIGNE_ENTETE}"


def _ecrire_meta(wb, entreprise, mois, meta_lots, genere_le, user) -> None:
    ws = wb.create_sheet(title=FEUILLE_META)
    for cle, valeur in (
        ("marqueur", MARQUEUR),
        ("version", VERSION_MODELE),
        ("entreprise_type_identifiant", entreprise.type_identifiant),
        ("entreprise_identifiant", entreprise.identifiant),
        ("entreprise", str(entreprise)),
        ("mois", mois.strftime("%Y-%m")),
        ("genere_le", genere_le.isoformat(timespec="seconds")),
        ("genere_par", user.get_username()),
    ):
        ws.append([cle, valeur])
    ws.append([])
    ws.append(["feuille", "lot_id", "lot", "heures_au_telechargement"])
    for ligne in meta_lots:
        ws.append(ligne)
    ws.sheet_state = "veryHidden"
    ws.protection.sheet = True


# --- reading -------------------------------------------------------------------------------


def _est_formule(cellule) -> bool:
    valeur = cellule.value
    return getattr(cellule, "data_type", "") == "f" or (
        isinstance(valeur, str) and valeur.startswith("=")
    )


def _heures_de_la_cellule(valeur) -> Decimal | None:
    """A cell's hours: numbers, Excel times (7:30 typed in Excel), or text read by
    ``lire_heures``. Raises ValueError with a French message."""
    if isinstance(valeur, bool):
        raise ValueError(f"« {'VRAI' if valeur else 'FAUX'} » n'est pas un nombre d'heures.")
    if isinstance(valeur, datetime):
        if valeur.year > 1900:
            raise ValueError(
                f"« {formats.date_fr(valeur.date())} » est une date, pas un nombre d'heures."
            )
        valeur = valeur - _EPOQUE_EXCEL  # a duration over 24 h shown as h:mm
    if isinstance(valeur, time):
        valeur = timedelta(hours=valeur.hour, minutes=valeur.minute, seconds=valeur.second)
    if isinstance(valeur, timedelta):
        heures = Decimal(valeur.total_seconds()) / 3600
        return heures.quantize(CENTIEME)
    if isinstance(valeur, float):
        return Decimal(repr(valeur))
    try:
        return lire_heures(valeur)
    except InvalidOperation as exc:  # pragma: no cover - lire_heures validates first
        raise ValueError(f"« {valeur} » n'est pas un nombre d'heures.") from exc


def _verifier_contenu(contenu: bytes, rapport: Rapport) -> bool:
    """Size and kind checked on the bytes themselves, whatever the file's name."""
    if not contenu:
        rapport.erreur("Le fichier est vide.")
        return False
    if len(contenu) > TAILLE_MAX:
        rapport.erreur(
            f"Le fichier pèse {formats.nombre(len(contenu) / 1024 / 1024, 1)} Mo : "
            f"{TAILLE_MAX // 1024 // 1024} Mo au plus. Un modèle d'un mois pèse quelques "
            "dizaines de Ko : déposez le modèle téléchargé ici, rempli."
        )
        return False
    if contenu.startswith(b"%PDF"):
        rapport.erreur(
            "Le fichier est un PDF, pas un classeur Excel (.xlsx) : déposez le modèle Excel rempli."
        )
        return False
    if contenu.startswith(b"\xd0\xcf\x11\xe0"):
        rapport.erreur(
            "Le fichier est au format Excel 97-2003 (.xls) : enregistrez-le au format "
            "« Classeur Excel (.xlsx) » puis déposez-le de nouveau."
        )
        return False
    pas_xlsx = (
        "Le fichier n'est pas un classeur Excel (.xlsx) lisible, quel que soit son nom : "
        "déposez le modèle téléchargé ici, rempli et enregistré au format .xlsx."
    )
    if not contenu.startswith(b"PK\x03\x04"):
        rapport.erreur(pas_xlsx)
        return False
    try:
        with zipfile.ZipFile(BytesIO(contenu)) as archive:
            membres = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        rapport.erreur(pas_xlsx)
        return False
    noms = {m.filename for m in membres}
    if "xl/workbook.xml" not in noms or "[Content_Types].xml" not in noms:
        rapport.erreur(pas_xlsx)
        return False
    if sum(m.file_size for m in membres) > TAILLE_DECOMPRESSEE_MAX:
        rapport.erreur("Le classeur est anormalement volumineux une fois décompressé : refusé.")
        return False
    return True


def _charger(contenu: bytes, rapport: Rapport):
    try:
        with warnings.catch_warnings():  # openpyxl warns about unsupported extensions
            warnings.simplefilter("ignore")
            return load_workbook(BytesIO(contenu), read_only=True, data_only=False)
    except Exception:  # any parsing failure means the same thing to the user
        rapport.erreur(
            "Le fichier n'est pas un classeur Excel (.xlsx) lisible : il est peut-être "
            "endommagé. Enregistrez-le de nouveau au format .xlsx."
        )
        return None


@dataclass
class _Meta:
    valeurs: dict[str, str]
    lots: dict[str, tuple[int, str, dict[str, Decimal]]]  # sheet → (lot pk, label, snapshot)


def _lire_meta(wb, rapport: Rapport) -> _Meta | None:
    inconnu = (
        "Ce classeur n'est pas un modèle « heures du mois » de Clauses & Label : téléchargez "
        "le modèle de l'entreprise et du mois depuis la page « Modèle Excel / Import Excel »."
    )
    if FEUILLE_META not in wb.sheetnames:
        rapport.erreur(inconnu)
        return None
    valeurs: dict[str, str] = {}
    lots: dict[str, tuple[int, str, dict[str, Decimal]]] = {}
    dans_lots = False
    try:
        for ligne in wb[FEUILLE_META].iter_rows(values_only=True):
            cellules = [("" if v is None else str(v)) for v in ligne]
            if not any(cellules):
                continue
            if cellules[0] == "feuille":
                dans_lots = True
                continue
            if dans_lots:
                instantane = json.loads(cellules[3] or "{}")
                lots[cellules[0]] = (
                    int(cellules[1]),
                    cellules[2],
                    {ref: Decimal(h) for ref, h in instantane.items()},
                )
            else:
                valeurs[cellules[0]] = cellules[1] if len(cellules) > 1 else ""
    except (ValueError, IndexError, InvalidOperation, TypeError, AttributeError):
        rapport.erreur(inconnu + " (informations du modèle illisibles)")
        return None
    if valeurs.get("marqueur") != MARQUEUR or not lots:
        rapport.erreur(inconnu)
        return None
    if valeurs.get("version") != VERSION_MODELE:
        rapport.erreur(
            f"Ce modèle est en version {valeurs.get('version') or 'inconnue'} ; l'application "
            f"lit la version {VERSION_MODELE}. Téléchargez un nouveau modèle et reportez-y les "
            "heures."
        )
        return None
    return _Meta(valeurs, lots)


def _identifier(meta: _Meta, entreprise, mois: date | None, rapport: Rapport) -> bool:
    """Check the file is the template of ``entreprise`` and ``mois`` (or take them from it)."""
    from entreprises.models import Entreprise

    type_id = meta.valeurs.get("entreprise_type_identifiant", "")
    identifiant = meta.valeurs.get("entreprise_identifiant", "")
    nom = meta.valeurs.get("entreprise", "")
    try:
        annee, numero = (int(x) for x in meta.valeurs.get("mois", "").split("-"))
        mois_fichier = date(annee, numero, 1)
    except ValueError:
        rapport.erreur("Le mois du modèle est illisible : téléchargez un nouveau modèle.")
        return False
    if entreprise is None:
        entreprise = Entreprise.objects.filter(
            type_identifiant=type_id, identifiant=identifiant
        ).first()
        if entreprise is None:
            rapport.erreur(
                f"Ce modèle est celui de l'entreprise {nom} ({type_id} {identifiant}), "
                "inconnue de l'application."
            )
            return False
    elif (entreprise.type_identifiant, entreprise.identifiant) != (type_id, identifiant):
        rapport.erreur(
            f"Ce modèle est celui d'une autre entreprise : {nom} ({type_id} {identifiant}), "
            f"pas {entreprise} ({entreprise.type_identifiant} {entreprise.identifiant}). "
            "Téléchargez le modèle de la bonne entreprise."
        )
        return False
    if mois is None:
        mois = mois_fichier
    elif premier_jour(mois) != mois_fichier:
        rapport.erreur(
            f"Ce modèle est celui d'un autre mois : {formats.mois_fr(mois_fichier)}, pas "
            f"{formats.mois_fr(mois)}. Téléchargez le modèle du bon mois."
        )
        return False
    rapport.entreprise, rapport.mois = entreprise, premier_jour(mois)
    return True


def analyser(contenu: bytes, entreprise=None, mois: date | None = None) -> Rapport:
    """Read a filled template and say what saving it would do. Writes nothing.

    ``entreprise`` and ``mois`` are what the user chose; ``None`` takes them from the file.
    Every error is collected (not only the first), each naming its sheet, line and column.
    """
    rapport = Rapport(entreprise=entreprise, mois=premier_jour(mois) if mois else None)
    if not _verifier_contenu(contenu, rapport):
        return rapport
    wb = _charger(contenu, rapport)
    if wb is None:
        return rapport
    try:
        meta = _lire_meta(wb, rapport)
        if meta is None or not _identifier(meta, entreprise, mois, rapport):
            return rapport
        _verifier_feuilles(wb, meta, rapport)
        if rapport.erreurs:
            return rapport
        _lire_lots(wb, meta, rapport)
    finally:
        wb.close()
    return rapport


def _verifier_feuilles(wb, meta: _Meta, rapport: Rapport) -> None:
    attendues = list(meta.lots)
    presentes = [nom for nom in wb.sheetnames if nom != FEUILLE_META]
    liste = ", ".join(f"« {nom} »" for nom in attendues)
    for nom in presentes:
        if nom not in meta.lots:
            rapport.erreur(
                f"feuille inconnue du modèle (renommée ou ajoutée ?). Les feuilles du modèle "
                f"sont : {liste} ; rendez-lui son nom d'origine.",
                feuille=nom,
            )
    for nom in attendues:
        if nom not in presentes:
            rapport.erreur(
                "feuille du modèle absente du fichier (renommée ou supprimée ?) : "
                "rendez-lui ce nom.",
                feuille=nom,
            )


def _lire_lots(wb, meta: _Meta, rapport: Rapport) -> None:
    entreprise, mois = rapport.entreprise, rapport.mois
    lots = Lot.objects.select_related("marche__donneur_ordre").in_bulk(
        [lot_id for lot_id, _, _ in meta.lots.values()]
    )
    lignes_par_feuille: dict[str, list] = {}
    for feuille, (lot_id, libelle, _) in meta.lots.items():
        if lot_id not in lots:
            rapport.erreur(f"le lot « {libelle} » n'existe plus.", feuille=feuille)
            continue
        lignes_par_feuille[feuille] = _lire_cellules(wb[feuille], feuille, rapport)
    if rapport.erreurs:
        return
    references = {ref for lignes in lignes_par_feuille.values() for _, ref, _, _ in lignes if ref}
    missions = {
        m.reference: m
        for m in Mission.objects.filter(reference__in=references).select_related("participant")
    }
    courantes = _declarations_courantes(entreprise, mois, list(lots.values()))
    plafond = Parametres.get().plafond_heures_mensuel
    vues: dict[str, tuple[str, int]] = {}
    colonne_ref, colonne_h = LETTRE["reference"], LETTRE["heures"]

    for feuille, lignes in lignes_par_feuille.items():
        lot_id, _, instantane = meta.lots[feuille]
        lot = lots[lot_id]
        declaration = courantes.get(lot_id)
        saisies = list(declaration.lignes.all()) if declaration else []
        avant = {x.mission.reference: x.heures for x in saisies}
        lu = LotLu(
            feuille, lot, declaration, heures_avant={x.mission_id: x.heures for x in saisies}
        )
        verrouillee = declaration is not None and declaration.statut not in MODIFIABLES
        for rang, reference, valeur, participant_lu in lignes:
            mission = missions.get(reference)
            if mission is None:
                rapport.erreur(
                    f"mission « {reference} » inconnue : gardez les références du modèle.",
                    feuille,
                    rang,
                    colonne_ref,
                )
                continue
            if mission.lot_id != lot.pk or mission.employeur_id != entreprise.pk:
                rapport.erreur(
                    f"la mission {reference} n'est pas une mission de {entreprise} sur le lot "
                    f"{lot.marche.reference} lot {lot.numero}.",
                    feuille,
                    rang,
                    colonne_ref,
                )
                continue
            if reference in vues:
                autre_feuille, autre_rang = vues[reference]
                ou = f"ligne {autre_rang}" + (
                    "" if autre_feuille == feuille else f" de la feuille « {autre_feuille} »"
                )
                rapport.erreur(
                    f"la mission {reference} figure déjà {ou} : une seule ligne par mission.",
                    feuille,
                    rang,
                    colonne_ref,
                )
                continue
            vues[reference] = (feuille, rang)
            if isinstance(valeur, Erreur):
                rapport.erreurs.append(valeur)
                continue
            tape, saisi = valeur, None
            if valeur is not None and abs(valeur) < 10**6:  # to the hundredth, the rounding shown
                valeur = valeur.quantize(CENTIEME, ROUND_HALF_UP)
                saisi = tape if valeur != tape else None
            active = mission.active_sur_mois(mois)
            if valeur is not None and not active:
                periode = f"du {formats.date_fr(mission.date_debut)}" + (
                    f" au {formats.date_fr(mission.date_fin)}" if mission.date_fin else ""
                )
                rapport.erreur(
                    f"la mission {reference} ({periode}) n'est pas active en "
                    f"{formats.mois_fr(mois)} : pas d'heures ce mois-là.",
                    feuille,
                    rang,
                    colonne_h,
                )
                continue
            if valeur is not None:
                try:
                    declarations.verifier_heures(mission, valeur, mois, plafond)
                except ValidationError as exc:
                    for message in exc.messages:
                        texte = message.removeprefix(f"{reference} : ")
                        if formats.heures(valeur) not in texte:
                            texte = f"« {brut(tape)} » : {texte}"
                        rapport.erreur(texte, feuille, rang, colonne_h)
                    continue
            if valeur is None and not active:
                continue
            ligne = LigneLue(rang, mission, valeur, avant.get(reference), saisi)
            if saisi is not None:
                rapport.avertissements.append(
                    f"Feuille « {feuille} », ligne {rang} : « {brut(saisi)} » arrondi au "
                    f"centième : {formats.heures(valeur)} pour {reference}."
                )
            if valeur is not None and not meme_personne(participant_lu, mission.participant):
                ligne.participant_lu = participant_lu.strip()
                rapport.avertissements.append(
                    f"Feuille « {feuille} », ligne {rang} : le participant saisi « "
                    f"{ligne.participant_lu} » n'est pas celui de la mission {reference} "
                    f"({mission.participant.initiales}) ; les heures iront à la personne de la "
                    "mission. Confirmez si c'est bien elle, sinon corrigez la référence ou le nom "
                    "dans le fichier et déposez-le de nouveau."
                )
            telecharge = instantane.get(reference)
            if ligne.change and ligne.avant != telecharge:
                # Saved in the application since the download: three-way comparison.
                if valeur == telecharge:  # cell left as downloaded: keep the newer value
                    ligne.heures = ligne.avant
                    if not verrouillee:
                        rapport.avertissements.append(
                            f"Feuille « {feuille} », ligne {rang} : les heures de {reference} "
                            f"ont changé dans l'application depuis le téléchargement "
                            f"({_h(telecharge)} → {_h(ligne.avant)}) ; la valeur de "
                            "l'application est conservée."
                        )
                elif not verrouillee:  # a locked declaration is refused below, as a whole
                    auteur = declaration.modifie_par if declaration else None
                    rapport.erreur(
                        f"les heures de {reference} ont changé dans l'application depuis le "
                        f"téléchargement du modèle ({_h(telecharge)} → {_h(ligne.avant)}, par "
                        f"{auteur or 'un autre utilisateur'}) et le fichier les écraserait "
                        f"({_h(valeur)}). Téléchargez un nouveau modèle.",
                        feuille,
                        rang,
                        colonne_h,
                    )
                    continue
            lu.lignes.append(ligne)
        if verrouillee:
            statut = declaration.get_statut_display().lower()
            if lu.changements:
                rapport.erreur(
                    f"la déclaration {grammaire.de_mois(mois)} de ce lot est {statut} : elle "
                    "ne se modifie plus par import. Faites-la rejeter ou corriger, ou remettez "
                    "les heures déclarées.",
                    feuille,
                )
            else:
                rapport.avertissements.append(
                    f"Feuille « {feuille} » : déclaration {statut}, laissée telle quelle."
                )
        manquantes = [
            m.reference
            for m in declarations.missions_du_mois(entreprise, lot, mois)
            if m.reference not in vues
        ]
        if manquantes:
            rapport.avertissements.append(
                f"Feuille « {feuille} » : mission{'s' if len(manquantes) > 1 else ''} active"
                f"{'s' if len(manquantes) > 1 else ''} absente{'s' if len(manquantes) > 1 else ''}"
                f" du fichier, heures inchangées : {', '.join(manquantes)}."
            )
        rapport.lots.append(lu)


def brut(valeur: Decimal) -> str:
    """Hours as typed, French decimal comma, no rounding (« 7,125 »)."""
    return str(valeur).replace(".", ",")


def _mots(texte: str) -> list[str]:
    decompose = unicodedata.normalize("NFKD", texte or "")
    sans_accents = "".join(c for c in decompose if not unicodedata.combining(c)).casefold()
    return re.findall(r"[a-z0-9]+", sans_accents)


def meme_personne(texte: str, participant) -> bool:
    """Whether a name typed in the « Participant » column designates ``participant``: empty,
    the full name in any order and case, without accents, the family name alone, or the
    initials (« A.Z. », « AZ »). An anonymised participant has no name to compare."""
    lus = _mots(texte)
    if not lus or participant.anonymise_le:
        return True
    nom, prenom = _mots(participant.nom), _mots(participant.prenom)
    if set(lus) <= set(nom + prenom) and set(nom) <= set(lus):
        return True
    initiales = [m[0] for m in prenom[:1] + nom[:1]]
    lettres = "".join(lus)
    return lettres in ("".join(initiales), "".join(reversed(initiales)))


def _h(valeur) -> str:
    return "vide" if valeur is None else formats.heures(valeur)


def _lire_cellules(ws, feuille: str, rapport: Rapport) -> list[tuple[int, str, object, str]]:
    """(row, reference, hours or Erreur, participant typed) of each filled row; header checked
    first."""
    resultat: list[tuple[int, str, object, str]] = []
    for rang, cellules in enumerate(ws.iter_rows(min_row=LIGNE_ENTETE), start=LIGNE_ENTETE):
        cellules = list(cellules)[: len(COLONNES)]
        cellules += [None] * (len(COLONNES) - len(cellules))
        valeurs = [getattr(c, "value", None) for c in cellules]
        if rang == LIGNE_ENTETE:
            for colonne, ((_, titre, _), valeur) in enumerate(
                zip(COLONNES, valeurs, strict=True), 1
            ):
                if (str(valeur).strip() if valeur is not None else "") != titre:
                    lu = f"« {valeur} »" if valeur else "vide"
                    rapport.erreur(
                        f"en-tête {lu} au lieu de « {titre} » : "
                        "ne déplacez, n'insérez ni ne renommez les colonnes du modèle.",
                        feuille,
                        rang,
                        get_column_letter(colonne),
                    )
                    return []
            continue
        cellule_ref, cellule_h = cellules[COL_REFERENCE - 1], cellules[COL_HEURES - 1]
        brute_ref, brute_h = valeurs[COL_REFERENCE - 1], valeurs[COL_HEURES - 1]
        if cellule_ref is not None and _est_formule(cellule_ref):
            rapport.erreur(
                "formule interdite : gardez la référence du modèle.",
                feuille,
                rang,
                LETTRE["reference"],
            )
            continue
        reference = "" if brute_ref is None else str(brute_ref).strip()
        vide_h = brute_h is None or (isinstance(brute_h, str) and not brute_h.strip())
        if not reference:
            if not vide_h:
                rapport.erreur(
                    "des heures sans référence de mission : complétez la référence ou videz "
                    "la ligne.",
                    feuille,
                    rang,
                    LETTRE["reference"],
                )
            continue
        if cellule_h is not None and _est_formule(cellule_h):
            valeur = Erreur(
                f"formule « {brute_h} » interdite : saisissez le nombre d'heures lui-même "
                "(ex. : 7,5).",
                feuille,
                rang,
                LETTRE["heures"],
            )
        else:
            try:
                valeur = _heures_de_la_cellule(brute_h)
            except ValueError as exc:
                valeur = Erreur(str(exc), feuille, rang, LETTRE["heures"])
        participant = valeurs[COL_PARTICIPANT - 1]
        resultat.append((rang, reference, valeur, "" if participant is None else str(participant)))
    return resultat


# --- saving --------------------------------------------------------------------------------


def enregistrer(rapport: Rapport, user) -> list[DeclarationMensuelle]:
    """Save every lot's changes in one transaction: all of them, or nothing.

    Refuses a report with errors. A declaration changed since the analysis raises
    ConflitDeVersion (nothing saved); the views analyse the file again before calling this.
    """
    if rapport.erreurs:
        raise ValidationError("Le fichier contient des erreurs : rien n'a été enregistré.")
    enregistrees = []
    with transaction.atomic():
        for lu in rapport.lots:
            changements = lu.changements
            if not changements:
                continue
            declaration = lu.declaration  # its version is the one the analysis read
            if declaration is None:
                declaration = declarations.creer(rapport.entreprise, lu.lot, rapport.mois, user)
                if declaration.lignes.exists():  # created meanwhile by someone else
                    raise ConflitDeVersion(declaration)
            enregistrees.append(
                declarations.enregistrer_lignes(declaration, changements, declaration.version, user)
            )
    rapport.enregistre = True
    return enregistrees
