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

The aggregation reads a fixed number of queries whatever the amount of data, and lets the
database do the summing: the validated lines of the period grouped per lot, company, person and
modality (about one row per mission, not one per line and month), the attributes of the
period's lots and the names of its companies (once each, not joined on every line), the
criteria of its people, the missions ending in it, the lots and the maintained monthly totals
for the required pace, the exchanges and the label activity; the breakdowns are then computed in
Python from those rows. Last year's key figures (``detail=False``) are one aggregate.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.db.models import BooleanField, Count, F, Func, Min, Q, QuerySet, Sum

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
    TotalHeuresMois,
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
CENTIEME = Decimal("0.01")
SEUIL_MASQUAGE = 3
MASQUE = "< 3"
NON_RENSEIGNE = "Non renseigné"
# A person's columns kept in their profile (the FSE+ export reads them).
COLONNES_PROFIL = ("participant", "sexe", "naissance", "niveau", "situation", "qpv")

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


class _Parmi(Func):
    """``champ IN (ids)`` for a long list of ids (the people, lots or companies of a period):
    on PostgreSQL one array parameter (``= ANY(%s)``), where ``__in`` sends one parameter per
    id that Django and the server each handle one by one (about 15 µs per id: 0.6 s for the
    40 000 people of a national year); ``IN`` elsewhere."""

    output_field = BooleanField()
    arity = 1

    def __init__(self, champ: str, ids):
        super().__init__(F(champ))
        self.ids = list(ids)

    def as_sql(self, compiler, connection, **extra_context):
        colonne, params = compiler.compile(self.source_expressions[0])
        if not self.ids:
            return "1 = 0", params
        return f"{colonne} IN ({', '.join(['%s'] * len(self.ids))})", (*params, *self.ids)

    def as_postgresql(self, compiler, connection, **extra_context):
        colonne, params = compiler.compile(self.source_expressions[0])
        return f"{colonne} = ANY(%s::bigint[])", (*params, self.ids)


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


def lignes_periode(filtres: Filtres) -> QuerySet:
    """The validated lines of the period (declared month) and of the perimeter."""
    lignes = heures_selectors.lignes_validees().filter(
        filtres.q_lot("declaration__lot__"),
        declaration__mois__gte=premier_jour(filtres.debut),
        declaration__mois__lte=filtres.fin,
    )
    if filtres.entreprise is not None:
        lignes = lignes.filter(declaration__entreprise=filtres.entreprise)
    return lignes.order_by()


