"""Import of the public open data of awarded contracts (DECP, schemas 1.x and 2.0).

Two steps, so a later upload page can show a report before anything is written:

* ``analyser_fichier(contenu, departement, acheteur_siret)`` reads and checks the file; it
  never touches the database. Its ``Rapport`` holds the records to import, the records left
  aside (with why), the warnings and the errors.
* ``importer(rapport_ou_contenu, ..., dry_run=False, user=None)`` applies the records inside
  one ``transaction.atomic()``: any error (found in the file or while applying) and nothing
  at all is written. ``dry_run`` runs the whole import then rolls it back, so its counts are
  exact.

Mapping decisions (see also the management command ``import_decp``):

* buyer → ``DonneurOrdre`` found by SIRET; created with the published name (or
  "Acheteur <SIRET>") and the type « Autre », to be classified by the team. An existing name
  is kept, unless it is the placeholder and the file now gives a name;
* record → ``Marche`` keyed by (buyer, DECP ``id``); ``reference`` = the DECP id, set at
  creation only. If a marché of that buyer entered without this DECP id already uses that
  reference, the import is refused: the team either fills in the marché's DECP id (the
  import then updates it) or changes its reference. No suffixed duplicate is created;
* DECP ``nature`` is the legal form (Marché, Accord-cadre, Marché subséquent…), not
  travaux/services/fournitures: the kind comes from the CPV division (45 travaux; 03–44 and
  48 fournitures; 49–98 services). A ``nature`` already saying Travaux, Services or
  Fournitures is used as is; any other text is an error;
* each record gets one lot « 1 » (intitulé = objet, montant = montant of the record): its
  titulaire is the first published titulaire, the others are its cotraitants (DECP publishes
  each lot as its own record). Only these lot fields are written; the rest of the lot (dates,
  facilitateur, clause…) belongs to the team;
* companies are found by (type d'identifiant, identifiant); a new one is named after
  ``denominationSociale`` or "Titulaire <id>"; an existing name is kept, unless it is that
  placeholder;
* the same (buyer, id) twice in one file (seen in real data for two different contracts):
  the first is imported, the next ones are left aside with a warning;
* ``modifications`` (avenants) are not applied: durée, montant and titulaires are those of
  the initial award (a warning says so).
"""

import json
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as NumeroInvalide
from stdnum.fr import siret as stdnum_siret

from entreprises.models import Entreprise, TypeIdentifiant
from marches import cpv
from marches.models import DonneurOrdre, Lot, Marche, NatureMarche, Procedure, TypeDonneurOrdre
from mife.core.concurrence import enregistrer_versionne
from mife.core.texte import cle_recherche

MOTIF_HISTORIQUE = "Import DECP"
NUMERO_LOT = "1"
CARACTERE_ILLISIBLE = "\ufffd"
MONTANT_MAX = Decimal("1e12")  # Marche.montant_ht: 14 digits, 2 of them decimals
DUREE_MAX = 32767  # PositiveSmallIntegerField
PROFONDEUR_MAX = 32  # a DECP record nests a handful of levels; deeper is not a DECP file
LONGUEUR_ID_MAX = Marche._meta.get_field("reference").max_length

_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:Z|[+-]\d{2}:\d{2})?$")
_DEPARTEMENT = re.compile(r"^(?:0[1-9]|[1-8]\d|9[0-5]|2[AB]|97[1-6])$")


