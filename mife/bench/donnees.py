"""The bench dataset: a national operator's volume, with its realistic extremes.

At scale 1 (``Echelle(1)``): 30 000 companies, 50 000 lots (two per contract), 100 000
participants, 150 000 missions and 2 000 000 hour lines over the last 60 months, plus the
extremes that make pages slow: one company holding 2 000 lots, one lot with 2 000 missions, one
facilitator following 500 lots. ``--echelle`` multiplies every count (a few minima keep a tiny
dataset meaningful).

Rows are written with explicit ids through the fastest path of the database: ``COPY`` (psycopg)
on PostgreSQL, ``executemany`` on SQLite; no model ``save()``, no history rows. Every column
without a varying value takes the value Django would give a new instance (defaults, auto dates),
so the rows are exactly what the app would have written. A marker row (a « donneur d'ordre »
named ``MARQUEUR``) records the scale: the next run finds it and skips seeding.
"""

import random
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone
from stdnum import luhn

from entreprises.models import Entreprise
from heures.models import (
    DeclarationMensuelle,
    LigneDeclaration,
    Mission,
    Modalite,
    Participant,
    StatutDeclaration,
    TypeContrat,
)
from heures.services import totaux
from marches.models import Clause, DonneurOrdre, Lot, Marche, NatureMarche
from mife import roles
from mife.core.mois import ajouter_mois, dernier_jour, premier_jour
from mife.models import User

MARQUEUR = "Bench — jeu de données national"
NB_MOIS = 60
#: Password of every bench account (``make load`` logs in with it). A bench database holds
#: no real data; never reuse it elsewhere.
MOT_DE_PASSE = "bench-mot-de-passe-2026"
#: Accounts created for the measures and the load test: role code -> how many.
COMPTES = {
    roles.FACILITATEUR: 20,
    roles.SUIVI: 10,
    roles.ANIMATEUR: 10,
    roles.DIRECTION: 5,
    roles.ADMIN: 5,
}
NOMS = [
    "Martin",
    "Bernard",
    "Thomas",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Dubois",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefèvre",
    "Leroy",
    "Roux",
    "David",
    "Bertrand",
    "Morel",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
    "Müller",
    "Lefebvre",
    "Faure",
    "André",
    "Mercier",
    "Blanc",
    "Guérin",
    "Boyer",
    "Garnier",
    "Chevalier",
    "François",
    "Legrand",
    "Gauthier",
    "Garcia",
    "Perrin",
    "Robin",
    "Clément",
    "Morin",
    "Nicolas",
    "Henry",
    "Roussel",
    "Mathieu",
    "Gautier",
    "Masson",
    "Marchand",
    "Duval",
    "Denis",
    "Dumont",
    "Marie",
    "Lemaire",
    "Noël",
    "Meyer",
    "Dufour",
    "Meunier",
    "Brun",
    "Blanchard",
    "Giraud",
    "Joly",
    "Rivière",
    "Lucas",
    "Brunet",
    "Gaillard",
    "Barbier",
    "Arnaud",
    "Martínez",
    "Gérard",
    "Roche",
    "Renard",
    "Schmitt",
    "Roy",
    "Leroux",
    "Colin",
    "Vidal",
    "Caron",
    "Picard",
    "Roger",
    "Fabre",
    "Aubert",
    "Lemoine",
    "Renaud",
    "Dumas",
    "Lacroix",
    "Olivier",
    "Philippe",
    "Bourgeois",
    "Pierre",
    "Benoît",
    "Rey",
    "Leclerc",
    "Payet",
    "Rolland",
    "Leclercq",
    "Guillaume",
]
PRENOMS = [
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Inès",
    "Sarah",
    "Jade",
    "Louise",
    "Emma",
    "Zoé",
    "Lucas",
    "Hugo",
    "Léo",
    "Nathan",
    "Enzo",
    "Louis",
    "Gabriel",
    "Arthur",
    "Jules",
    "Adam",
    "Mohamed",
    "Yanis",
    "Noah",
    "Rayan",
    "Éloïse",
    "Anaïs",
    "Océane",
    "Maël",
    "Théo",
    "Kévin",
]


