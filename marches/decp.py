"""Import of the public open data of awarded contracts (DECP, schemas 1.x and 2.0).

Policy for open data (real national files carry defects in a few % of their records):

* a file that cannot be read as DECP (not UTF-8, not JSON, no list of records, unknown
  layout) or wrong filters: refused whole, nothing written (``Rapport.erreurs``);
* a readable file: every usable record is imported; a defective record is **set aside**
  (``Rapport.ecartes``: record rank, id, field, reason) and the rest goes on. The report is
  kept in the database (``RapportImport``), downloadable as Excel;
* known variants are read as their meaning: identifier type spellings
  (``TVA_INTRACOMMUNAUTAIRE``, ``HORS_UE``, ``FRW``…), a nine-digit SIREN in a SIRET field
  (kept as a SIREN); a wrong check digit (SIRET of a titulaire or a buyer) is a warning, the
  identifier is kept as published; the 2024 format's 8-digit CPV without check digit is
  normal;
* filters (department, buyer) and concessions are applied **before** validation: a record
  left out by them is never reported as defective;
* warnings are grouped by kind (``Rapport.avertissements_groupes``) with counts and a sample;
* still one ``transaction.atomic()``: the whole set of usable records is written, or nothing.

Two steps, so the upload page can show a report before anything is written:
``analyser_fichier`` (no database access) then ``importer`` (``dry_run`` rolls back).

Mapping decisions (see also the management command ``import_decp``):

* buyer → ``DonneurOrdre`` found by SIRET; created with the published name (or
  "Acheteur <SIRET>") and the type « Autre »;
* record → ``Marche`` keyed by (buyer, DECP ``id``), ``reference`` = the DECP id at creation.
  A new one is **à qualifier** (archived when already ended): no lot, so it counts in no
  home figure until a facilitator accepts it (``marches.qualification``). If a marché
  of that buyer entered without this DECP id already uses that reference, the record is set
  aside (fill in its DECP id, or change its reference);
* DECP ``nature`` is the legal form; the kind comes from the CPV division (45 travaux;
  03–44 and 48 fournitures; 49–98 services) unless ``nature`` says it;
* titulaires are kept on the marché (``titulaires_decp``) until it is accepted; new
  companies are created inactive (« Entreprises actives » does not move);
* provenance: ``Marche.valeurs_decp`` holds the values last read; a re-import changes a
  field only if the team has not changed it since, otherwise it reports a conflict and keeps
  the team's value. Links the team added (co-contractors) are never removed;
* the same (buyer, id) twice in one file: the first is imported, the next ones left aside.
"""

import json
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as NumeroInvalide
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from entreprises.models import Entreprise, TypeIdentifiant
from marches import cpv
from marches.models import (
    ActeSousTraitance,
    DonneurOrdre,
    Lot,
    Marche,
    ModificationMarche,
    NatureMarche,
    Procedure,
    Qualification,
    RapportImport,
    TypeDonneurOrdre,
)
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
_VALEUR_CITEE = re.compile(r"« [^»]* »")
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
CLAUSE_SOCIALE = cle_recherche("Clause sociale")
CRITERE_SOCIAL = cle_recherche("Critère social")
MARCHE_RESERVE = cle_recherche("Marché réservé")
CONSIDERATIONS_CLAUSE = {CLAUSE_SOCIALE, CRITERE_SOCIAL, MARCHE_RESERVE}
CONSIDERATIONS_CONNUES = CONSIDERATIONS_CLAUSE | {cle_recherche("Pas de considération sociale")}
# Identifier type as published (upper case, without spaces, "_" or "-") → its meaning.
TYPES_IDENTIFIANT = {
    re.sub(r"[\s_\-]", "", valeur): valeur for valeur in TypeIdentifiant.values
} | {
    "TVAINTRACOMMUNAUTAIRE": TypeIdentifiant.TVA,
    "TVAINTRA": TypeIdentifiant.TVA,
    "FRW": TypeIdentifiant.FRWF,
    "HORSUE": TypeIdentifiant.HORS_UE,
    "ETRANGERHORSUE": TypeIdentifiant.HORS_UE,
    "ETRANGERUE": TypeIdentifiant.UE,
}
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
    genre: str = ""  # the kind of message, for counts (the text without the values)

    @property
    def sorte(self) -> str:
        """The kind: ``genre`` if given, else the text with its quoted values elided."""
        return self.genre or _VALEUR_CITEE.sub("« … »", self.texte)

    @property
    def champ_general(self) -> str:
        """« titulaires n° 2 » → « titulaires »."""
        return re.sub(r" n° \d+", "", self.champ or "")

    def en_ligne(self) -> dict:
        return {
            "rang": self.rang,
            "id": self.decp_id or "",
            "champ": self.champ or "",
            "motif": self.texte,
            "genre": self.sorte,
        }

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
    valeurs: dict  # fields of Marche (montant and durée after the published modifications)
    titulaires: list[Titulaire]
    modifications: list[dict] = field(default_factory=list)  # fields of ModificationMarche
    actes: list[dict] = field(default_factory=list)  # {decp_id, titulaire, montant_ht, date}


