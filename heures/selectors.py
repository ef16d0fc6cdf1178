"""Read-side rules of hours: the one place where "hours done" is defined.

The definition is ``lignes_validees``. Figures read on every list (a lot's hours, a year's, a
company's per year, a declaration's total) come from totals maintained with the declarations
(``heures/services/totaux.py``), each a copy of a sum defined here and checked against it by
``python manage.py totaux_heures`` (and ``controler_chiffres``).

Hours done count only the lines of **validated** declarations. A corrected declaration is a
new version and the old one becomes « remplacée », so counting validated declarations counts
the latest validated version only. Pages, PDFs and exports all use these functions.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    DateField,
    DecimalField,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, ExtractYear, NullIf, Round

from heures.models import (
    Attestation,
    CritereParticipant,
    DeclarationMensuelle,
    LigneDeclaration,
    Mission,
    StatutAttestation,
    StatutDeclaration,
    TotalHeuresMois,
    TypeAttestation,
)
from marches.models import Lot, StatutLot, lots_de_l_entreprise
from mife.core import formats
from mife.core.expressions import JoursEntre
from mife.core.models import Parametres
from mife.core.mois import ajouter_mois, dernier_jour, premier_jour

ZERO = Decimal("0")
CENTIEME = Decimal("0.01")
_DECIMAL = DecimalField(max_digits=12, decimal_places=2)


def lignes_validees() -> QuerySet[LigneDeclaration]:
    return LigneDeclaration.objects.filter(declaration__statut=StatutDeclaration.VALIDEE)


def total_heures(lignes: QuerySet[LigneDeclaration]) -> Decimal:
    total = lignes.aggregate(total=Coalesce(Sum("heures"), Value(ZERO), output_field=_DECIMAL))[
        "total"
    ]
    return Decimal(total).quantize(CENTIEME)


def heures_realisees_lot(lot) -> Decimal:
    return total_heures(lignes_validees().filter(declaration__lot=lot))


def heures_annee(annee: int) -> Decimal:
    """Validated hours of a year's months, read from the maintained totals (``TotalHeuresMois``,
    checked against the lines by ``totaux_heures`` and ``controler_chiffres``)."""
    total = TotalHeuresMois.objects.filter(mois__year=annee).aggregate(
        total=Coalesce(Sum("heures"), Value(ZERO), output_field=_DECIMAL)
    )["total"]
    return Decimal(total).quantize(CENTIEME)


def annoter_heures_realisees(lots: QuerySet) -> QuerySet:
    """Add ``heures_realisees`` (validated hours) to a queryset of lots, in one query.

    Read from the maintained ``TotalHeuresLot`` (a join, sortable), which holds
    ``heures_realisees_lot`` of each lot: ``heures/services/totaux.py`` rewrites it with every
    validation and ``python manage.py totaux_heures`` checks it against the lines.
    """
    return lots.annotate(
        heures_realisees=Coalesce(F("total_heures__heures"), Value(ZERO), output_field=_DECIMAL)
    )


def heures_participant(participant) -> Decimal:
    """Validated hours of a participant, all missions together."""
    return total_heures(lignes_validees().filter(mission__participant=participant))


def heures_mission(mission) -> Decimal:
    return total_heures(lignes_validees().filter(mission=mission))


def heures_declarees(declaration) -> Decimal:
    """Total of a declaration's own lines, whatever its status (what the company declared)."""
    return total_heures(LigneDeclaration.objects.filter(declaration=declaration))


def heures_par_annee_entreprise(entreprise) -> list[tuple[int, Decimal]]:
    """Validated hours declared by a company, per year of the declared month (oldest first)."""
    return heures_par_annee_entreprises([entreprise.pk]).get(entreprise.pk, [])


def heures_par_annee_entreprises(entreprises=None) -> dict[int, list[tuple[int, Decimal]]]:
    """``heures_par_annee_entreprise`` of several companies (all when None), in one query on
    the maintained totals per month (``TotalHeuresMois``)."""
    totaux = TotalHeuresMois.objects.all()
    if entreprises is not None:
        totaux = totaux.filter(entreprise__in=entreprises)
    totaux = (
        totaux.annotate(annee=ExtractYear("mois"))
        .order_by()
        .values("entreprise", "annee")
        .annotate(total=Sum("heures", output_field=_DECIMAL))
        .order_by("entreprise", "annee")
    )
    resultat: dict[int, list[tuple[int, Decimal]]] = {}
    for ligne in totaux:
        total = Decimal(ligne["total"] or ZERO).quantize(CENTIEME)
        resultat.setdefault(ligne["entreprise"], []).append((ligne["annee"], total))
    return resultat