NATURES = {
    "travaux": NatureMarche.TRAVAUX,
    "services": NatureMarche.SERVICES,
    "service": NatureMarche.SERVICES,
    "fournitures": NatureMarche.FOURNITURES,
    "fourniture": NatureMarche.FOURNITURES,
}
FORMES_JURIDIQUES = {
    cle_recherche(f)
    for f in (
        "Marché",
        "Accord-cadre",
        "Marché subséquent",
        "Marché de partenariat",
        "Marché de défense ou de sécurité",
    )
}
PROCEDURES = {
    cle_recherche(libelle): code
    for libelle, code in (
        ("Procédure adaptée", Procedure.ADAPTEE),
        ("Appel d'offres ouvert", Procedure.AO_OUVERT),
        ("Appel d'offres restreint", Procedure.AO_RESTREINT),
        ("Procédure avec négociation", Procedure.NEGOCIEE),
        ("Procédure concurrentielle avec négociation", Procedure.NEGOCIEE),
        ("Procédure négociée avec mise en concurrence préalable", Procedure.NEGOCIEE),
        ("Dialogue compétitif", Procedure.DIALOGUE),
        ("Marché passé sans publicité ni mise en concurrence préalable", Procedure.SANS_PUBLICITE),
        (
            "Marché négocié sans publicité ni mise en concurrence préalable",
            Procedure.SANS_PUBLICITE,
        ),
        (
            "Marché public négocié sans publicité ni mise en concurrence préalable",
            Procedure.SANS_PUBLICITE,
        ),
    )
}
CONSIDERATIONS_CLAUSE = {
    cle_recherche(c) for c in ("Clause sociale", "Critère social", "Marché réservé")
}
CONSIDERATIONS_CONNUES = CONSIDERATIONS_CLAUSE | {cle_recherche("Pas de considération sociale")}
TYPES_LIEU_PREFIXE = {"code postal", "code commune"}
TYPE_LIEU_DEPARTEMENT = "code departement"
_MOTIF_CONCESSION = "contrat de concession : non importé (seuls les marchés sont suivis)."


# --- Report -----------------------------------------------------------------------------------
@dataclass
class Message:
    """One line of the report, tied to a record (1-based rank, DECP id) and a field if known."""

    texte: str
    rang: int | None = None
    decp_id: str | None = None
    champ: str | None = None

    def __str__(self) -> str:
        if self.rang is None:
            return self.texte
        prefixe = (
            f"Enregistrement n° {self.rang} ({f'id {self.decp_id}' if self.decp_id else 'sans id'})"
        )
        if self.champ:
            return f"{prefixe} — champ « {self.champ} » : {self.texte}"
        return f"{prefixe} : {self.texte}"


@dataclass
class Compteur:
    crees: int = 0
    mis_a_jour: int = 0
    inchanges: int = 0
    ignores: int = 0

    def phrase(self, nom: str, feminin: bool = False) -> str:
        parties = [
            _accord(self.crees, "créé", feminin),
            _accord(self.mis_a_jour, "mis à jour", feminin),
            _accord(self.inchanges, "inchangé", feminin),
        ]
        if self.ignores:
            parties.append(_accord(self.ignores, "ignoré", feminin))
        return f"{nom} : {', '.join(parties)}."


def _accord(nombre: int, participe: str, feminin: bool) -> str:
    """« 2 créées », « 1 mis à jour », « 3 mises à jour »…"""
    mot, _, reste = participe.partition(" ")
    mot += "e" if feminin else ""
    mot += "s" if nombre > 1 and not mot.endswith("s") else ""
    return " ".join(p for p in (str(nombre), mot, reste) if p)


@dataclass(frozen=True)
class Titulaire:
    type_identifiant: str
    identifiant: str
    raison_sociale: str  # "" when the file gives no name

    @property
    def cle(self) -> tuple[str, str]:
        return (self.type_identifiant, self.identifiant)


@dataclass
class Enregistrement:
    """A checked record, ready to be applied."""

    rang: int
    decp_id: str
    acheteur_siret: str
    acheteur_nom: str
    valeurs: dict  # fields of Marche
    titulaires: list[Titulaire]


@dataclass
class Rapport:
    schema: str = ""
    nb_enregistrements: int = 0
    donneurs: Compteur = field(default_factory=Compteur)
    marches: Compteur = field(default_factory=Compteur)
    entreprises: Compteur = field(default_factory=Compteur)
    enregistrements: list[Enregistrement] = field(default_factory=list)
    ignores: list[Message] = field(default_factory=list)
    avertissements: list[Message] = field(default_factory=list)
    erreurs: list[Message] = field(default_factory=list)
    simulation: bool = False
    enregistre: bool = False  # True once the import is committed

    def resume(self) -> list[str]:
        lignes = [
            f"Fichier DECP (schéma {self.schema or 'inconnu'}) : "
            f"{self.nb_enregistrements} enregistrement(s) lu(s), "
            f"{len(self.enregistrements)} retenu(s), {len(self.ignores)} ignoré(s).",
            self.donneurs.phrase("Donneurs d'ordre"),
            self.marches.phrase("Marchés"),
            self.entreprises.phrase("Entreprises", feminin=True),
        ]
        motifs: dict[str, int] = {}
        for message in self.ignores:
            motifs[message.texte] = motifs.get(message.texte, 0) + 1
        lignes += [f"Ignoré(s) : {nombre} — {motif}" for motif, nombre in motifs.items()]
        return lignes