@dataclass
class Rapport:
    schema: str = ""
    nb_enregistrements: int = 0
    donneurs: Compteur = field(default_factory=Compteur)
    marches: Compteur = field(default_factory=Compteur)
    entreprises: Compteur = field(default_factory=Compteur)
    enregistrements: list[Enregistrement] = field(default_factory=list)
    ignores: list[Message] = field(default_factory=list)  # left out by filters, duplicates
    ecartes: list[Message] = field(default_factory=list)  # defects: the record is set aside
    avertissements: list[Message] = field(default_factory=list)
    conflits: list[Message] = field(default_factory=list)  # team edits kept on re-import
    erreurs: list[Message] = field(default_factory=list)  # the file itself: refused whole
    simulation: bool = False
    enregistre: bool = False  # True once the import is committed
    marches_touches: list[int] = field(default_factory=list)  # pks, for the queue's ranking
    rapport_id: int | None = None  # the RapportImport kept once committed

    @property
    def nb_ecartes(self) -> int:
        return len({m.rang for m in self.ecartes})

    @property
    def nb_importes(self) -> int:
        return len(self.enregistrements) - len({m.rang for m in self.ecartes_a_l_application})

    @property
    def ecartes_a_l_application(self) -> list[Message]:
        rangs = {e.rang for e in self.enregistrements}
        return [m for m in self.ecartes if m.rang in rangs]

    def resume(self) -> list[str]:
        lignes = [
            f"Fichier DECP (schéma {self.schema or 'inconnu'}) : "
            f"{self.nb_enregistrements} enregistrement(s) lu(s), "
            f"{self.nb_importes} importable(s), {self.nb_ecartes} écarté(s) pour défaut, "
            f"{len(self.ignores)} ignoré(s).",
            self.donneurs.phrase("Donneurs d'ordre"),
            self.marches.phrase("Marchés"),
            self.entreprises.phrase("Entreprises", feminin=True),
        ]
        lignes += [f"Écarté(s) : {nombre} — {motif}" for motif, nombre in self.motifs_ecart()]
        lignes += [f"Ignoré(s) : {nombre} — {motif}" for motif, nombre in _compter(self.ignores)]
        if self.conflits:
            lignes.append(
                f"Conflits : {len(self.conflits)} valeur(s) saisie(s) par l'équipe gardée(s) "
                "au lieu de la valeur publiée."
            )
        return lignes

    def motifs_ecart(self) -> list[tuple[str, int]]:
        """(reason kind, number of lines), most frequent first."""
        return _compter(self.ecartes)

    def avertissements_groupes(self, exemples: int = 3) -> list[dict]:
        """Warnings by (field, kind): count and a few examples, most frequent first."""
        groupes: dict[tuple[str, str], dict] = {}
        for message in self.avertissements:
            cle = (message.champ_general, message.sorte)
            groupe = groupes.setdefault(
                cle, {"champ": cle[0], "genre": cle[1], "nombre": 0, "exemples": []}
            )
            groupe["nombre"] += 1
            if len(groupe["exemples"]) < exemples:
                groupe["exemples"].append(str(message))
        return sorted(groupes.values(), key=lambda g: (-g["nombre"], g["champ"], g["genre"]))