# --- the figures printed on attestations (docs/attestations.md) ----------------------------------


def heures_entreprise_mois(entreprise, lot, mois: date) -> Decimal:
    """A company's validated hours on a lot for one month (« heures du mois » of its
    attestation)."""
    return total_heures(
        lignes_validees().filter(
            declaration__entreprise=entreprise, declaration__lot=lot, declaration__mois=mois
        )
    )


def heures_entreprise_lot_jusqu_a(entreprise, lot, mois: date) -> Decimal:
    """A company's validated hours on a lot for every month up to and including ``mois`` (the
    cumulative of its monthly attestation). Other companies of the lot never count, so the figure
    does not depend on when or in what order their declarations were validated."""
    return total_heures(
        lignes_validees().filter(
            declaration__entreprise=entreprise, declaration__lot=lot, declaration__mois__lte=mois
        )
    )


def heures_validees_par_entreprise_lot_mois(**filtres) -> dict[tuple[int, int, date], Decimal]:
    """Validated hours per (company, lot, month), in one query: the finest grain every other
    figure is a sum of (used by the coherence check to recompute everything)."""
    lignes = (
        lignes_validees()
        .filter(**filtres)
        .order_by()
        .values("declaration__entreprise", "declaration__lot", "declaration__mois")
        .annotate(total=Sum("heures", output_field=_DECIMAL))
    )
    return {
        (
            ligne["declaration__entreprise"],
            ligne["declaration__lot"],
            ligne["declaration__mois"],
        ): Decimal(ligne["total"] or ZERO).quantize(CENTIEME)
        for ligne in lignes
    }


def _somme_sous_requete(lignes: QuerySet[LigneDeclaration]) -> Coalesce:
    somme = (
        lignes.order_by()
        .values("declaration__lot")
        .annotate(total=Sum("heures", output_field=_DECIMAL))
        .values("total")
    )
    return Coalesce(Subquery(somme, output_field=_DECIMAL), Value(ZERO), output_field=_DECIMAL)


def attestations_a_reemettre() -> QuerySet:
    """Issued attestations whose printed figures no longer match the validated lines."""
    return annoter_chiffres_actuels(Attestation.objects.all()).filter(a_reemettre=True)