@dataclass
class _Contexte:
    """Collects the messages of one record."""

    rapport: Rapport
    rang: int
    decp_id: str | None
    nb_erreurs: int = 0

    def _message(self, champ, texte) -> Message:
        return Message(texte, self.rang, self.decp_id, champ)

    def erreur(self, champ: str | None, texte: str) -> None:
        self.nb_erreurs += 1
        self.rapport.erreurs.append(self._message(champ, texte))

    def avertir(self, champ: str | None, texte: str) -> None:
        self.rapport.avertissements.append(self._message(champ, texte))

    def ignorer(self, champ: str | None, texte: str) -> None:
        self.rapport.marches.ignores += 1
        self.rapport.ignores.append(self._message(champ, texte))


# --- Reading the file -----------------------------------------------------------------------
def analyser_fichier(
    contenu: bytes, departement: str | None = None, acheteur_siret: str | None = None
) -> Rapport:
    """Read and check a DECP file without writing anything (no database access at all)."""
    rapport = Rapport()
    filtre = _Filtre.creer(departement, acheteur_siret, rapport)
    donnees = _lire_json(contenu, rapport)
    listes = None if donnees is None else _listes(donnees, rapport)
    if filtre is None or listes is None:
        return rapport
    marches, concessions = listes
    rapport.nb_enregistrements = len(marches) + len(concessions)
    deja_vus: dict[tuple[str, str], int] = {}
    for rang, brut in enumerate(marches, start=1):
        enregistrement = _analyser_enregistrement(rang, brut, filtre, deja_vus, rapport)
        if enregistrement is not None:
            rapport.enregistrements.append(enregistrement)
    for rang, brut in enumerate(concessions, start=len(marches) + 1):
        decp_id = _texte(brut.get("id")) if isinstance(brut, dict) else ""
        _Contexte(rapport, rang, decp_id or None).ignorer(None, _MOTIF_CONCESSION)
    return rapport


def _lire_json(contenu: bytes, rapport: Rapport):
    try:
        texte = contenu.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        rapport.erreurs.append(
            Message(f"Le fichier n'est pas encodé en UTF-8 (octet invalide n° {exc.start + 1}).")
        )
        return None
    if not texte.strip():
        rapport.erreurs.append(Message("Le fichier est vide."))
        return None
    trop_profond = Message(
        f"Le fichier imbrique plus de {PROFONDEUR_MAX} niveaux de listes ou d'objets : ce n'est "
        "pas un fichier DECP (quelques niveaux suffisent)."
    )
    try:
        donnees = json.loads(texte)
    except json.JSONDecodeError as exc:
        rapport.erreurs.append(
            Message(
                f"Le fichier n'est pas un JSON valide (ligne {exc.lineno}, colonne {exc.colno})."
            )
        )
        return None
    except RecursionError:  # nested deeper than Python's recursion limit
        rapport.erreurs.append(trop_profond)
        return None
    if _profondeur_depasse(donnees, PROFONDEUR_MAX):
        rapport.erreurs.append(trop_profond)
        return None
    return donnees


def _profondeur_depasse(donnees, limite: int) -> bool:
    """Whether lists and objects are nested more than ``limite`` levels (iterative walk)."""
    pile = [(donnees, 1)] if isinstance(donnees, dict | list) else []
    while pile:
        valeur, niveau = pile.pop()
        if niveau > limite:
            return True
        enfants = valeur.values() if isinstance(valeur, dict) else valeur
        pile.extend((e, niveau + 1) for e in enfants if isinstance(e, dict | list))
    return False


def _listes(donnees, rapport: Rapport) -> tuple[list, list] | None:
    """(marchés, concessions) of a 1.x ``{"marches": [...]}`` or 2.0 file."""
    marches = donnees.get("marches") if isinstance(donnees, dict) else None
    if isinstance(marches, list):
        rapport.schema = "1.x"
        return marches, []
    if isinstance(marches, dict):
        rapport.schema = "2.0"
        liste, concessions = marches.get("marche", []), marches.get("contrat-concession", [])
        if isinstance(liste, list) and isinstance(concessions, list):
            return liste, concessions
    rapport.erreurs.append(
        Message(
            "Le fichier ne contient pas de liste « marches » : ce n'est pas un fichier de "
            "données essentielles de la commande publique (DECP)."
        )
    )
    return None