def _compter(messages: list[Message]) -> list[tuple[str, int]]:
    comptes: dict[str, int] = {}
    for message in messages:
        comptes[message.sorte] = comptes.get(message.sorte, 0) + 1
    return sorted(comptes.items(), key=lambda c: (-c[1], c[0]))


@dataclass
class _Contexte:
    """Collects the messages of one record."""

    rapport: Rapport
    rang: int
    decp_id: str | None
    nb_erreurs: int = 0

    def _message(self, champ, texte, genre="") -> Message:
        return Message(texte, self.rang, self.decp_id, champ, genre)

    def erreur(self, champ: str | None, texte: str, genre: str = "") -> None:
        """A defect: the record is set aside (the rest of the file goes on)."""
        self.nb_erreurs += 1
        self.rapport.ecartes.append(self._message(champ, texte, genre))

    def avertir(self, champ: str | None, texte: str, genre: str = "") -> None:
        self.rapport.avertissements.append(self._message(champ, texte, genre))

    def ignorer(self, champ: str | None, texte: str, genre: str = "") -> None:
        self.rapport.marches.ignores += 1
        self.rapport.ignores.append(self._message(champ, texte, genre))


# --- Reading the file -----------------------------------------------------------------------
def analyser_fichier(
    contenu: bytes,
    departement: str | None = None,
    acheteur_siret: str | None = None,
    progression=None,
) -> Rapport:
    """Read and check a DECP file without writing anything (no database access at all).

    ``progression(faits, total)``, if given, is called after each record."""
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
        if progression is not None:
            progression(rang, len(marches))
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
    # Filters first: a record left out by them is never reported as defective.
    if _est_concession(brut):
        ctx.ignorer("_type", _MOTIF_CONCESSION)
        return None
    exclusion = filtre.motif_exclusion(brut)
    if exclusion:
        ctx.ignorer(*exclusion)
        return None
    if not decp_id:
        ctx.erreur("id", "identifiant absent : l'enregistrement ne peut pas être suivi.")
        return None
    if len(decp_id) > LONGUEUR_ID_MAX:
        ctx.erreur("id", f"identifiant trop long ({LONGUEUR_ID_MAX} caractères au plus).")
        return None
    cle = (_siret_publie(brut), decp_id)
    if cle in deja_vus:
        motif = (
            f"même acheteur et même id que l'enregistrement n° {deja_vus[cle]} : seul le "
            "premier est importé."
        )
        ctx.ignorer("id", motif, "même acheteur et même id qu'un enregistrement précédent")
        ctx.avertir("id", motif, "même acheteur et même id qu'un enregistrement précédent")
        return None
    deja_vus[cle] = rang
    acheteur_siret, acheteur_nom = _lire_acheteur(ctx, brut.get("acheteur"))
    valeurs = _lire_valeurs(ctx, brut)
    titulaires = _lire_titulaires(ctx, brut.get("titulaires"))
    modifications = _lire_modifications(ctx, brut.get("modifications"), valeurs)
    actes = _lire_actes(ctx, brut.get("actesSousTraitance"))
    if ctx.nb_erreurs:
        return None
    return Enregistrement(
        rang, decp_id, acheteur_siret, acheteur_nom, valeurs, titulaires, modifications, actes
    )


