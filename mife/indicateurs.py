"""Indicators of the insertion clauses: the one definition of every figure of the
*Indicateurs* page, the annual bilan (PDF and workbook) and the ``bilan`` command.

Rules (docs/domaine.md, « Indicateurs »):

- only **validated** hours count (the latest version: ``heures.selectors.lignes_validees``);
  hours belong to the period of their declared month;
- a participant counts **once** per period, however many missions: the people of a period are
  those with validated hours in it; their profile (age, level, situation…) is read on their
  **entry date of the period** = the start of their first mission with hours in the period,
  or the first day of the period if that mission started before;
- a **sortie** counts in the period its mission **ends**;
- figures per category of people show « < 3 » instead of a count of 1 or 2 people
  (``masquer``) in per-buyer outputs and in charts.

The aggregation reads a fixed number of queries whatever the amount of data: the validated
lines of the period (one query joining missions, participants, lots and contracts), the
criteria of those people, the missions ending in the period, the lots for the required pace,
the exchanges and the label activity; the rest is computed in Python.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.db.models import F, Q, Sum

from entreprises.models import Entreprise, TypeStructure
from heures import selectors as heures_selectors
from heures.models import (
    CITE_FSE,
    CritereParticipant,
    Mission,
    Modalite,
    NiveauQualification,
    Sexe,
    SituationEntree,
    SituationSixMois,
    Sortie,
)
from label.models import DossierLabel, EvenementAnimation, Label, ParticipationEvenement
from marches.models import (
    DonneurOrdre,
    Echange,
    Lot,
    Marche,
    NatureMarche,
    Operation,
    TypeEchange,
)
from mife.core.models import Parametres
from mife.core.mois import ajouter_mois, premier_jour

ZERO = Decimal("0")
SEUIL_MASQUAGE = 3
MASQUE = "< 3"
NON_RENSEIGNE = "Non renseigné"

TRANCHES_AGE = [(None, 26, "Moins de 26 ans"), (26, 45, "26 à 44 ans"), (45, 55, "45 à 54 ans"),
                (55, None, "55 ans et plus")]  # fmt: skip
TRANCHES_AGE_FSE = [(None, 18, "Moins de 18 ans"), (18, 30, "18 à 29 ans"),
                    (30, 55, "30 à 54 ans"), (55, None, "55 ans et plus")]  # fmt: skip

# Modalities as the bilan groups them.
GROUPES_MODALITE = {
    Modalite.EMBAUCHE_CDI: "Embauche directe",
    Modalite.EMBAUCHE_CDD: "Embauche directe",
    Modalite.ALTERNANCE: "Embauche directe",
    Modalite.MISE_A_DISPOSITION: "Mise à disposition (ETTI, AI, GEIQ)",
    Modalite.SOUS_TRAITANCE_SIAE: "Sous-traitance ou co-traitance SIAE",
    Modalite.FORMATION: "Action de formation",
}
# Sorties as the bilan groups them; the first three are « sorties dynamiques ».
GROUPES_SORTIE = {
    Sortie.EMPLOI_DURABLE: "Emploi durable",
    Sortie.EMPLOI_TRANSITION: "Emploi de transition",
    Sortie.FORMATION_QUALIFIANTE: "Sortie positive (formation qualifiante, autre SIAE)",
    Sortie.AUTRE_SIAE: "Sortie positive (formation qualifiante, autre SIAE)",
    Sortie.AUTRE: "Autres sorties",
}
SORTIES_DYNAMIQUES = {
    Sortie.EMPLOI_DURABLE,
    Sortie.EMPLOI_TRANSITION,
    Sortie.FORMATION_QUALIFIANTE,
    Sortie.AUTRE_SIAE,
}
SITUATIONS_BILAN = {
    SituationEntree.DEMANDEUR_EMPLOI: "Demandeur d'emploi",
    SituationEntree.DEMANDEUR_LONGUE_DUREE: "Demandeur d'emploi",
    SituationEntree.INACTIF: "Inactif",
    SituationEntree.EN_EMPLOI: "En emploi",
}


class FiltresInvalides(ValueError):
    """A French message naming the faulty filter."""


@dataclass(frozen=True)
class Filtres:
    """The period and the perimeter of the figures (all optional but the period)."""

    debut: dt.date
    fin: dt.date
    donneur_ordre: DonneurOrdre | None = None
    operation: Operation | None = None
    nature: str = ""
    type_clause: str = ""
    entreprise: Entreprise | None = None
    commune: str = ""
    marche: Marche | None = None

    def __post_init__(self):
        if self.fin < self.debut:
            raise FiltresInvalides(
                "Période : la date de fin précède la date de début (période inversée)."
            )

    @classmethod
    def annee(cls, annee: int, **kwargs) -> Filtres:
        return cls(dt.date(annee, 1, 1), dt.date(annee, 12, 31), **kwargs)

    @property
    def libelle_periode(self) -> str:
        if (self.debut.month, self.debut.day, self.fin.month, self.fin.day) == (1, 1, 12, 31) and (
            self.debut.year == self.fin.year
        ):
            return f"année {self.debut.year}"
        return f"du {self.debut:%d/%m/%Y} au {self.fin:%d/%m/%Y}"

    def annee_precedente(self) -> Filtres:
        def recul(jour):
            try:
                return jour.replace(year=jour.year - 1)
            except ValueError:
                return jour.replace(year=jour.year - 1, day=28)

        return replace(self, debut=recul(self.debut), fin=recul(self.fin))

    def q_lot(self, prefixe: str = "") -> Q:
        """The perimeter as a filter on lots (``prefixe`` = the path to the lot)."""
        q = Q()
        if self.donneur_ordre is not None:
            q &= Q(**{f"{prefixe}marche__donneur_ordre": self.donneur_ordre})
        if self.operation is not None:
            q &= Q(**{f"{prefixe}marche__operation": self.operation})
        if self.marche is not None:
            q &= Q(**{f"{prefixe}marche": self.marche})
        if self.nature:
            q &= Q(**{f"{prefixe}marche__nature": self.nature})
        if self.type_clause:
            q &= Q(**{f"{prefixe}clause__type": self.type_clause})
        if self.commune:
            q &= Q(**{f"{prefixe}marche__operation__commune__iexact": self.commune}) | Q(
                **{f"{prefixe}marche__lieu_execution__contient": self.commune}
            )
        return q


def masquer(nombre: int) -> int | str:
    """A count of people: « < 3 » for 1 or 2 (statistical secrecy), the number otherwise."""
    return MASQUE if 0 < nombre < SEUIL_MASQUAGE else nombre


@dataclass
class Ligne:
    """One row of a breakdown: people (distinct) and validated hours."""

    code: str
    libelle: str
    personnes: int = 0
    heures: Decimal = ZERO
    lien: str = ""  # the list behind, when the role may see it

    @property
    def masque(self) -> bool:
        return 0 < self.personnes < SEUIL_MASQUAGE

    @property
    def personnes_affichees(self) -> int | str:
        return masquer(self.personnes)


@dataclass
class Indicateurs:
    filtres: Filtres
    heures: Decimal = ZERO
    etp: Decimal = ZERO
    participants: int = 0
    heures_requises: Decimal = ZERO
    lots: int = 0
    entreprises: int = 0
    par_sexe: list[Ligne] = field(default_factory=list)
    par_age: list[Ligne] = field(default_factory=list)
    par_age_fse: list[Ligne] = field(default_factory=list)
    age_par_sexe: dict[str, list[Ligne]] = field(default_factory=dict)
    par_niveau: list[Ligne] = field(default_factory=list)
    par_cite: list[Ligne] = field(default_factory=list)
    par_situation: list[Ligne] = field(default_factory=list)
    dont_longue_duree: Ligne | None = None
    par_critere: list[Ligne] = field(default_factory=list)
    par_qpv: list[Ligne] = field(default_factory=list)
    par_modalite: list[Ligne] = field(default_factory=list)
    sorties: list[Ligne] = field(default_factory=list)
    nb_sorties: int = 0
    part_sorties_dynamiques: Decimal | None = None
    six_mois: list[Ligne] = field(default_factory=list)
    par_donneur: list[Ligne] = field(default_factory=list)
    par_operation: list[Ligne] = field(default_factory=list)
    par_entreprise: list[Ligne] = field(default_factory=list)
    par_nature: list[Ligne] = field(default_factory=list)
    par_cpv: list[Ligne] = field(default_factory=list)
    par_mois: list[tuple[dt.date, Decimal, Decimal]] = field(default_factory=list)
    structures: list[Ligne] = field(default_factory=list)
    nb_structures: int = 0
    nb_echanges: int = 0
    nb_visites: int = 0
    label: dict = field(default_factory=dict)
    # One row per person of the period (profile on entry, hours): the FSE+ export.
    profils: dict[int, dict] = field(default_factory=dict)
    # The sortie of each person whose mission ended in the period (the last one).
    sorties_personnes: dict[int, tuple] = field(default_factory=dict)

    @property
    def vide(self) -> bool:
        return not self.heures and not self.participants and not self.nb_sorties


def tranche(age: int, tranches) -> str:
    for bas, haut, libelle in tranches:
        if (bas is None or age >= bas) and (haut is None or age < haut):
            return libelle
    raise AssertionError(age)  # pragma: no cover


def age(naissance: dt.date, jour: dt.date) -> int:
    return jour.year - naissance.year - ((jour.month, jour.day) < (naissance.month, naissance.day))


def _lignes(
    ordre: list[tuple[str, str]],
    personnes: dict[str, set],
    heures: dict[str, Decimal],
    garder_vides: bool = True,
) -> list[Ligne]:
    lignes = [
        Ligne(code, libelle, len(personnes.get(code, ())), heures.get(code, ZERO))
        for code, libelle in ordre
    ]
    return [ligne for ligne in lignes if garder_vides or ligne.personnes or ligne.heures]


def _par_cle(lignes_brutes, cle, libelles) -> list[Ligne]:
    """Hours and people per key (``cle(row)``), biggest hours first."""
    personnes: dict = defaultdict(set)
    heures: dict = defaultdict(lambda: ZERO)
    for ligne in lignes_brutes:
        k = cle(ligne)
        personnes[k].add(ligne["participant"])
        heures[k] += ligne["heures"]
    resultat = [
        Ligne(str(k), libelles.get(k, str(k)), len(personnes[k]), heures[k]) for k in heures
    ]
    return sorted(resultat, key=lambda ligne: (-ligne.heures, ligne.libelle))


def calculer(filtres: Filtres, user=None, detail: bool = True) -> Indicateurs:
    """Every figure of ``filtres`` (see the module's rules). ``user``: protected criteria
    appear (as counts only) for a user allowed to see them. ``detail=False``: only the key
    figures (``CHIFFRES_CLES``, e.g. last year's beside the page's), the breakdowns stay empty;
    the same code computes them, so they are the same as with ``detail=True``."""
    parametres = Parametres.get()
    resultat = Indicateurs(filtres)
    voir_sensibles = user is None or user.has_perm("heures.voir_donnees_sensibles")

    lignes_qs = heures_selectors.lignes_validees().filter(
        filtres.q_lot("declaration__lot__"),
        declaration__mois__gte=premier_jour(filtres.debut),
        declaration__mois__lte=filtres.fin,
    )
    if filtres.entreprise is not None:
        lignes_qs = lignes_qs.filter(declaration__entreprise=filtres.entreprise)
    colonnes = {
        "entreprise": F("declaration__entreprise"),
        "lot": F("declaration__lot"),
        "participant": F("mission__participant"),
        "debut_mission": F("mission__date_debut"),
    }
    if detail:
        colonnes |= {
            "mois": F("declaration__mois"),
            "entreprise_nom": F("declaration__entreprise__raison_sociale"),
            "donneur": F("declaration__lot__marche__donneur_ordre"),
            "donneur_nom": F("declaration__lot__marche__donneur_ordre__nom"),
            "operation": F("declaration__lot__marche__operation"),
            "operation_nom": F("declaration__lot__marche__operation__nom"),
            "nature": F("declaration__lot__marche__nature"),
            "cpv": F("declaration__lot__marche__code_cpv"),
            "modalite": F("mission__modalite"),
            "sexe": F("mission__participant__sexe"),
            "naissance": F("mission__participant__date_naissance"),
            "niveau": F("mission__participant__niveau_qualification"),
            "situation": F("mission__participant__situation_entree"),
            "qpv": F("mission__participant__resident_qpv"),
        }
    if detail:
        brutes = list(lignes_qs.order_by().values("heures", **colonnes))
    else:
        # Key figures only: the hours summed by the database per (company, lot, person, mission
        # start), far fewer rows for the same totals and entry dates.
        brutes = list(lignes_qs.order_by().values(**colonnes).annotate(heures=Sum("heures")))
    resultat.heures = sum((b["heures"] for b in brutes), ZERO).quantize(Decimal("0.01"))
    resultat.etp = heures_selectors.etp(resultat.heures, parametres)
    resultat.lots = len({b["lot"] for b in brutes})
    resultat.entreprises = len({b["entreprise"] for b in brutes})

    # One profile per person: read on their entry date of the period.
    profils: dict[int, dict] = {}
    heures_personne: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for b in brutes:
        heures_personne[b["participant"]] += b["heures"]
        entree = max(b["debut_mission"], filtres.debut)
        profil = profils.get(b["participant"])
        if profil is None or entree < profil["entree"]:
            profils[b["participant"]] = {**b, "entree": entree}
    resultat.participants = len(profils)
    for pk, profil in profils.items():
        profil["heures_periode"] = heures_personne[pk]
    resultat.profils = profils
    if not detail:
        _sorties(resultat, filtres)
        _structures(resultat, filtres)
        return resultat

    def ventiler(cle, ordre, garder=lambda profil: True) -> list[Ligne]:
        personnes: dict = defaultdict(set)
        heures: dict = defaultdict(lambda: ZERO)
        for pk, profil in profils.items():
            if not garder(profil):
                continue
            code = cle(profil)
            personnes[code].add(pk)
            heures[code] += heures_personne[pk]
        return _lignes(ordre, personnes, heures, garder_vides=True)

    resultat.par_sexe = ventiler(lambda p: p["sexe"], list(Sexe.choices))
    resultat.par_age = ventiler(
        lambda p: tranche(age(p["naissance"], p["entree"]), TRANCHES_AGE),
        [(t[2], t[2]) for t in TRANCHES_AGE],
    )
    resultat.age_par_sexe = {
        libelle: ventiler(
            lambda p: tranche(age(p["naissance"], p["entree"]), TRANCHES_AGE),
            [(t[2], t[2]) for t in TRANCHES_AGE],
            garder=lambda p, code=code: p["sexe"] == code,
        )
        for code, libelle in Sexe.choices
    }
    resultat.par_age_fse = ventiler(
        lambda p: tranche(age(p["naissance"], p["entree"]), TRANCHES_AGE_FSE),
        [(t[2], t[2]) for t in TRANCHES_AGE_FSE],
    )
    resultat.par_niveau = ventiler(
        lambda p: p["niveau"] or "", [*NiveauQualification.choices, ("", NON_RENSEIGNE)]
    )
    cites = list(dict.fromkeys(CITE_FSE.values()))
    resultat.par_cite = ventiler(
        lambda p: CITE_FSE.get(p["niveau"], ""),
        [*((c, c) for c in cites), ("", NON_RENSEIGNE)],
    )
    situations = list(dict.fromkeys(SITUATIONS_BILAN.values()))
    resultat.par_situation = ventiler(
        lambda p: SITUATIONS_BILAN.get(p["situation"], ""),
        [*((s, s) for s in situations), ("", NON_RENSEIGNE)],
    )
    longue = [
        pk for pk, p in profils.items() if p["situation"] == SituationEntree.DEMANDEUR_LONGUE_DUREE
    ]
    resultat.dont_longue_duree = Ligne(
        "deld",
        "dont demandeurs d'emploi de longue durée",
        len(longue),
        sum((heures_personne[pk] for pk in longue), ZERO),
    )
    resultat.par_qpv = ventiler(
        lambda p: "qpv" if p["qpv"] else "hors_qpv",
        [("qpv", "Résident d'un QPV"), ("hors_qpv", "Hors QPV")],
    )

    # Eligibility criteria valid on each person's entry date (one query for all).
    validations = CritereParticipant.objects.filter(
        participant__in=list(profils), critere__actif=True
    ).values_list(
        "participant",
        "critere__code",
        "critere__libelle",
        "critere__sensible",
        "critere__ordre",
        "date_validation",
        "date_fin_validite",
    )
    criteres_personnes: dict = defaultdict(set)
    libelles_criteres: dict = {}
    for pk, code, libelle, sensible, ordre, validation, fin_validite in validations:
        entree = profils[pk]["entree"]
        if validation > entree or (fin_validite is not None and fin_validite < entree):
            continue
        if sensible and not voir_sensibles:
            continue
        criteres_personnes[code].add(pk)
        libelles_criteres[code] = (ordre, libelle, sensible)
    resultat.par_critere = [
        Ligne(
            code,
            libelle,
            len(criteres_personnes[code]),
            # Health criteria: counts only.
            ZERO if sensible else sum((heures_personne[p] for p in criteres_personnes[code]), ZERO),
        )
        for code, (ordre, libelle, sensible) in sorted(
            libelles_criteres.items(), key=lambda item: item[1][0]
        )
    ]

    # The per-contract breakdowns only need the hours of each (lot, company, person,
    # modality): summed once, the loops below run over far fewer rows (same totals).
    cumuls = _cumuls(brutes)
    modalites = list(dict.fromkeys(GROUPES_MODALITE.values()))
    resultat.par_modalite = _lignes(
        [(m, m) for m in modalites],
        *_personnes_heures(cumuls, lambda b: GROUPES_MODALITE.get(b["modalite"], b["modalite"])),
    )
    resultat.par_donneur = _par_cle(
        cumuls, lambda b: b["donneur"], {b["donneur"]: b["donneur_nom"] for b in cumuls}
    )
    resultat.par_operation = _par_cle(
        cumuls,
        lambda b: b["operation"] or 0,
        {0: "Hors opération", **{b["operation"]: b["operation_nom"] for b in cumuls}},
    )
    resultat.par_entreprise = _par_cle(
        cumuls, lambda b: b["entreprise"], {b["entreprise"]: b["entreprise_nom"] for b in cumuls}
    )
    resultat.par_nature = _par_cle(cumuls, lambda b: b["nature"], dict(NatureMarche.choices))
    divisions = {(b["cpv"] or "")[:2] for b in cumuls if b["cpv"]}
    resultat.par_cpv = _par_cle(
        cumuls,
        lambda b: (b["cpv"] or "")[:2] or "—",
        {"—": "Sans code CPV", **{d: f"Division CPV {d}" for d in divisions}},
    )

    _sorties(resultat, filtres)
    _rythme_mensuel(resultat, filtres, brutes)
    _structures(resultat, filtres)
    _label(resultat, filtres)
    return resultat


def _cumuls(brutes) -> list[dict]:
    """The rows summed per (lot, company, person, modality): every other column of a
    per-contract breakdown depends on the lot or the company only."""
    cumuls: dict[tuple, dict] = {}
    for b in brutes:
        cle = (b["lot"], b["entreprise"], b["participant"], b["modalite"])
        cumul = cumuls.get(cle)
        if cumul is None:
            cumuls[cle] = {**b}
        else:
            cumul["heures"] += b["heures"]
    return list(cumuls.values())


def _personnes_heures(brutes, cle) -> tuple[dict, dict]:
    personnes: dict = defaultdict(set)
    heures: dict = defaultdict(lambda: ZERO)
    for b in brutes:
        personnes[cle(b)].add(b["participant"])
        heures[cle(b)] += b["heures"]
    return personnes, heures


def _sorties(resultat: Indicateurs, filtres: Filtres) -> None:
    """Sorties of the missions ending in the period (one query)."""
    missions = Mission.objects.filter(
        filtres.q_lot("lot__"), date_fin__gte=filtres.debut, date_fin__lte=filtres.fin
    ).exclude(sortie="")
    if filtres.entreprise is not None:
        missions = missions.filter(employeur=filtres.entreprise)
    rangs = list(
        missions.order_by("date_fin", "pk").values_list(
            "participant", "sortie", "situation_six_mois", "date_fin"
        )
    )
    groupes = list(dict.fromkeys(GROUPES_SORTIE.values()))
    personnes: dict = defaultdict(set)
    comptes: Counter = Counter()
    six_mois: Counter = Counter()
    for participant, sortie, situation, fin in rangs:
        resultat.sorties_personnes[participant] = (sortie, situation, fin)
        groupe = GROUPES_SORTIE[sortie]
        personnes[groupe].add(participant)
        comptes[groupe] += 1
        six_mois[situation or ""] += 1
    resultat.sorties = [Ligne(g, g, comptes[g]) for g in groupes]
    resultat.nb_sorties = len(rangs)
    dynamiques = sum(1 for rang in rangs if rang[1] in SORTIES_DYNAMIQUES)
    resultat.part_sorties_dynamiques = (
        (Decimal(dynamiques) * 100 / len(rangs)).quantize(Decimal("0.1")) if rangs else None
    )
    resultat.six_mois = [
        Ligne(code, libelle, six_mois[code])
        for code, libelle in [*SituationSixMois.choices, ("", "Situation non connue")]
    ]


def _rythme_mensuel(resultat: Indicateurs, filtres: Filtres, brutes) -> None:
    """Validated hours per month against the required pace: each lot's required hours spread
    evenly over its days of execution (one query for the lots)."""
    lots = Lot.objects.filter(
        filtres.q_lot(),
        clause__heures_requises__gt=0,
        date_debut__isnull=False,
        date_fin__isnull=False,
        date_debut__lte=filtres.fin,
        date_fin__gte=filtres.debut,
    )
    if filtres.entreprise is not None:
        lots = lots.filter(
            Q(titulaire=filtres.entreprise)
            | Q(cotraitants=filtres.entreprise)
            | Q(sous_traitants=filtres.entreprise)
        ).distinct()
    lots = list(lots.values_list("date_debut", "date_fin", "clause__heures_requises"))
    par_mois: dict = defaultdict(lambda: ZERO)
    for b in brutes:
        par_mois[b["mois"]] += b["heures"]
    mois = premier_jour(filtres.debut)
    requises_total = ZERO
    while mois <= filtres.fin:
        suivant = ajouter_mois(mois, 1)
        attendu = ZERO
        dernier = suivant - dt.timedelta(days=1)
        for debut, fin, requises in lots:
            if debut > dernier or fin < mois:
                continue  # no day in common with the month
            jours = (fin - debut).days + 1
            commun = (min(fin, dernier) - max(debut, mois)).days + 1
            attendu += requises * commun / jours
        requises_total += attendu
        resultat.par_mois.append((mois, par_mois.get(mois, ZERO), attendu.quantize(Decimal("1"))))
        mois = suivant
    resultat.heures_requises = requises_total.quantize(Decimal("1"))


def _structures(resultat: Indicateurs, filtres: Filtres) -> None:
    """Structures supported: companies with a logged exchange in the period (one query)."""
    echanges = Echange.objects.filter(date__gte=filtres.debut, date__lte=filtres.fin)
    if filtres.entreprise is not None:
        echanges = echanges.filter(entreprise=filtres.entreprise)
    perimetre = filtres.q_lot("lot__")
    if perimetre:
        echanges = echanges.filter(perimetre)
    rangs = list(
        echanges.order_by().values_list("entreprise", "entreprise__type_structure", "type")
    )
    resultat.nb_echanges = len(rangs)
    resultat.nb_visites = sum(1 for *_, t in rangs if t == TypeEchange.VISITE_CHANTIER)
    par_type: dict = defaultdict(set)
    for entreprise, type_structure, _ in rangs:
        par_type[type_structure].add(entreprise)
    resultat.nb_structures = len({r[0] for r in rangs})
    resultat.structures = [
        Ligne(code, libelle, len(par_type[code])) for code, libelle in TypeStructure.choices
    ]


def _label(resultat: Indicateurs, filtres: Filtres) -> None:
    """Label and network activity of the period (not filtered by contract: it is the team's)."""
    debut, fin = filtres.debut, filtres.fin
    resultat.label = {
        "dossiers_deposes": DossierLabel.objects.filter(
            date_depot__gte=debut, date_depot__lte=fin
        ).count(),
        "labels_obtenus": Label.objects.filter(
            date_obtention__gte=debut, date_obtention__lte=fin
        ).count(),
        "labels_valides": Label.objects.valides_le(fin).count(),
        "evenements": EvenementAnimation.objects.filter(
            date__date__gte=debut, date__date__lte=fin
        ).count(),
        "entreprises_presentes": ParticipationEvenement.objects.filter(
            evenement__date__date__gte=debut, evenement__date__date__lte=fin, present=True
        )
        .values("entreprise")
        .distinct()
        .count(),
    }


CHIFFRES_CLES = [
    ("heures", "Heures d'insertion réalisées (validées)"),
    ("etp", "Équivalents temps plein (ETP)"),
    ("participants", "Participants"),
    ("lots", "Lots avec des heures"),
    ("entreprises", "Entreprises ayant déclaré des heures"),
    ("nb_sorties", "Sorties"),
    ("part_sorties_dynamiques", "Part des sorties dynamiques (%)"),
    ("nb_structures", "Structures accompagnées"),
]


def chiffres_cles(courant: Indicateurs, precedent: Indicateurs | None) -> list[dict]:
    """The key figures with last year's beside them (page, PDF and workbook)."""
    return [
        {
            "code": code,
            "libelle": libelle,
            "valeur": getattr(courant, code),
            "precedent": getattr(precedent, code) if precedent is not None else None,
        }
        for code, libelle in CHIFFRES_CLES
    ]