@dataclass
class _Filtre:
    departement: str | None
    acheteur: str | None

    @classmethod
    def creer(cls, departement, acheteur, rapport: Rapport):
        departement = (departement or "").strip().upper() or None
        acheteur = (acheteur or "").replace(" ", "") or None
        ok = True
        if departement and not _DEPARTEMENT.match(departement):
            rapport.erreurs.append(
                Message(f"Département « {departement} » invalide (exemples : 90, 2A, 974).")
            )
            ok = False
        if acheteur and not stdnum_siret.is_valid(acheteur):
            rapport.erreurs.append(Message(f"SIRET d'acheteur « {acheteur} » invalide."))
            ok = False
        return cls(departement, acheteur) if ok else None

    def motif_exclusion(self, brut: dict) -> tuple[str, str] | None:
        """(field, reason) when the record is left aside by the filters."""
        if self.acheteur and _siret_publie(brut) != self.acheteur:
            return "acheteur", f"acheteur autre que {self.acheteur}."
        if self.departement and not self._dans_departement(brut.get("lieuExecution")):
            return "lieuExecution", f"lieu d'exécution hors du département {self.departement}."
        return None

    def _dans_departement(self, lieu) -> bool:
        if not isinstance(lieu, dict):
            return False
        code = _texte(lieu.get("code")).upper()
        type_code = cle_recherche(_texte(lieu.get("typeCode")))
        if type_code == TYPE_LIEU_DEPARTEMENT:
            return code == self.departement
        return type_code in TYPES_LIEU_PREFIXE and code.startswith(self.departement)


def _texte(valeur) -> str:
    if valeur is None or isinstance(valeur, dict | list):
        return ""
    return str(valeur).strip()


def _siret_publie(brut: dict) -> str:
    """The buyer's SIRET as published (spaces removed), before any check."""
    acheteur = brut.get("acheteur")
    return _texte(acheteur.get("id")).replace(" ", "") if isinstance(acheteur, dict) else ""


def _est_concession(brut: dict) -> bool:
    return "concession" in cle_recherche(_texte(brut.get("_type"))) or "autoriteConcedante" in brut


def _analyser_enregistrement(rang, brut, filtre, deja_vus, rapport) -> Enregistrement | None:
    if not isinstance(brut, dict):
        _Contexte(rapport, rang, None).erreur(None, "l'enregistrement n'est pas un objet JSON.")
        return None
    decp_id = _texte(brut.get("id"))
    ctx = _Contexte(rapport, rang, decp_id or None)
    if not decp_id:
        ctx.erreur("id", "identifiant absent : l'enregistrement ne peut pas être suivi.")
        return None
    if len(decp_id) > LONGUEUR_ID_MAX:
        ctx.erreur("id", f"identifiant trop long ({LONGUEUR_ID_MAX} caractères au plus).")
        return None
    if _est_concession(brut):
        ctx.ignorer("_type", _MOTIF_CONCESSION)
        return None
    exclusion = filtre.motif_exclusion(brut)
    if exclusion:
        ctx.ignorer(*exclusion)
        return None
    cle = (_siret_publie(brut), decp_id)
    if cle in deja_vus:
        motif = (
            f"même acheteur et même id que l'enregistrement n° {deja_vus[cle]} : seul le "
            "premier est importé."
        )
        ctx.ignorer("id", motif)
        ctx.avertir("id", motif)
        return None
    deja_vus[cle] = rang
    acheteur_siret, acheteur_nom = _lire_acheteur(ctx, brut.get("acheteur"))
    valeurs = _lire_valeurs(ctx, brut)
    titulaires = _lire_titulaires(ctx, brut.get("titulaires"))
    if brut.get("modifications"):
        ctx.avertir(
            "modifications",
            f"{len(brut['modifications'])} modification(s) publiée(s) non reprise(s) : durée, "
            "montant et titulaires sont ceux de l'attribution initiale.",
        )
    if ctx.nb_erreurs:
        return None
    return Enregistrement(rang, decp_id, acheteur_siret, acheteur_nom, valeurs, titulaires)


def _lire_acheteur(ctx: _Contexte, acheteur) -> tuple[str, str]:
    if not isinstance(acheteur, dict) or not _texte(acheteur.get("id")):
        ctx.erreur("acheteur", "SIRET de l'acheteur absent.")
        return "", ""
    siret = _siret(ctx, "acheteur.id", _texte(acheteur.get("id")))
    nom = _lire_texte_libre(ctx, "acheteur.nom", acheteur.get("nom"))
    return siret, nom[: DonneurOrdre._meta.get_field("nom").max_length]