def annoter_chiffres_actuels(attestations: QuerySet) -> QuerySet:
    """Add to attestations their figures recomputed now from the validated lines, in one query.

    ``total_actuel`` and ``cumul_actuel``: for a monthly attestation, the company's validated
    hours of the month and its cumulative on the lot through the month; for an attestation de
    réalisation, the lot's validated total (both). ``a_reemettre``: an issued (not replaced)
    attestation whose printed ``total_heures`` or ``cumul_heures`` differ from them — a later
    validation (a correction) changed its figures. ``derniere_validation``: when the latest
    declaration its figures count was validated.
    """
    du_lot = lignes_validees().filter(declaration__lot=OuterRef("lot"))
    de_l_entreprise = du_lot.filter(declaration__entreprise=OuterRef("entreprise"))
    mensuelle = Q(type=TypeAttestation.MENSUELLE)
    validations = DeclarationMensuelle.objects.filter(
        lot=OuterRef("lot"), statut=StatutDeclaration.VALIDEE
    )
    validations_entreprise = validations.filter(
        entreprise=OuterRef("entreprise"), mois__lte=OuterRef("mois")
    )
    return attestations.annotate(
        total_actuel=Case(
            When(
                mensuelle,
                then=_somme_sous_requete(
                    de_l_entreprise.filter(declaration__mois=OuterRef("mois"))
                ),
            ),
            default=_somme_sous_requete(du_lot),
            output_field=_DECIMAL,
        ),
        cumul_actuel=Case(
            When(
                mensuelle,
                then=_somme_sous_requete(
                    de_l_entreprise.filter(declaration__mois__lte=OuterRef("mois"))
                ),
            ),
            default=_somme_sous_requete(du_lot),
            output_field=_DECIMAL,
        ),
        derniere_validation=Case(
            When(
                mensuelle,
                then=Subquery(
                    validations_entreprise.order_by("-traitee_le").values("traitee_le")[:1]
                ),
            ),
            default=Subquery(validations.order_by("-traitee_le").values("traitee_le")[:1]),
        ),
    ).annotate(
        a_reemettre=Case(
            When(
                Q(statut=StatutAttestation.EMISE)
                & (
                    ~Q(total_heures=Round(F("total_actuel"), 2))
                    | ~Q(cumul_heures=Round(F("cumul_actuel"), 2))
                ),
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def _somme_par(lignes: QuerySet[LigneDeclaration], champ: str) -> Coalesce:
    somme = (
        lignes.filter(**{champ: OuterRef("pk")})
        .order_by()
        .values(champ)
        .annotate(total=Sum("heures"))
        .values("total")
    )
    return Coalesce(Subquery(somme, output_field=_DECIMAL), Value(ZERO), output_field=_DECIMAL)


def annoter_heures_declarees(declarations: QuerySet) -> QuerySet:
    """Declarations with ``total_declare`` (sum of the declaration's lines, = ``heures_declarees``):
    a field maintained with the lines (``heures/services/totaux.py``), indexed for sorting, so
    nothing to add to the query."""
    return declarations


def annoter_heures_validees_missions(missions: QuerySet) -> QuerySet:
    """Add ``heures_validees`` (validated hours) to a queryset of missions, in one query."""
    return missions.annotate(heures_validees=_somme_par(lignes_validees(), "mission"))


def etp(heures: Decimal, parametres: Parametres | None = None) -> Decimal:
    """Full-time equivalent: hours ÷ the divisor set in the settings (1 607 h by default)."""
    diviseur = (parametres or Parametres.get()).diviseur_etp
    return (Decimal(heures) / diviseur).quantize(Decimal("0.01"))


def declarations_a_valider() -> QuerySet[DeclarationMensuelle]:
    return DeclarationMensuelle.objects.filter(statut=StatutDeclaration.SOUMISE)


def participants_avec_heures(annee: int) -> int:
    return (
        lignes_validees()
        .filter(declaration__mois__year=annee)
        .values("mission__participant")
        .distinct()
        .count()
    )


def annoter_avancement(lots: QuerySet, jour: date, marge: Decimal | None = None) -> QuerySet:
    """The one definition of a lot's progress and of « en retard », in one query.

    Adds to a queryset of lots: ``heures_realisees``; ``avancement`` (% of the hours
    required); ``avancement_attendu`` (% of the lot's duration elapsed on ``jour``) — both
    NULL when they cannot be computed (no hours required, no dates); ``statut_effectif``
    (``LotQuerySet.annoter_statut``); ``en_retard``: a lot running on ``jour`` whose progress
    is below the expected progress minus the margin (points, ``Parametres.marge_retard``) —
    an ended lot with a shortfall is « terminé », not « en retard »; ``statut_avancement``:
    ``statut_effectif`` with « en retard » in place of « en cours » for late lots.
    """
    if marge is None:
        marge = Parametres.get().marge_retard
    jour_sql = Value(jour, output_field=DateField())
    duree = NullIf(JoursEntre(F("date_fin"), F("date_debut")), Value(0.0))
    ecoule = JoursEntre(jour_sql, F("date_debut"))
    lots = annoter_heures_realisees(lots.annoter_statut(jour)).annotate(
        avancement=Case(
            When(
                clause__heures_requises__gt=0,
                then=Cast(F("heures_realisees"), FloatField())
                * 100.0
                / Cast(F("clause__heures_requises"), FloatField()),
            ),
            default=None,
            output_field=FloatField(),
        ),
        avancement_attendu=Case(
            When(Q(date_debut__isnull=True) | Q(date_fin__isnull=True), then=None),
            When(date_debut__gte=jour, then=Value(0.0)),
            When(date_fin__lte=jour, then=Value(100.0)),
            default=ecoule * 100.0 / duree,
            output_field=FloatField(),
        ),
    )
    return lots.annotate(
        en_retard=Case(
            When(
                statut_effectif=StatutLot.EN_COURS,
                avancement__isnull=False,
                avancement_attendu__isnull=False,
                avancement__lt=F("avancement_attendu") - float(marge),
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        ),
        statut_avancement=Case(
            When(en_retard=True, then=Value(StatutLot.EN_RETARD)),
            default=F("statut_effectif"),
            output_field=CharField(),
        ),
    )


def lots_en_retard(lots: QuerySet, jour: date, marge: Decimal | None = None) -> QuerySet:
    """The lots of ``lots`` that are « en retard » on ``jour`` (see ``annoter_avancement``)."""
    return annoter_avancement(lots, jour, marge).filter(en_retard=True)


@dataclass(frozen=True)
class Eligibilite:
    """Whether a participant is eligible on a date, and why (the criteria valid that day)."""

    eligible: bool
    criteres: tuple  # CritereParticipant rows valid on the date

    def raisons(self, user=None) -> list[str]:
        """Labels of the valid criteria; sensitive ones left out for users without the right
        (a placeholder would reveal that a health criterion exists)."""
        voir = user is None or user.has_perm("heures.voir_donnees_sensibles")
        return [c.critere.libelle for c in self.criteres if voir or not c.critere.sensible]


def criteres_valides_le(jour: date) -> Q:
    """Filter on CritereParticipant rows valid on ``jour``."""
    return Q(date_validation__lte=jour, critere__actif=True) & (
        Q(date_fin_validite__isnull=True) | Q(date_fin_validite__gte=jour)
    )


def eligibilite(participant, jour: date) -> Eligibilite:
    """Eligible on ``jour`` = at least one active criterion validated on or before that day
    and not expired (REFERENCE.md: criteria are validated by a prescriber)."""
    criteres = tuple(
        participant.criteres_valides.filter(criteres_valides_le(jour))
        .select_related("critere", "prescripteur")
        .order_by("critere__ordre")
    )
    return Eligibilite(bool(criteres), criteres)


@dataclass(frozen=True)
class PrevisionLot:
    """A lot's forecast at the current pace (see ``prevision_lot``)."""

    lot: object
    heures_realisees: Decimal
    heures_requises: Decimal
    rythme_jour: Decimal  # validated hours per day so far
    prevision: Decimal  # hours expected by the lot's end at that pace
    manque: Decimal  # required − forecast, 0 if none
    penalite_horaire: Decimal | None
    exposition: Decimal  # shortfall × the clause's penalty per missing hour

    @property
    def a_risque(self) -> bool:
        return self.manque > 0


def prevision_lot(lot, jour: date) -> PrevisionLot:
    """The one definition of a lot's forecast, from a lot annotated by ``annoter_avancement``.

    Pace = validated hours ÷ days from the lot's start to the end of the month before
    ``jour`` (the months that could already be declared); forecast = hours done + pace × days
    from the first day of ``jour``'s month to the lot's end; shortfall = required − forecast;
    penalty exposure = shortfall × the clause's penalty per missing hour (``penalite_horaire``,
    none if the clause has no penalty). An ended lot's forecast is its hours done.
    """
    clause = getattr(lot, "clause", None)
    requises = clause.heures_requises if clause is not None else ZERO
    realisees = Decimal(lot.heures_realisees or ZERO)
    rythme = ZERO
    prevision = realisees
    debut_mois = jour.replace(day=1)
    if lot.date_debut and lot.date_fin and lot.date_fin >= debut_mois and not lot.cloture_le:
        ecoules = (debut_mois - lot.date_debut).days
        restants = (lot.date_fin - max(debut_mois, lot.date_debut)).days + 1
        if ecoules > 0:
            rythme = realisees / ecoules
            prevision = realisees + rythme * restants
    manque = max(requises - prevision, ZERO).quantize(CENTIEME)
    penalite = clause.penalite_horaire if clause is not None else None
    return PrevisionLot(
        lot=lot,
        heures_realisees=realisees.quantize(CENTIEME),
        heures_requises=requises,
        rythme_jour=rythme.quantize(CENTIEME),
        prevision=prevision.quantize(CENTIEME),
        manque=manque,
        penalite_horaire=penalite,
        exposition=(manque * penalite).quantize(CENTIEME) if penalite else ZERO,
    )


def previsions_lots(lots: QuerySet, jour: date) -> list[PrevisionLot]:
    """Forecast of every lot with required hours, in one query."""
    annotes = annoter_avancement(
        lots.filter(clause__heures_requises__gt=0).select_related(
            "clause", "marche__donneur_ordre", "titulaire"
        ),
        jour,
    )
    return [prevision_lot(lot, jour) for lot in annotes]


def lots_ou_travaille(lots: QuerySet, entreprise) -> QuerySet:
    """The ``lots`` where ``entreprise`` works: titulaire, cotraitant, sous-traitant
    (``marches.models.lots_de_l_entreprise``) or employer of a mission (an insertion structure
    that provides staff). The hour entry offers these lots only, and refuses another."""
    return lots.filter(
        Q(pk__in=lots_de_l_entreprise(entreprise).values("pk"))
        | Q(pk__in=Mission.objects.filter(employeur=entreprise).values("lot"))
    )


def eligibilites(participants_jours: dict) -> dict[int, Eligibilite]:
    """``eligibilite`` of several participants, each on its own day, in one query:
    ``participants_jours`` maps participants to days, the result maps their ids."""
    if not participants_jours:
        return {}
    filtre = Q(pk__in=[])
    for participant, jour in participants_jours.items():
        filtre |= Q(participant=participant) & criteres_valides_le(jour)
    par_participant: dict[int, list] = {}
    criteres = (
        CritereParticipant.objects.filter(filtre)
        .select_related("critere", "prescripteur")
        .order_by("critere__ordre", "pk")
    )
    for critere in criteres:
        par_participant.setdefault(critere.participant_id, []).append(critere)
    return {
        participant.pk: Eligibilite(
            bool(par_participant.get(participant.pk)),
            tuple(par_participant.get(participant.pk, ())),
        )
        for participant in participants_jours
    }


# --- the checks shown to whoever validates a declaration (docs/domaine.md) ---------------------

#: A participant's hours of the month are a « sudden jump » when they exceed both
#: ``SAUT_FACTEUR`` × the mean of the ``SAUT_MOIS`` previous months (months without hours count
#: 0) and that mean + ``SAUT_ECART``; a first month (no validated hours in those months) is not
#: a jump.
SAUT_MOIS = 3
SAUT_FACTEUR = Decimal("2")
SAUT_ECART = Decimal("35")


def saut_heures(heures: Decimal, precedents: list[Decimal]) -> bool:
    """The one definition of a sudden jump of hours from the months before (see above)."""
    if not any(precedents):
        return False
    moyenne = sum(precedents, ZERO) / len(precedents)
    return heures > SAUT_FACTEUR * moyenne and heures - moyenne > SAUT_ECART


def jours_mission_dans_mois(mission, mois: date) -> int:
    """Days of ``mois`` within the mission's dates (0 when it is not active that month)."""
    debut = max(mission.date_debut, premier_jour(mois))
    fin = (
        dernier_jour(mois)
        if mission.date_fin is None
        else min(mission.date_fin, dernier_jour(mois))
    )
    return max((fin - debut).days + 1, 0)


@dataclass(frozen=True)
class Anomalie:
    code: str  # hors_dates, maximum, saut
    message: str


@dataclass(frozen=True)
class ControleLigne:
    """One line of a declaration with what the validator needs to judge it."""

    ligne: LigneDeclaration
    mois_precedents: tuple[tuple[date, Decimal], ...]  # participant on the lot, oldest first
    cumul_avant: Decimal  # participant's validated hours on the lot before the month
    total_participant: Decimal  # participant's hours in this declaration (all their lines)
    eligibilite: Eligibilite
    jours_mission: int  # days of the month within the mission's dates
    anomalies: tuple[Anomalie, ...]

    @property
    def cumul_apres(self) -> Decimal:
        return self.cumul_avant + self.ligne.heures


@dataclass(frozen=True)
class ControleDeclaration:
    """The context of a declaration's validation: the lot's hours and each line checked."""

    lignes: list[ControleLigne]
    prevision: PrevisionLot
    heures_attendues: Decimal | None  # hours expected by ``jour`` at an even pace
    seuil_mensuel: Decimal

    @property
    def anomalies(self) -> list[tuple[ControleLigne, Anomalie]]:
        return [(ligne, anomalie) for ligne in self.lignes for anomalie in ligne.anomalies]


def _anomalies(ligne, mois: date, jours: int, total: Decimal, precedents, seuil) -> list:
    mission = ligne.mission
    anomalies = []
    jours_du_mois = dernier_jour(mois).day
    periode = f"du {formats.date_fr(mission.date_debut)} au {formats.date_fr(mission.date_fin)}"
    if mission.date_fin is None:
        periode = f"depuis le {formats.date_fr(mission.date_debut)}"
    if jours == 0:
        anomalies.append(
            Anomalie(
                "hors_dates",
                f"Heures hors des dates de la mission ({periode}) : elle n'est pas active en "
                f"{formats.mois_fr(mois)}.",
            )
        )
    elif jours < jours_du_mois:
        prorata = (seuil * jours / jours_du_mois).quantize(CENTIEME)
        if ligne.heures > prorata:
            anomalies.append(
                Anomalie(
                    "hors_dates",
                    f"{formats.heures(ligne.heures)} pour {jours} jour{'s' if jours > 1 else ''} "
                    f"de mission ce mois-ci ({periode}) : plus que les "
                    f"{formats.heures(prorata)} du seuil mensuel au prorata de ces jours.",
                )
            )
    if total > seuil:
        anomalies.append(
            Anomalie(
                "maximum",
                f"{formats.heures(total)} dans le mois : au-delà du seuil d'alerte de "
                f"{formats.heures(seuil)} par participant.",
            )
        )
    valeurs = [heures for _, heures in precedents]
    if saut_heures(total, valeurs):
        moyenne = sum(valeurs, ZERO) / len(valeurs)
        anomalies.append(
            Anomalie(
                "saut",
                f"Hausse soudaine : {formats.heures(total)} contre "
                f"{formats.heures(moyenne)} en moyenne sur les {SAUT_MOIS} mois précédents.",
            )
        )
    return anomalies


def controle_declaration(declaration, jour: date) -> ControleDeclaration:
    """Everything shown next to a declaration to validate, in a fixed number of queries
    whatever its number of lines: the lot's required, validated, expected and forecast hours
    (``annoter_avancement``, ``prevision_lot``); for each line, the participant's validated
    hours on the lot in the ``SAUT_MOIS`` previous months and before the month, eligibility
    on the first day of the mission in the month (``eligibilites``), and anomalies (hours
    outside the mission's dates, more than ``Parametres.seuil_alerte_heures_mensuel``, a sudden
    jump: ``saut_heures``). Anomalies warn; they never block the validation."""
    mois = declaration.mois
    seuil = Parametres.get().seuil_alerte_heures_mensuel
    lignes = list(
        declaration.lignes.select_related("mission__participant").order_by(
            "mission__participant__nom", "mission__participant__prenom", "mission__reference"
        )
    )
    participants = {ligne.mission.participant_id for ligne in lignes}
    debut_fenetre = ajouter_mois(mois, -SAUT_MOIS)
    par_mois: dict[tuple[int, date], Decimal] = {}
    cumuls: dict[int, Decimal] = {}
    anterieures = (
        lignes_validees()
        .filter(
            declaration__lot_id=declaration.lot_id,
            declaration__mois__lt=mois,
            mission__participant__in=participants,
        )
        .order_by()
        .values("mission__participant", "declaration__mois")
        .annotate(total=Sum("heures", output_field=_DECIMAL))
    )
    for ligne in anterieures:
        participant, mois_ligne = ligne["mission__participant"], ligne["declaration__mois"]
        total = Decimal(ligne["total"] or ZERO)
        cumuls[participant] = cumuls.get(participant, ZERO) + total
        if mois_ligne >= debut_fenetre:
            par_mois[participant, mois_ligne] = total
    totaux: dict[int, Decimal] = {}
    for ligne in lignes:
        participant = ligne.mission.participant_id
        totaux[participant] = totaux.get(participant, ZERO) + ligne.heures
    jours_eligibilite = {}
    for ligne in lignes:
        debut = max(ligne.mission.date_debut, mois)
        participant = ligne.mission.participant
        jours_eligibilite[participant] = min(jours_eligibilite.get(participant, debut), debut)
    eligibles = eligibilites(jours_eligibilite)
    fenetre = [ajouter_mois(mois, -n) for n in range(SAUT_MOIS, 0, -1)]
    controles = []
    for ligne in lignes:
        participant = ligne.mission.participant_id
        precedents = tuple((m, par_mois.get((participant, m), ZERO)) for m in fenetre)
        jours = jours_mission_dans_mois(ligne.mission, mois)
        controles.append(
            ControleLigne(
                ligne=ligne,
                mois_precedents=precedents,
                cumul_avant=cumuls.get(participant, ZERO),
                total_participant=totaux[participant],
                eligibilite=eligibles[participant],
                jours_mission=jours,
                anomalies=tuple(
                    _anomalies(ligne, mois, jours, totaux[participant], precedents, seuil)
                ),
            )
        )
    lot = annoter_avancement(
        Lot.objects.filter(pk=declaration.lot_id).select_related("clause"), jour
    ).get()
    prevision = prevision_lot(lot, jour)
    attendues = None
    if lot.avancement_attendu is not None:
        attendues = (
            prevision.heures_requises * Decimal(str(lot.avancement_attendu)) / 100
        ).quantize(CENTIEME)
    return ControleDeclaration(controles, prevision, attendues, seuil)