@dataclass(frozen=True)
class Echelle:
    """Counts of the dataset at ``facteur`` × the national volume."""

    facteur: float = 1.0

    def _n(self, base: int, minimum: int) -> int:
        return max(minimum, round(base * self.facteur))

    @property
    def entreprises(self) -> int:
        return self._n(30_000, 20)

    @property
    def lots(self) -> int:
        return self._n(50_000, 60)

    @property
    def participants(self) -> int:
        return self._n(100_000, 60)

    @property
    def missions(self) -> int:
        """At least; more are added until the hour lines reach ``lignes``."""
        return max(self._n(150_000, 100), self.missions_gros_lot + 4 * self.lots_grosse_entreprise)

    @property
    def lignes(self) -> int:
        return self._n(2_000_000, 600)

    @property
    def acheteurs(self) -> int:
        return self._n(2_000, 5)

    @property
    def lots_grosse_entreprise(self) -> int:
        return min(self._n(2_000, 6), self.lots // 3)

    @property
    def missions_gros_lot(self) -> int:
        return self._n(2_000, 10)

    @property
    def lots_suivis(self) -> int:
        return min(self._n(500, 5), self.lots // 3)

    @property
    def facilitateurs(self) -> int:
        return max(COMPTES[roles.FACILITATEUR], self._n(200, 3))

    def resume(self) -> dict:
        return {
            "facteur": self.facteur,
            "entreprises": self.entreprises,
            "lots": self.lots,
            "participants": self.participants,
            "missions": self.missions,
            "lignes_heures_visees": self.lignes,
            "lots_de_la_grosse_entreprise": self.lots_grosse_entreprise,
            "missions_du_gros_lot": self.missions_gros_lot,
            "lots_du_facilitateur_charge": self.lots_suivis,
        }


def echelle_en_place() -> float | None:
    """Scale of the dataset already in the database (``None``: not seeded by the bench)."""
    marqueur = DonneurOrdre.objects.filter(nom=MARQUEUR).values_list("contact_nom", flat=True)
    for texte in marqueur:
        return float(texte.removeprefix("échelle="))
    return None


def base_vide() -> bool:
    return not (Lot.objects.exists() or Entreprise.objects.exists())


# --- fast inserts ------------------------------------------------------------------------------


class _Table:
    """Insert rows into ``model``'s table: only the varying columns are given, the others take
    the value a new instance would get (defaults, ``auto_now``), computed once."""

    def __init__(self, model, **fixes):
        self.model = model
        self.table = model._meta.db_table
        gabarit = model(**fixes)
        self.colonnes = [f.column for f in model._meta.concrete_fields]
        self.valeurs = {}
        for champ in model._meta.concrete_fields:
            if champ.primary_key:
                continue
            valeur = champ.pre_save(gabarit, add=True)
            self.valeurs[champ.column] = champ.get_db_prep_save(valeur, connection)
        self.prochain_id = (
            model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        ) + 1

    def inserer(self, variables: tuple[str, ...], lignes: Iterable[tuple]) -> int:
        """``lignes``: tuples of the ``variables`` columns (``id`` first). Returns the count."""
        positions = [variables.index(c) if c in variables else None for c in self.colonnes]
        fixes = [self.valeurs.get(c) for c in self.colonnes]

        def completes():
            for ligne in lignes:
                yield tuple(
                    fixe if pos is None else ligne[pos]
                    for pos, fixe in zip(positions, fixes, strict=True)
                )

        noms = ", ".join(connection.ops.quote_name(c) for c in self.colonnes)
        nombre = 0
        with connection.cursor() as curseur:
            if connection.vendor == "postgresql":
                with curseur.cursor.copy(f"COPY {self.table} ({noms}) FROM STDIN") as copie:
                    for ligne in completes():
                        copie.write_row(ligne)
                        nombre += 1
            else:
                marques = ", ".join(["%s"] * len(self.colonnes))
                sql = f"INSERT INTO {self.table} ({noms}) VALUES ({marques})"
                paquet = []
                for ligne in completes():
                    paquet.append(ligne)
                    if len(paquet) == 20_000:
                        curseur.executemany(sql, paquet)
                        nombre += len(paquet)
                        paquet = []
                if paquet:
                    curseur.executemany(sql, paquet)
                    nombre += len(paquet)
        return nombre


def _siret(n: int) -> str:
    base = f"{n:013d}"
    return base + luhn.calc_check_digit(base)


# --- the dataset -------------------------------------------------------------------------------


def remplir(echelle: Echelle, journal=print) -> dict:
    """Seed an empty database at ``echelle``; returns the row counts written."""
    debut = time.perf_counter()
    with transaction.atomic():
        comptes = _remplir(echelle, journal)
    if connection.vendor == "postgresql":
        with connection.cursor() as curseur:
            for sql in connection.ops.sequence_reset_sql(
                no_style(),
                [Entreprise, DonneurOrdre, Marche, Lot, Clause, Participant, Mission,
                 DeclarationMensuelle, LigneDeclaration],
            ):  # fmt: skip
                curseur.execute(sql)
    # Lines were written by COPY / bulk_create: no signal kept the maintained totals.
    with transaction.atomic():
        totaux.reconstruire()
    analyser()
    comptes["duree_s"] = round(time.perf_counter() - debut, 1)
    journal(f"Jeu de données écrit et analysé en {comptes['duree_s']} s : {comptes}")
    return comptes


def analyser() -> None:
    """Refresh the planner statistics (without them PostgreSQL plans as if tables were empty)
    and, on PostgreSQL, the visibility map (``VACUUM``): rows written by ``COPY`` are not yet
    marked all-visible, so every index-only scan (counts, keys of a deep page) would still read
    the table; autovacuum does the same on a database in service. ``VACUUM`` cannot run in a
    transaction (the bench's own tests run in one): ``ANALYZE`` alone there."""
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as curseur:
        curseur.execute("VACUUM (ANALYZE)" if vacuum else "ANALYZE")


def _comptes_bench(facilitateurs: int) -> dict[str, list[User]]:
    mot_de_passe = make_password(MOT_DE_PASSE)  # hashed once: the same for every account
    resultat = {}
    for code, nombre in COMPTES.items():
        if code == roles.FACILITATEUR:
            nombre = facilitateurs
        groupe = Group.objects.get(name=roles.ROLES_PAR_CODE[code].groupe)
        users = User.objects.bulk_create(
            User(
                username=f"bench-{code}-{i:03d}",
                first_name=roles.ROLES_PAR_CODE[code].groupe,
                last_name=f"n° {i}",
                password=mot_de_passe,
            )
            for i in range(nombre)
        )
        groupe.user_set.add(*users)
        resultat[code] = users
    return resultat


def _remplir(e: Echelle, journal) -> dict:
    hasard = random.Random(2026)
    maintenant = timezone.now()
    fin = ajouter_mois(premier_jour(timezone.localdate()), -1)
    mois = [ajouter_mois(fin, i - NB_MOIS + 1) for i in range(NB_MOIS)]  # oldest first
    dernier = NB_MOIS - 1

    comptes_bench = _comptes_bench(e.facilitateurs)
    facilitateurs = [u.pk for u in comptes_bench[roles.FACILITATEUR]]
    DonneurOrdre.objects.create(nom=MARQUEUR, contact_nom=f"échelle={e.facteur}")

    t = _Table(DonneurOrdre)
    a0 = t.prochain_id
    t.inserer(("id", "nom"), ((a0 + i, f"Acheteur public {i}") for i in range(e.acheteurs)))

    t = _Table(Entreprise)
    e0 = t.prochain_id
    t.inserer(
        ("id", "identifiant", "raison_sociale", "commune"),
        (
            (e0 + i, _siret(10_000_000 + i), f"{NOMS[i % len(NOMS)]} BTP {i}", "Belfort")
            for i in range(e.entreprises)
        ),
    )
    journal(f"… {e.entreprises} entreprises")

    nb_marches = (e.lots + 1) // 2
    t = _Table(Marche, nature=NatureMarche.TRAVAUX)
    m0 = t.prochain_id
    t.inserer(
        ("id", "donneur_ordre_id", "reference", "objet", "date_notification"),
        (
            (
                m0 + i,
                a0 + i % e.acheteurs,
                f"B-{i:06d}",
                f"Travaux de {('voirie', 'réhabilitation', 'construction')[i % 3]} n° {i}",
                mois[hasard.randrange(0, NB_MOIS - 6)],
            )
            for i in range(nb_marches)
        ),
    )

    # Lots: [0, gros) belong to the big company and run past the last month; the facilitator
    # n° 0 follows [gros, gros + suivis); the others are spread over the other facilitators.
    gros, suivis = e.lots_grosse_entreprise, e.lots_suivis
    periodes, titulaires = [], []
    for i in range(e.lots):
        if i < gros:
            a, b = hasard.randrange(0, NB_MOIS // 2), dernier + 12
            titulaires.append(e0)
        else:
            a = hasard.randrange(0, NB_MOIS - 6)
            b = a + hasard.randrange(6, 37)
            titulaires.append(e0 + 1 + int((e.entreprises - 1) * hasard.random() ** 2.5))
        periodes.append((a, b))
    t = _Table(Lot)
    l0 = t.prochain_id

    def fac(i):
        if gros <= i < gros + suivis:
            return facilitateurs[0]
        return facilitateurs[1 + i % (len(facilitateurs) - 1)]

    t.inserer(
        ("id", "marche_id", "numero", "intitule", "date_debut", "date_fin", "titulaire_id",
         "facilitateur_id"),
        (
            (
                l0 + i, m0 + i // 2, str(i % 2 + 1), f"Lot {i % 2 + 1} — gros œuvre {i}",
                mois[a], dernier_jour(ajouter_mois(fin, b - dernier)), titulaires[i], fac(i),
            )
            for i, (a, b) in enumerate(periodes)
        ),
    )  # fmt: skip
    t = _Table(Clause)
    c0 = t.prochain_id
    t.inserer(
        ("id", "lot_id", "heures_requises"),
        ((c0 + i, l0 + i, Decimal(hasard.randrange(200, 5000))) for i in range(e.lots)),
    )
    journal(f"… {nb_marches} marchés, {e.lots} lots et leurs clauses")

    t = _Table(Participant, sexe="F")
    p0 = t.prochain_id
    t.inserer(
        ("id", "nom", "prenom", "sexe", "date_naissance"),
        (
            (
                p0 + i,
                NOMS[hasard.randrange(len(NOMS))],
                PRENOMS[i % len(PRENOMS)],
                "F" if i % 2 else "M",
                date(1966 + i % 40, 1 + i % 12, 1 + i % 28),
            )
            for i in range(e.participants)
        ),
    )
    journal(f"… {e.participants} participants")

    # Missions: (lot index, first month, last month or None = ongoing). The big lot (n° 0) and
    # the big company's other lots (4 missions each) are ongoing: the big company's template of
    # the last month lists them all (the workbook import measure), and they stop declaring the
    # month before.
    missions = []
    for _ in range(e.missions_gros_lot):
        missions.append((0, hasard.randrange(periodes[0][0], dernier), None))
    for i in range(1, gros):
        for _ in range(4):
            missions.append((i, hasard.randrange(periodes[i][0], dernier), None))
    # The other missions, spread over the other lots, until both the mission count and the
    # hour-line count are reached (one line per mission and month).
    autres = range(gros, e.lots)
    lignes = sum(dernier - a for _i, a, _b in missions)
    while len(missions) < e.missions or lignes < e.lignes:
        i = autres[hasard.randrange(len(autres))]
        a, b = periodes[i]
        debut_m = hasard.randrange(a, min(b, dernier) + 1)
        fin_m = min(debut_m + hasard.randrange(2, 24), b, dernier)
        missions.append((i, debut_m, fin_m))
        lignes += fin_m - debut_m + 1
    t = _Table(Mission, modalite=Modalite.EMBAUCHE_CDD, type_contrat=TypeContrat.CDD)
    mi0 = t.prochain_id
    t.inserer(
        ("id", "reference", "participant_id", "lot_id", "employeur_id", "date_debut", "date_fin"),
        (
            (
                mi0 + k, f"BM-{k:07d}", p0 + k % e.participants, l0 + i, titulaires[i], mois[a],
                None if b is None else dernier_jour(mois[b]),
            )
            for k, (i, a, b) in enumerate(missions)
        ),
    )  # fmt: skip
    journal(f"… {len(missions)} missions")

    # Hour lines: one per mission and month, until the target count is reached.
    par_mission = []
    total = 0
    for k, (i, a, b) in enumerate(missions):
        dernier_mois = dernier - 1 if b is None else b
        n = max(0, min(dernier_mois - a + 1, e.lignes - total))
        par_mission.append((k, i, a, n))
        total += n
    declarations: dict[tuple[int, int], int] = {}
    for _k, i, a, n in par_mission:
        for m in range(a, a + n):
            declarations.setdefault((i, m), 0)
    t = _Table(DeclarationMensuelle, statut=StatutDeclaration.VALIDEE)
    d0 = t.prochain_id
    for rang, cle in enumerate(sorted(declarations)):
        declarations[cle] = d0 + rang

    def statut(i, m):  # the last month is being checked: half submitted, half validated
        soumise = m == dernier and i % 2 == 0
        return StatutDeclaration.SOUMISE if soumise else StatutDeclaration.VALIDEE

    t.inserer(
        ("id", "entreprise_id", "lot_id", "mois", "statut", "soumise_le", "traitee_le"),
        (
            (
                pk, titulaires[i], l0 + i, mois[m], statut(i, m), maintenant,
                None if statut(i, m) == StatutDeclaration.SOUMISE else maintenant,
            )
            for (i, m), pk in declarations.items()
        ),
    )  # fmt: skip
    journal(f"… {len(declarations)} déclarations mensuelles")
    heures = [Decimal(h) for h in range(0, 152)]
    t = _Table(LigneDeclaration)
    li0 = t.prochain_id
    rang = iter(range(li0, li0 + total))
    nb_lignes = t.inserer(
        ("id", "declaration_id", "mission_id", "heures"),
        (
            (next(rang), declarations[(i, m)], mi0 + k, heures[hasard.randrange(7, 152)])
            for k, i, a, n in par_mission
            for m in range(a, a + n)
        ),
    )
    journal(f"… {nb_lignes} lignes d'heures")
    return {
        "entreprises": e.entreprises,
        "lots": e.lots,
        "participants": e.participants,
        "missions": len(missions),
        "declarations": len(declarations),
        "lignes": nb_lignes,
    }