def _siret(ctx: _Contexte, champ: str, valeur: str, libelle: str = "SIRET") -> str:
    siret = valeur.replace(" ", "")
    try:
        return stdnum_siret.validate(siret)
    except InvalidChecksum:
        ctx.erreur(champ, f"{libelle} « {valeur} » invalide : clé de contrôle incorrecte.")
    except NumeroInvalide:
        ctx.erreur(champ, f"{libelle} « {valeur} » invalide : 14 chiffres attendus.")
    return ""


def _lire_texte_libre(ctx: _Contexte, champ: str, valeur) -> str:
    texte = _texte(valeur)
    if CARACTERE_ILLISIBLE in texte:
        ctx.avertir(
            champ,
            f"caractères illisibles (« {CARACTERE_ILLISIBLE} ») dus à un mauvais encodage "
            "à la source : texte importé tel quel, à corriger à la main.",
        )
    return texte


def _lire_valeurs(ctx: _Contexte, brut: dict) -> dict:
    objet = _lire_texte_libre(ctx, "objet", brut.get("objet"))
    if not objet:
        ctx.erreur("objet", "objet du marché absent.")
    code_cpv = _lire_cpv(ctx, brut.get("codeCPV"))
    considerations = _lire_considerations(ctx, brut.get("considerationsSociales"))
    lieu = brut.get("lieuExecution") if isinstance(brut.get("lieuExecution"), dict) else {}
    nom_lieu = _lire_texte_libre(ctx, "lieuExecution.nom", lieu.get("nom"))
    lieu_texte = " ".join(p for p in (_texte(lieu.get("code")), nom_lieu) if p)
    return {
        "objet": objet,
        "nature": _lire_nature(ctx, brut.get("nature"), _texte(brut.get("codeCPV"))),
        "procedure": _lire_procedure(ctx, brut.get("procedure")),
        "date_notification": _lire_date(ctx, "dateNotification", brut.get("dateNotification")),
        "duree_mois": _lire_duree(ctx, brut.get("dureeMois")),
        "montant_ht": _lire_montant(ctx, brut.get("montant")),
        "code_cpv": code_cpv,
        "lieu_execution": lieu_texte[: Marche._meta.get_field("lieu_execution").max_length],
        "considerations_sociales": considerations,
        "candidat_clause": any(cle_recherche(c) in CONSIDERATIONS_CLAUSE for c in considerations),
    }


def _lire_nature(ctx: _Contexte, valeur, cpv_brut: str) -> str:
    texte = _texte(valeur)
    nature = NATURES.get(cle_recherche(texte))
    if nature:
        return nature
    if texte and cle_recherche(texte) not in FORMES_JURIDIQUES:
        ctx.erreur("nature", f"« {texte} » inconnue (attendu : Travaux, Services ou Fournitures).")
        return ""
    nature = _nature_par_cpv(cpv_brut)
    if not nature:
        ctx.erreur(
            "nature",
            f"« {texte or 'absente'} » ne dit pas s'il s'agit de travaux, de services ou de "
            "fournitures, et aucun code CPV ne permet de le déduire.",
        )
    return nature or ""


def _nature_par_cpv(cpv_brut: str) -> str | None:
    """Kind of contract from the CPV division (its first two digits), even if the code is bad."""
    match = re.match(r"^(\d{2})", cpv_brut)
    division = int(match.group(1)) if match else 0
    if division == 45:
        return NatureMarche.TRAVAUX
    if 3 <= division <= 44 or division == 48:
        return NatureMarche.FOURNITURES
    if 49 <= division <= 98:
        return NatureMarche.SERVICES
    return None


def _lire_procedure(ctx: _Contexte, valeur) -> str:
    texte = _texte(valeur)
    procedure = PROCEDURES.get(cle_recherche(texte))
    if procedure is None:
        ctx.avertir(
            "procedure",
            f"« {texte} » inconnue : procédure « Autre » retenue."
            if texte
            else "absente : procédure « Autre » retenue.",
        )
        return Procedure.AUTRE
    return procedure