def _lire_modifications(ctx: _Contexte, valeur, valeurs: dict) -> list[dict]:
    """Published modifications (1.x flat, 2.0 wrapped in ``modification``), in their order,
    applied to ``valeurs``' amount and duration; each keeps the values before and after.
    An unreadable modification is reported and not applied."""
    if not valeur:
        return []
    if not isinstance(valeur, list):
        ctx.avertir("modifications", "liste attendue : modifications non reprises.")
        return []
    lues = []
    for numero, element in enumerate(valeur, start=1):
        brut = element.get("modification", element) if isinstance(element, dict) else None
        champ = f"modifications n° {numero}"
        if not isinstance(brut, dict):
            ctx.avertir(champ, "modification illisible : non reprise.")
            continue
        sous_ctx = _Contexte(ctx.rapport, ctx.rang, ctx.decp_id)
        montant = duree = None
        if brut.get("montant") not in (None, ""):
            montant = _lire_montant(sous_ctx, brut.get("montant"))
        if brut.get("dureeMois") not in (None, ""):
            duree = _lire_duree(sous_ctx, brut.get("dureeMois"))
        date_modif = None
        if brut.get("dateNotificationModification") not in (None, ""):
            date_modif = _lire_date(sous_ctx, champ, brut.get("dateNotificationModification"))
        if sous_ctx.nb_erreurs:
            # The record itself is sound: only this modification is left out.
            for message in ctx.rapport.ecartes[-sous_ctx.nb_erreurs :]:
                message.texte = f"modification n° {numero} non reprise : {message.texte}"
                ctx.rapport.avertissements.append(message)
            del ctx.rapport.ecartes[-sous_ctx.nb_erreurs :]
            continue
        lues.append(
            {
                "rang": numero,
                "decp_id": _texte(brut.get("id"))[:64],
                "date_notification": date_modif,
                "objet": _texte(brut.get("objetModification")),
                "montant_avant": valeurs["montant_ht"],
                "montant_ht": montant if montant is not None else valeurs["montant_ht"],
                "duree_avant": valeurs["duree_mois"],
                "duree_mois": duree if duree is not None else valeurs["duree_mois"],
            }
        )
        valeurs["montant_ht"] = lues[-1]["montant_ht"]
        valeurs["duree_mois"] = lues[-1]["duree_mois"]
    return lues


def _lire_actes(ctx: _Contexte, valeur) -> list[dict]:
    """v2 ``actesSousTraitance``: sub-contractor, amount, date. An unreadable act is reported."""
    if not valeur:
        return []
    if not isinstance(valeur, list):
        ctx.avertir("actesSousTraitance", "liste attendue : actes de sous-traitance non repris.")
        return []
    actes = []
    for numero, element in enumerate(valeur, start=1):
        brut = element.get("acteSousTraitance", element) if isinstance(element, dict) else None
        champ = f"actesSousTraitance n° {numero}"
        sous_traitant = brut.get("sousTraitant") if isinstance(brut, dict) else None
        titulaire = (
            _lire_titulaire(ctx, champ, sous_traitant, "sous-traitant") if sous_traitant else None
        )
        if titulaire is None:
            ctx.avertir(champ, "sous-traitant non identifié : acte non repris.")
            continue
        montant = _nombre(brut.get("montant"))
        date_acte = None
        match = (
            _DATE.match(brut.get("dateNotification") or "")
            if isinstance(brut.get("dateNotification"), str)
            else None
        )
        if match:
            try:
                date_acte = date(*(int(partie) for partie in match.groups()))
            except ValueError:
                date_acte = None
        actes.append(
            {
                "decp_id": _texte(brut.get("id"))[:64],
                "titulaire": titulaire,
                "montant_ht": montant.quantize(Decimal("0.01"))
                if montant is not None and 0 <= montant < MONTANT_MAX
                else None,
                "date_notification": date_acte,
            }
        )
    return actes


def _lire_acheteur(ctx: _Contexte, acheteur) -> tuple[str, str]:
    if not isinstance(acheteur, dict) or not _texte(acheteur.get("id")):
        ctx.erreur("acheteur", "SIRET de l'acheteur absent.")
        return "", ""
    siret = _siret(ctx, "acheteur.id", _texte(acheteur.get("id")), "SIRET de l'acheteur")
    nom = _lire_texte_libre(ctx, "acheteur.nom", acheteur.get("nom"))
    return siret, nom[: DonneurOrdre._meta.get_field("nom").max_length]