def calculer(filtres: Filtres, user=None, detail: bool = True) -> Indicateurs:
    """Every figure of ``filtres`` (see the module's rules). ``user``: protected criteria
    appear (as counts only) for a user allowed to see them. ``detail=False``: only the key
    figures (``CHIFFRES_CLES``, e.g. last year's beside the page's), read by one aggregate of
    the same lines; the breakdowns and ``profils`` stay empty."""
    parametres = Parametres.get()
    resultat = Indicateurs(filtres)
    voir_sensibles = user is None or user.has_perm("heures.voir_donnees_sensibles")
    lignes = lignes_periode(filtres)
    if not detail:
        totaux = lignes.aggregate(
            heures=Sum("heures"),
            participants=Count("mission__participant", distinct=True),
            lots=Count("declaration__lot", distinct=True),
            entreprises=Count("declaration__entreprise", distinct=True),
        )
        resultat.heures = (totaux["heures"] or ZERO).quantize(CENTIEME)
        resultat.etp = heures_selectors.etp(resultat.heures, parametres)
        resultat.participants = totaux["participants"]
        resultat.lots = totaux["lots"]
        resultat.entreprises = totaux["entreprises"]
        _sorties(resultat, filtres)
        _structures(resultat, filtres)
        return resultat

    # The database sums the lines per (lot, company, person, modality): about one row per
    # mission instead of one per line and month. Every per-contract breakdown depends on the
    # lot or the company only, every per-person one on the person (their attributes are
    # columns of the person: grouping by them adds no group). The first mission start of the
    # group gives the entry date: min over the groups = min over the lines.
    groupes = list(
        lignes.values(
            lot=F("declaration__lot"),
            entreprise=F("declaration__entreprise"),
            participant=F("mission__participant"),
            modalite=F("mission__modalite"),
            sexe=F("mission__participant__sexe"),
            naissance=F("mission__participant__date_naissance"),
            niveau=F("mission__participant__niveau_qualification"),
            situation=F("mission__participant__situation_entree"),
            qpv=F("mission__participant__resident_qpv"),
        ).annotate(heures=Sum("heures"), debut_mission=Min("mission__date_debut"))
    )
    for g in groupes:  # SQLite sums as floats: back to cents, as the lines are
        g["heures"] = g["heures"].quantize(CENTIEME)
    resultat.heures = sum((g["heures"] for g in groupes), ZERO).quantize(CENTIEME)
    resultat.etp = heures_selectors.etp(resultat.heures, parametres)
    resultat.lots = len({g["lot"] for g in groupes})
    resultat.entreprises = len({g["entreprise"] for g in groupes})

    # One profile per person: read on their entry date of the period.
    profils: dict[int, dict] = {}
    for g in groupes:
        entree = max(g["debut_mission"], filtres.debut)
        profil = profils.get(g["participant"])
        if profil is None:
            profils[g["participant"]] = {
                **{cle: g[cle] for cle in COLONNES_PROFIL},
                "entree": entree,
                "heures_periode": g["heures"],
            }
        else:
            profil["entree"] = min(profil["entree"], entree)
            profil["heures_periode"] += g["heures"]
    resultat.participants = len(profils)
    resultat.profils = profils

    def ventiler(cle, ordre, garder=lambda profil: True) -> list[Ligne]:
        personnes: dict = defaultdict(set)
        heures: dict = defaultdict(lambda: ZERO)
        for pk, profil in profils.items():
            if not garder(profil):
                continue
            code = cle(profil)
            personnes[code].add(pk)
            heures[code] += profil["heures_periode"]
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
        p for p in profils.values() if p["situation"] == SituationEntree.DEMANDEUR_LONGUE_DUREE
    ]
    resultat.dont_longue_duree = Ligne(
        "deld",
        "dont demandeurs d'emploi de longue durée",
        len(longue),
        sum((p["heures_periode"] for p in longue), ZERO),
    )
    resultat.par_qpv = ventiler(
        lambda p: "qpv" if p["qpv"] else "hors_qpv",
        [("qpv", "Résident d'un QPV"), ("hors_qpv", "Hors QPV")],
    )
    resultat.par_critere = _criteres(profils, voir_sensibles)

    # The per-contract breakdowns: people and hours per lot, per company and per modality (a
    # pass over the groups each), then per buyer, operation, nature and CPV division from the
    # lots' attributes, read once per lot rather than joined on every line.
    par_lot = _cumuler(groupes, "lot")
    modalites = list(dict.fromkeys(GROUPES_MODALITE.values()))
    resultat.par_modalite = _lignes(
        [(m, m) for m in modalites],
        *_regrouper(_cumuler(groupes, "modalite"), lambda m: GROUPES_MODALITE.get(m, m)),
    )
    lots = _attributs_lots(par_lot[0])
    resultat.par_donneur = _classer(
        _regrouper(par_lot, lambda lot: lots[lot]["donneur"]),
        {a["donneur"]: a["donneur_nom"] for a in lots.values()},
    )
    resultat.par_operation = _classer(
        _regrouper(par_lot, lambda lot: lots[lot]["operation"] or 0),
        {0: "Hors opération", **{a["operation"]: a["operation_nom"] for a in lots.values()}},
    )
    par_entreprise = _cumuler(groupes, "entreprise")
    resultat.par_entreprise = _classer(
        par_entreprise,
        dict(
            Entreprise.objects.filter(_Parmi("pk", par_entreprise[0])).values_list(
                "pk", "raison_sociale"
            )
        ),
    )
    resultat.par_nature = _classer(
        _regrouper(par_lot, lambda lot: lots[lot]["nature"]), dict(NatureMarche.choices)
    )
    divisions = {a["cpv"][:2] for a in lots.values() if a["cpv"]}
    resultat.par_cpv = _classer(
        _regrouper(par_lot, lambda lot: (lots[lot]["cpv"] or "")[:2] or "—"),
        {"—": "Sans code CPV", **{d: f"Division CPV {d}" for d in divisions}},
    )

    _sorties(resultat, filtres)
    _rythme_mensuel(resultat, filtres)
    _structures(resultat, filtres)
    _label(resultat, filtres)
    return resultat