def _lire_date(ctx: _Contexte, champ: str, valeur) -> date | None:
    """ISO date ``AAAA-MM-JJ``, a trailing time zone (``+01:00``, ``Z``) tolerated."""
    if valeur in (None, ""):
        ctx.avertir(champ, "absente : date de notification laissée vide.")
        return None
    match = _DATE.match(valeur) if isinstance(valeur, str) else None
    if match is None:
        ctx.erreur(champ, f"« {valeur} » n'est pas une date au format AAAA-MM-JJ.")
        return None
    try:
        return date(*(int(partie) for partie in match.groups()))
    except ValueError:
        ctx.erreur(champ, f"« {valeur} » n'est pas une date qui existe.")
        return None


def _nombre(valeur) -> Decimal | None:
    """Decimal of a JSON number or of a numeric string (spaces and decimal comma allowed)."""
    if isinstance(valeur, bool):
        return None
    if isinstance(valeur, int | float):
        valeur = str(valeur)
    if not isinstance(valeur, str):
        return None
    try:
        nombre = Decimal("".join(valeur.split()).replace(",", "."))
    except InvalidOperation:
        return None
    return nombre if nombre.is_finite() else None


def _lire_montant(ctx: _Contexte, valeur) -> Decimal | None:
    if valeur in (None, ""):
        ctx.avertir("montant", "absent : montant laissé vide.")
        return None
    montant = _nombre(valeur)
    if montant is None:
        ctx.erreur("montant", f"« {valeur} » n'est pas un nombre.")
    elif montant < 0:
        ctx.erreur("montant", f"« {valeur} » est négatif.")
    elif montant >= MONTANT_MAX:
        ctx.erreur("montant", f"« {valeur} » est trop grand.")
    else:
        return montant.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return None


def _lire_duree(ctx: _Contexte, valeur) -> int | None:
    if valeur in (None, ""):
        ctx.avertir("dureeMois", "absente : durée laissée vide.")
        return None
    duree = _nombre(valeur)
    if duree is None or duree != duree.to_integral_value() or not 0 <= duree <= DUREE_MAX:
        ctx.erreur("dureeMois", f"« {valeur} » n'est pas un nombre entier de mois.")
        return None
    return int(duree)


def _lire_cpv(ctx: _Contexte, valeur) -> str:
    texte = _texte(valeur)
    if not texte:
        ctx.avertir("codeCPV", "absent : code CPV laissé vide.")
        return ""
    try:
        code, cle_donnee = cpv.analyser(texte)
    except cpv.CodeCPVInvalide:
        ctx.avertir("codeCPV", f"« {texte} » n'est pas un code CPV (8 chiffres) : laissé vide.")
        return ""
    attendue = cpv.cle(code)
    if cle_donnee is None:
        ctx.avertir("codeCPV", f"« {texte} » sans clé de contrôle : {code}-{attendue} retenu.")
    elif cle_donnee != attendue:
        ctx.avertir(
            "codeCPV", f"« {texte} » : clé de contrôle incorrecte, {code}-{attendue} retenu."
        )
    return f"{code}-{attendue}"


def _lire_considerations(ctx: _Contexte, valeur) -> list[str]:
    """v2 ``{"considerationSociale": [...]}`` (a bare list or string is accepted too)."""
    if isinstance(valeur, dict):
        valeur = valeur.get("considerationSociale", [])
    if valeur is None:
        return []
    if isinstance(valeur, str):
        valeur = [valeur]
    if not isinstance(valeur, list) or not all(isinstance(v, str) for v in valeur):
        ctx.erreur("considerationsSociales", "liste de libellés attendue.")
        return []
    for libelle in valeur:
        if cle_recherche(libelle) not in CONSIDERATIONS_CONNUES:
            ctx.avertir("considerationsSociales", f"« {libelle} » inconnue : reprise telle quelle.")
    return [v.strip() for v in valeur]


def _lire_titulaires(ctx: _Contexte, valeur) -> list[Titulaire]:
    if valeur in (None, []):
        ctx.avertir("titulaires", "aucun titulaire publié : le lot 1 est créé sans titulaire.")
        return []
    if not isinstance(valeur, list):
        ctx.erreur("titulaires", "liste de titulaires attendue.")
        return []
    titulaires: list[Titulaire] = []
    for numero, element in enumerate(valeur, start=1):
        titulaire = _lire_titulaire(ctx, f"titulaires n° {numero}", element)
        if titulaire and titulaire.cle not in {t.cle for t in titulaires}:
            titulaires.append(titulaire)
    return titulaires