def _siret(ctx: _Contexte, champ: str, valeur: str, libelle: str, bloquant=True) -> str:
    """14 digits; a wrong check digit is a warning (kept as published), a bad format a defect."""
    siret = "".join(valeur.split())
    try:
        return stdnum_siret.validate(siret)
    except InvalidChecksum:
        ctx.avertir(
            champ,
            f"{libelle} « {valeur} » : clé de contrôle incorrecte, repris tel quel (à vérifier).",
            f"{libelle} à la clé de contrôle incorrecte (repris tel quel)",
        )
        return siret
    except NumeroInvalide:
        texte = f"{libelle} « {valeur} » invalide : 14 chiffres attendus."
        genre = f"{libelle} invalide (14 chiffres attendus)"
        if bloquant:
            ctx.erreur(champ, texte, genre)
        else:
            _titulaire_non_repris(ctx, champ, texte, genre)
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
    cles = {cle_recherche(c) for c in considerations}
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
        "candidat_clause": bool(cles & CONSIDERATIONS_CLAUSE),
        "clause_sociale": CLAUSE_SOCIALE in cles,
        "critere_social": CRITERE_SOCIAL in cles,
        "marche_reserve": MARCHE_RESERVE in cles,
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
            "nature qui ne dit pas travaux, services ou fournitures, sans code CPV pour la déduire",
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
        ctx.avertir("codeCPV", "absent : code CPV laissé vide.", "code CPV absent")
        return ""
    try:
        code, cle = cpv.analyser(texte)
    except cpv.CodeCPVInvalide:
        ctx.avertir(
            "codeCPV",
            f"« {texte} » n'est pas un code CPV (8 chiffres) : laissé vide.",
            "code CPV illisible (laissé vide)",
        )
        return ""
    if cle is None:  # published without its check digit (the 2024 format does so): normal
        return code
    if cle != cpv.cle_usuelle(code):
        ctx.avertir(
            "codeCPV",
            f"« {texte} » : clé de contrôle inhabituelle (le calcul usuel donne "
            f"{code}-{cpv.cle_usuelle(code)}), code gardé tel que publié.",
            "code CPV à la clé de contrôle inhabituelle (gardé tel que publié)",
        )
    return f"{code}-{cle}"


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


def _lire_titulaire(
    ctx: _Contexte, champ: str, element, qui: str = "titulaire"
) -> Titulaire | None:
    # v2 wraps each titulaire: {"titulaire": {"typeIdentifiant": ..., "id": ...}}
    brut = element.get("titulaire", element) if isinstance(element, dict) else None
    if not isinstance(brut, dict):
        _titulaire_non_repris(ctx, champ, "titulaire illisible (objet attendu).")
        return None
    publie = _texte(brut.get("typeIdentifiant"))
    type_identifiant = TYPES_IDENTIFIANT.get(re.sub(r"[\s_\-]", "", publie.upper()))
    identifiant = _texte(brut.get("id"))
    if type_identifiant is None:
        _titulaire_non_repris(
            ctx,
            champ,
            f"type d'identifiant « {publie or 'absent'} » inconnu "
            f"(attendu : {', '.join(TypeIdentifiant.values)}).",
        )
        return None
    if not identifiant:
        _titulaire_non_repris(ctx, champ, "identifiant du titulaire absent.")
        return None
    chiffres = "".join(identifiant.split())
    if type_identifiant == TypeIdentifiant.SIRET and len(chiffres) == 9 and chiffres.isdigit():
        # A SIREN published where a SIRET is expected: the company, without its establishment.
        type_identifiant = TypeIdentifiant.SIREN
        ctx.avertir(
            champ,
            f"SIREN « {identifiant} » publié à la place d'un SIRET : repris comme SIREN.",
            "SIREN publié à la place d'un SIRET (repris comme SIREN)",
        )
    if type_identifiant == TypeIdentifiant.SIRET:
        identifiant = _siret(ctx, champ, identifiant, f"SIRET du {qui}", bloquant=False)
        if not identifiant:
            return None
    elif type_identifiant == TypeIdentifiant.SIREN:
        identifiant = chiffres
        if not (len(chiffres) == 9 and chiffres.isdigit()):
            _titulaire_non_repris(
                ctx, champ, f"SIREN « {identifiant} » invalide : 9 chiffres attendus."
            )
            return None
        if not stdnum_siren.is_valid(chiffres):
            ctx.avertir(
                champ,
                f"SIREN « {identifiant} » : clé de contrôle incorrecte, repris tel quel.",
                f"SIREN du {qui} à la clé de contrôle incorrecte (repris tel quel)",
            )
    elif len(identifiant) > Entreprise._meta.get_field("identifiant").max_length:
        _titulaire_non_repris(ctx, champ, f"identifiant « {identifiant} » trop long.")
        return None
    nom = _lire_texte_libre(ctx, champ, brut.get("denominationSociale"))
    max_nom = Entreprise._meta.get_field("raison_sociale").max_length
    return Titulaire(type_identifiant, identifiant, nom[:max_nom])