def _criteres(profils: dict[int, dict], voir_sensibles: bool) -> list[Ligne]:
    """Eligibility criteria valid on each person's entry date (one query for all)."""
    validations = CritereParticipant.objects.filter(
        _Parmi("participant", profils), critere__actif=True
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
    return [
        Ligne(
            code,
            libelle,
            len(criteres_personnes[code]),
            # Health criteria: counts only.
            ZERO
            if sensible
            else sum((profils[p]["heures_periode"] for p in criteres_personnes[code]), ZERO),
        )
        for code, (ordre, libelle, sensible) in sorted(
            libelles_criteres.items(), key=lambda item: item[1][0]
        )
    ]


def _attributs_lots(lots) -> dict[int, dict]:
    """The buyer, operation, nature and CPV code of each lot (one query)."""
    return {
        lot.pop("pk"): lot
        for lot in Lot.objects.filter(_Parmi("pk", lots)).values(
            "pk",
            donneur=F("marche__donneur_ordre"),
            donneur_nom=F("marche__donneur_ordre__nom"),
            operation=F("marche__operation"),
            operation_nom=F("marche__operation__nom"),
            nature=F("marche__nature"),
            cpv=F("marche__code_cpv"),
        )
    }


def _cumuler(groupes, champ: str) -> tuple[dict, dict]:
    """People (a set) and hours per value of a group's column."""
    personnes: dict = defaultdict(set)
    heures: dict = defaultdict(lambda: ZERO)
    for g in groupes:
        personnes[g[champ]].add(g["participant"])
        heures[g[champ]] += g["heures"]
    return personnes, heures


def _regrouper(cumul: tuple[dict, dict], cle) -> tuple[dict, dict]:
    """``_cumuler``'s people and hours gathered by ``cle(value)`` (e.g. lots by buyer): a
    person counts once per key, however many of its values they appear in."""
    personnes_par, heures_par = cumul
    personnes: dict = defaultdict(set)
    heures: dict = defaultdict(lambda: ZERO)
    for valeur, gens in personnes_par.items():
        k = cle(valeur)
        personnes[k] |= gens
        heures[k] += heures_par[valeur]
    return personnes, heures


def _classer(cumul: tuple[dict, dict], libelles: dict) -> list[Ligne]:
    """One row per key, biggest hours first."""
    personnes, heures = cumul
    resultat = [
        Ligne(str(k), libelles.get(k, str(k)), len(personnes[k]), heures[k]) for k in heures
    ]
    return sorted(resultat, key=lambda ligne: (-ligne.heures, ligne.libelle))


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


def _rythme_mensuel(resultat: Indicateurs, filtres: Filtres) -> None:
    """Validated hours per month against the required pace: each lot's required hours spread
    evenly over its days of execution (one query for the lots). The hours of each month are
    read from the maintained totals (``TotalHeuresMois``: the validated lines of a lot, a
    company and a month, rewritten with every validation), filtered by the same perimeter."""
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
    # The lot's key is read so that ``DISTINCT`` never merges two lots with the same dates and
    # hours (whatever the model's default ordering adds to the select).
    lots = list(lots.values_list("pk", "date_debut", "date_fin", "clause__heures_requises"))
    totaux = TotalHeuresMois.objects.filter(
        filtres.q_lot("lot__"), mois__gte=premier_jour(filtres.debut), mois__lte=filtres.fin
    )
    if filtres.entreprise is not None:
        totaux = totaux.filter(entreprise=filtres.entreprise)
    par_mois = {
        m: total.quantize(CENTIEME)
        for m, total in totaux.order_by()
        .values("mois")
        .annotate(total=Sum("heures"))
        .values_list("mois", "total")
    }
    # The months of the period (first and last day); each lot adds its share to the months it
    # overlaps only, lot after lot in the same order for every month (the same sums).
    mois: list[tuple[dt.date, dt.date]] = []
    premier = premier_jour(filtres.debut)
    while premier <= filtres.fin:
        suivant = ajouter_mois(premier, 1)
        mois.append((premier, suivant - dt.timedelta(days=1)))
        premier = suivant
    derniers = [dernier for _, dernier in mois]
    attendus = [ZERO] * len(mois)
    for _, debut, fin, requises in lots:
        jours = (fin - debut).days + 1
        for i in range(bisect_left(derniers, debut), len(mois)):
            premier, dernier = mois[i]
            if premier > fin:
                break  # no day in common with this month and the next ones
            commun = (min(fin, dernier) - max(debut, premier)).days + 1
            attendus[i] += requises * commun / jours
    requises_total = ZERO
    for (premier, _), attendu in zip(mois, attendus, strict=True):
        requises_total += attendu
        resultat.par_mois.append(
            (premier, par_mois.get(premier, ZERO), attendu.quantize(Decimal("1")))
        )
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