def _lire_titulaire(ctx: _Contexte, champ: str, element) -> Titulaire | None:
    # v2 wraps each titulaire: {"titulaire": {"typeIdentifiant": ..., "id": ...}}
    brut = element.get("titulaire", element) if isinstance(element, dict) else None
    if not isinstance(brut, dict):
        ctx.erreur(champ, "titulaire illisible (objet attendu).")
        return None
    type_identifiant = _texte(brut.get("typeIdentifiant")).upper()
    identifiant = _texte(brut.get("id"))
    if type_identifiant not in TypeIdentifiant.values:
        ctx.erreur(
            champ,
            f"type d'identifiant « {type_identifiant or 'absent'} » inconnu "
            f"(attendu : {', '.join(TypeIdentifiant.values)}).",
        )
        return None
    if not identifiant:
        ctx.erreur(champ, "identifiant du titulaire absent.")
        return None
    if type_identifiant == TypeIdentifiant.SIRET:
        identifiant = _siret(ctx, champ, identifiant, "SIRET du titulaire")
        if not identifiant:
            return None
    elif len(identifiant) > Entreprise._meta.get_field("identifiant").max_length:
        ctx.erreur(champ, f"identifiant « {identifiant} » trop long.")
        return None
    else:
        ctx.avertir(
            champ, f"identifiant {type_identifiant} « {identifiant} » repris sans contrôle."
        )
    nom = _lire_texte_libre(ctx, champ, brut.get("denominationSociale"))
    max_nom = Entreprise._meta.get_field("raison_sociale").max_length
    return Titulaire(type_identifiant, identifiant, nom[:max_nom])


# --- Applying -------------------------------------------------------------------------------
def importer(
    source: Rapport | bytes,
    departement: str | None = None,
    acheteur_siret: str | None = None,
    *,
    dry_run: bool = False,
    user=None,
) -> Rapport:
    """Apply a checked file (or its ``Rapport``) all-or-nothing; ``dry_run`` rolls back.

    With a ``Rapport``, the filters it was analysed with apply (the arguments are ignored).
    """
    rapport = (
        source
        if isinstance(source, Rapport)
        else analyser_fichier(source, departement, acheteur_siret)
    )
    rapport.simulation = dry_run
    if rapport.erreurs or rapport.enregistre:
        return rapport
    with transaction.atomic():
        _Application(rapport, user).executer()
        if rapport.erreurs or dry_run:
            transaction.set_rollback(True)
        else:
            rapport.enregistre = True
    return rapport