def _titulaire_non_repris(ctx: _Contexte, champ: str, texte: str, genre: str = "") -> None:
    """A titulaire that cannot be identified: the contract is still imported, without it."""
    ctx.avertir(
        champ,
        f"{texte.rstrip('.')} : titulaire non repris (à ajouter à la main).",
        (genre or _VALEUR_CITEE.sub("« … »", texte.rstrip("."))) + " : titulaire non repris",
    )


# --- Applying -------------------------------------------------------------------------------
def importer(
    source: Rapport | bytes,
    departement: str | None = None,
    acheteur_siret: str | None = None,
    *,
    dry_run: bool = False,
    user=None,
    origine: str = "",
) -> Rapport:
    """Apply the usable records of a file (or of its ``Rapport``) in one transaction.

    A file refused whole (``Rapport.erreurs``) writes nothing. Otherwise every usable record is
    written and the defective ones are set aside; the report is kept (``RapportImport``,
    ``Rapport.rapport_id``) unless ``dry_run``, which rolls everything back. With a
    ``Rapport``, the filters it was analysed with apply (the arguments are ignored).
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
        if dry_run:
            transaction.set_rollback(True)
        else:
            from marches import qualification

            qualification.evaluer(Marche.objects.filter(pk__in=rapport.marches_touches))
            rapport.rapport_id = garder_rapport(rapport, user, origine).pk
            rapport.enregistre = True
    return rapport


def garder_rapport(rapport: Rapport, user, origine: str) -> RapportImport:
    """Keep what an import did in the database (counts, records set aside, warnings)."""
    return RapportImport.objects.create(
        par=user,
        origine=origine[: RapportImport._meta.get_field("origine").max_length],
        schema=rapport.schema,
        nb_enregistrements=rapport.nb_enregistrements,
        nb_importes=rapport.nb_importes,
        nb_ecartes=rapport.nb_ecartes,
        nb_ignores=len(rapport.ignores),
        resume=rapport.resume(),
        ecartes=[m.en_ligne() for m in rapport.ecartes],
        avertissements=rapport.avertissements_groupes(),
        conflits=[m.en_ligne() for m in rapport.conflits],
    )


def _json_valeur(valeur):
    """The JSON form of a field value (to compare with ``Marche.valeurs_decp``)."""
    if isinstance(valeur, Decimal):
        return str(valeur)
    if isinstance(valeur, date):
        return valeur.isoformat()
    return valeur


def _libelle(modele, champ: str) -> str:
    return str(modele._meta.get_field(champ).verbose_name)


class _Application:
    def __init__(self, rapport: Rapport, user):
        self.rapport = rapport
        self.user = user
        self.donneurs: dict[str, DonneurOrdre] = {}
        self.entreprises: dict[tuple[str, str], Entreprise] = {}
        self.jour = timezone.localdate()

    def executer(self) -> None:
        for compteur in (self.rapport.donneurs, self.rapport.marches, self.rapport.entreprises):
            compteur.crees = compteur.mis_a_jour = compteur.inchanges = 0
        self.rapport.conflits = []
        self.rapport.marches_touches = []
        rangs = {e.rang for e in self.rapport.enregistrements}
        self.rapport.ecartes = [m for m in self.rapport.ecartes if m.rang not in rangs]
        noms_acheteurs = _premiers_noms(
            (e.acheteur_siret, e.acheteur_nom) for e in self.rapport.enregistrements
        )
        noms_entreprises = _premiers_noms(
            (t.cle, t.raison_sociale)
            for e in self.rapport.enregistrements
            for t in [*e.titulaires, *(a["titulaire"] for a in e.actes)]
        )
        for enr in self.rapport.enregistrements:
            donneur = self._donneur(enr.acheteur_siret, noms_acheteurs[enr.acheteur_siret])
            marche = Marche.objects.filter(donneur_ordre=donneur, decp_id=enr.decp_id).first()
            if marche is None and self._reference_prise(enr, donneur):
                continue
            entreprises = [self._entreprise(t.cle, noms_entreprises[t.cle]) for t in enr.titulaires]
            marche = self._marche(marche, enr, donneur, entreprises)
            self._modifications_et_actes(marche, enr, noms_entreprises)

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
            # Inactive until the team follows one of its contracts (« Entreprises actives »).
            entreprise = Entreprise(
                type_identifiant=type_identifiant,
                identifiant=identifiant,
                raison_sociale=nom or provisoire,
                active=False,
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

    def _etat_initial(self, valeurs: dict) -> str:
        fin = Marche(**{k: valeurs[k] for k in ("date_notification", "duree_mois")})
        fin = fin.date_fin_prevue
        return Qualification.ARCHIVE if fin and fin < self.jour else Qualification.A_QUALIFIER

    def _marche(self, marche, enr: Enregistrement, donneur: DonneurOrdre, entreprises) -> None:
        compteur = self.rapport.marches
        publies = {nom: _json_valeur(valeur) for nom, valeur in _valeurs_lot(enr).items()}
        publies = {"lot." + nom: valeur for nom, valeur in publies.items()} | {
            nom: _json_valeur(valeur) for nom, valeur in enr.valeurs.items()
        }
        titulaires = [e.pk for e in entreprises]
        if marche is None:
            marche = Marche(
                donneur_ordre=donneur,
                reference=enr.decp_id,
                decp_id=enr.decp_id,
                qualification=self._etat_initial(enr.valeurs),
                valeurs_decp=publies,
                titulaires_decp=titulaires,
                **enr.valeurs,
            )
            self._sauver(marche, creation=True)
            self.rapport.marches_touches.append(marche.pk)
            compteur.crees += 1
            return marche
        modifie = self._aligner(marche, marche, enr, enr.valeurs, marche.valeurs_decp)
        anciennes_publiees = dict(marche.valeurs_decp)
        if marche.valeurs_decp != publies or marche.titulaires_decp != titulaires:
            marche.valeurs_decp = publies
            marche.titulaires_decp = titulaires
            modifie = True
        if (
            marche.qualification == Qualification.A_QUALIFIER
            and self._etat_initial(
                {"date_notification": marche.date_notification, "duree_mois": marche.duree_mois}
            )
            == Qualification.ARCHIVE
        ):
            marche.qualification = Qualification.ARCHIVE
            modifie = True
        if modifie:
            self._sauver(marche, creation=False)
        if self._lot(marche, enr, entreprises, anciennes_publiees) or modifie:
            compteur.mis_a_jour += 1
        else:
            compteur.inchanges += 1
        self.rapport.marches_touches.append(marche.pk)
        return marche

    def _modifications_et_actes(self, marche: Marche, enr: Enregistrement, noms) -> None:
        """Keep the published modifications (history of amount and duration) and the
        sub-contracting acts; a sub-contractor joins lot « 1 » of a followed marché."""
        for valeurs in enr.modifications:
            ModificationMarche.objects.update_or_create(
                marche=marche, rang=valeurs["rang"], defaults=valeurs
            )
        lot = marche.lots.filter(numero=NUMERO_LOT).first() if enr.actes else None
        for acte in enr.actes:
            entreprise = self._entreprise(acte["titulaire"].cle, noms[acte["titulaire"].cle])
            cle = (
                {"decp_id": acte["decp_id"]}
                if acte["decp_id"]
                else {
                    "sous_traitant": entreprise,
                    "date_notification": acte["date_notification"],
                }
            )
            ActeSousTraitance.objects.update_or_create(
                marche=marche,
                **cle,
                defaults={
                    "sous_traitant": entreprise,
                    "montant_ht": acte["montant_ht"],
                    "date_notification": acte["date_notification"],
                },
            )
            if lot is not None:
                lot.sous_traitants.add(entreprise)

    def _aligner(self, instance, marche, enr, valeurs: dict, anciennes: dict, prefixe="") -> bool:
        """Take the published values for the fields the team has not changed; report the rest.

        A field is the team's when its value differs from the one last imported (or when the
        record was never imported into it: a marché typed by the team, then given its DECP id);
        an empty field of the team's is filled in.
        """
        modifie = False
        for nom, valeur in valeurs.items():
            actuelle = _json_valeur(getattr(instance, nom))
            publiee = _json_valeur(valeur)
            if actuelle == publiee:
                continue
            cle = prefixe + nom
            vide = actuelle in (None, "", [])
            if (cle in anciennes and anciennes[cle] == actuelle) or vide:
                setattr(instance, nom, valeur)
                modifie = True
            else:
                self.rapport.conflits.append(
                    Message(
                        f"valeur saisie par l'équipe « {actuelle} » gardée ; valeur publiée : "
                        f"« {publiee} ».",
                        enr.rang,
                        enr.decp_id,
                        f"{_libelle(type(instance), nom)}"
                        + (f" (lot {instance.numero})" if prefixe else ""),
                        "valeur saisie par l'équipe gardée",
                    )
                )
        return modifie

    def _reference_prise(self, enr: Enregistrement, donneur: DonneurOrdre) -> bool:
        existant = Marche.objects.filter(donneur_ordre=donneur, reference=enr.decp_id).first()
        if existant is None:
            return False
        self.rapport.ecartes.append(
            Message(
                f"la référence « {enr.decp_id} » est déjà celle du marché « {existant.objet[:60]} »"
                f" de {donneur.nom}, saisi sans cet identifiant DECP : renseignez son identifiant"
                " DECP pour le rattacher, ou changez sa référence, puis relancez l'import.",
                enr.rang,
                enr.decp_id,
                "id",
                "référence déjà prise par un marché saisi sans identifiant DECP",
            )
        )
        return True

    def _lot(self, marche: Marche, enr: Enregistrement, entreprises, anciennes: dict) -> bool:
        """Align lot « 1 » of a followed marché (created at its acceptance); True if changed.

        Published titulaires missing from the lot are added as co-contractors; a link the
        team added is never removed.
        """
        lot = marche.lots.filter(numero=NUMERO_LOT).first()
        if lot is None:
            return False
        valeurs = _valeurs_lot(enr)
        modifie = self._aligner(lot, marche, enr, valeurs, anciennes, prefixe="lot.")
        if modifie:
            self._sauver(lot, creation=False)
        if lot.titulaire_id is None and entreprises:
            lot.titulaire = entreprises[0]
            self._sauver(lot, creation=False)
            modifie = True
        presents = {lot.titulaire_id, *lot.cotraitants.values_list("pk", flat=True)}
        nouveaux = [e for e in entreprises if e.pk not in presents]
        if nouveaux:
            lot.cotraitants.add(*nouveaux)
            modifie = True
        return modifie


def _valeurs_lot(enr: Enregistrement) -> dict:
    """The fields of lot « 1 » that come from the record (the rest of the lot is the team's)."""
    return {
        "intitule": enr.valeurs["objet"][: Lot._meta.get_field("intitule").max_length],
        "montant_ht": enr.valeurs["montant_ht"],
    }


def _premiers_noms(paires) -> dict:
    """First non-empty name seen for each key."""
    noms: dict = {}
    for cle, nom in paires:
        if not noms.get(cle):
            noms[cle] = nom
    return noms