class _Application:
    def __init__(self, rapport: Rapport, user):
        self.rapport = rapport
        self.user = user
        self.donneurs: dict[str, DonneurOrdre] = {}
        self.entreprises: dict[tuple[str, str], Entreprise] = {}

    def executer(self) -> None:
        for compteur in (self.rapport.donneurs, self.rapport.marches, self.rapport.entreprises):
            compteur.crees = compteur.mis_a_jour = compteur.inchanges = 0
        noms_acheteurs = _premiers_noms(
            (e.acheteur_siret, e.acheteur_nom) for e in self.rapport.enregistrements
        )
        noms_entreprises = _premiers_noms(
            (t.cle, t.raison_sociale) for e in self.rapport.enregistrements for t in e.titulaires
        )
        for enr in self.rapport.enregistrements:
            donneur = self._donneur(enr.acheteur_siret, noms_acheteurs[enr.acheteur_siret])
            entreprises = [self._entreprise(t.cle, noms_entreprises[t.cle]) for t in enr.titulaires]
            self._marche(enr, donneur, entreprises)

    def _sauver(self, instance, creation: bool) -> None:
        instance._change_reason = MOTIF_HISTORIQUE
        if self.user is not None:
            instance._history_user = self.user
        if creation:
            instance.modifie_par = self.user
            instance.save()
        else:
            enregistrer_versionne(instance, instance.version, self.user)

    def _donneur(self, siret: str, nom: str) -> DonneurOrdre:
        if siret in self.donneurs:
            return self.donneurs[siret]
        donneur = DonneurOrdre.objects.filter(siret=siret).first()
        compteur = self.rapport.donneurs
        if donneur is None:
            donneur = DonneurOrdre(siret=siret, nom=nom or f"Acheteur {siret}")
            donneur.type = TypeDonneurOrdre.AUTRE
            self._sauver(donneur, creation=True)
            compteur.crees += 1
        elif nom and donneur.nom == f"Acheteur {siret}":
            donneur.nom = nom
            self._sauver(donneur, creation=False)
            compteur.mis_a_jour += 1
        else:
            compteur.inchanges += 1
        self.donneurs[siret] = donneur
        return donneur

    def _entreprise(self, cle: tuple[str, str], nom: str) -> Entreprise:
        if cle in self.entreprises:
            return self.entreprises[cle]
        type_identifiant, identifiant = cle
        provisoire = f"Titulaire {identifiant}"
        entreprise = Entreprise.objects.filter(
            type_identifiant=type_identifiant, identifiant=identifiant
        ).first()
        compteur = self.rapport.entreprises
        if entreprise is None:
            entreprise = Entreprise(
                type_identifiant=type_identifiant,
                identifiant=identifiant,
                raison_sociale=nom or provisoire,
            )
            self._sauver(entreprise, creation=True)
            compteur.crees += 1
        elif nom and entreprise.raison_sociale == provisoire:
            entreprise.raison_sociale = nom
            self._sauver(entreprise, creation=False)
            compteur.mis_a_jour += 1
        else:
            compteur.inchanges += 1
        self.entreprises[cle] = entreprise
        return entreprise

    def _marche(self, enr: Enregistrement, donneur: DonneurOrdre, entreprises) -> None:
        marche = Marche.objects.filter(donneur_ordre=donneur, decp_id=enr.decp_id).first()
        compteur = self.rapport.marches
        if marche is None:
            if self._reference_prise(enr, donneur):
                return
            marche = Marche(
                donneur_ordre=donneur, reference=enr.decp_id, decp_id=enr.decp_id, **enr.valeurs
            )
            self._sauver(marche, creation=True)
            self._lot(marche, enr, entreprises, nouveau=True)
            compteur.crees += 1
            return
        modifie = _affecter(marche, enr.valeurs)
        if modifie:
            self._sauver(marche, creation=False)
        if self._lot(marche, enr, entreprises, nouveau=False) or modifie:
            compteur.mis_a_jour += 1
        else:
            compteur.inchanges += 1

    def _reference_prise(self, enr: Enregistrement, donneur: DonneurOrdre) -> bool:
        existant = Marche.objects.filter(donneur_ordre=donneur, reference=enr.decp_id).first()
        if existant is None:
            return False
        self.rapport.erreurs.append(
            Message(
                f"la référence « {enr.decp_id} » est déjà celle du marché « {existant.objet[:60]} »"
                f" de {donneur.nom}, saisi sans cet identifiant DECP : renseignez son identifiant"
                " DECP pour le rattacher, ou changez sa référence, puis relancez l'import.",
                enr.rang,
                enr.decp_id,
                "id",
            )
        )
        return True

    def _lot(self, marche: Marche, enr: Enregistrement, entreprises, nouveau: bool) -> bool:
        """Create or align lot « 1 »; True when something changed."""
        valeurs = {
            "intitule": enr.valeurs["objet"][: Lot._meta.get_field("intitule").max_length],
            "montant_ht": enr.valeurs["montant_ht"],
            "titulaire": entreprises[0] if entreprises else None,
        }
        cotraitants = {e.pk for e in entreprises[1:]}
        lot = None if nouveau else marche.lots.filter(numero=NUMERO_LOT).first()
        if lot is None:
            lot = Lot(marche=marche, numero=NUMERO_LOT, **valeurs)
            self._sauver(lot, creation=True)
            lot.cotraitants.set(cotraitants)
            return True
        modifie = _affecter(lot, valeurs)
        if modifie:
            self._sauver(lot, creation=False)
        if set(lot.cotraitants.values_list("pk", flat=True)) != cotraitants:
            lot.cotraitants.set(cotraitants)
            modifie = True
        return modifie


def _premiers_noms(paires) -> dict:
    """First non-empty name seen for each key."""
    noms: dict = {}
    for cle, nom in paires:
        if not noms.get(cle):
            noms[cle] = nom
    return noms


def _affecter(instance, valeurs: dict) -> bool:
    """Set the fields that differ; True when at least one did."""
    modifie = False
    for nom, valeur in valeurs.items():
        if getattr(instance, nom) != valeur:
            setattr(instance, nom, valeur)
            modifie = True
    return modifie
