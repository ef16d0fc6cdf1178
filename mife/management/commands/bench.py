"""Measure the pages and exports that must stay fast at a national operator's scale.

Seeds a large dataset (bulk inserts) into a *dedicated* database, then times each page or
export next to its raw reference: the bare SQL query over the same rows, so the overhead of
the app (ORM, templates, Excel) is visible. Run it with ``make bench``. No assertion: numbers
are printed, to be compared between commits on the same machine.
"""

import random
import time
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
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
from mife.core.mois import ajouter_mois
from mife.models import User


def _siret(n: int) -> str:
    base = f"{n:013d}"
    return base + luhn.calc_check_digit(base)


class Command(BaseCommand):
    help = "Jeu de données volumineux et mesures des listes et exports (base dédiée)."

    def add_arguments(self, parser):
        parser.add_argument("--lots", type=int, default=5000)
        parser.add_argument("--participants", type=int, default=20000)
        parser.add_argument("--mois", type=int, default=12)

    def handle(self, *args, **options):
        nom = str(settings.DATABASES["default"]["NAME"])
        if "bench" not in nom:
            raise CommandError(
                f"Base « {nom} » refusée : la mesure remplit la base, utilisez une base dédiée "
                "dont le nom contient « bench » (make bench le fait)."
            )
        if not Lot.objects.exists():
            self._remplir(options["lots"], options["participants"], options["mois"])
        self._mesurer()

    # --- data ------------------------------------------------------------------------------
    @transaction.atomic
    def _remplir(self, nb_lots: int, nb_participants: int, nb_mois: int):
        debut = time.perf_counter()
        hasard = random.Random(2026)
        acheteurs = DonneurOrdre.objects.bulk_create(
            DonneurOrdre(nom=f"Acheteur {i}") for i in range(200)
        )
        entreprises = Entreprise.objects.bulk_create(
            Entreprise(identifiant=_siret(10_000_000 + i), raison_sociale=f"Entreprise {i}")
            for i in range(max(nb_lots // 3, 50))
        )
        marches = Marche.objects.bulk_create(
            Marche(
                donneur_ordre=acheteurs[i % len(acheteurs)],
                reference=f"B-{i:06d}",
                objet=f"Travaux {i}",
                nature=NatureMarche.TRAVAUX,
                date_notification=date(2025, 1, 1),
            )
            for i in range(nb_lots)
        )
        ouverture = date(2025, 2, 1)
        lots = Lot.objects.bulk_create(
            Lot(
                marche=m,
                numero="1",
                intitule=f"Lot {i}",
                date_debut=ouverture,
                date_fin=ouverture + timedelta(days=730),
                titulaire=entreprises[i % len(entreprises)],
            )
            for i, m in enumerate(marches)
        )
        Clause.objects.bulk_create(
            Clause(lot=lot, heures_requises=Decimal(hasard.randint(200, 3000))) for lot in lots
        )
        participants = Participant.objects.bulk_create(
            Participant(
                nom=f"Nom{i}",
                prenom=f"Prénom{i}",
                sexe="F" if i % 2 else "M",
                date_naissance=date(1970 + i % 35, 1 + i % 12, 1 + i % 28),
            )
            for i in range(nb_participants)
        )
        missions = Mission.objects.bulk_create(
            Mission(
                reference=f"MB-{i:07d}",
                participant=participants[i % len(participants)],
                lot=lots[i % len(lots)],
                employeur=lots[i % len(lots)].titulaire,
                modalite=Modalite.EMBAUCHE_CDD,
                type_contrat=TypeContrat.CDD,
                date_debut=ouverture,
            )
            for i in range(nb_participants)
        )
        for m in range(nb_mois):
            mois = ajouter_mois(date(2025, 2, 1), m)
            declarations = DeclarationMensuelle.objects.bulk_create(
                DeclarationMensuelle(
                    entreprise=lot.titulaire, lot=lot, mois=mois, statut=StatutDeclaration.VALIDEE
                )
                for lot in lots
            )
            par_lot = {d.lot_id: d for d in declarations}
            LigneDeclaration.objects.bulk_create(
                (
                    LigneDeclaration(
                        declaration=par_lot[mission.lot_id],
                        mission=mission,
                        heures=Decimal(hasard.randint(10, 150)),
                    )
                    for mission in missions
                ),
                batch_size=5000,
            )
        totaux.reconstruire()  # bulk-created lines: rebuild the maintained totals
        self.stdout.write(
            f"Jeu de données : {nb_lots} lots, {len(entreprises)} entreprises, "
            f"{nb_participants} participants et missions, {nb_mois * nb_participants} lignes "
            f"d'heures — {time.perf_counter() - debut:.1f} s"
        )

    # --- measures --------------------------------------------------------------------------
    def _chrono(self, libelle: str, appel, reference_sql: str):
        with connection.cursor() as curseur:
            debut = time.perf_counter()
            curseur.execute(reference_sql)
            curseur.fetchall()
            brut = time.perf_counter() - debut
        with CaptureQueriesContext(connection) as requetes:
            debut = time.perf_counter()
            reponse = appel()
            duree = time.perf_counter() - debut
        taille = (
            len(reponse.content)
            if hasattr(reponse, "content")
            else len(b"".join(reponse.streaming_content))
        )
        self.stdout.write(
            f"{libelle:<46} {duree * 1000:8.0f} ms  ({len(requetes)} requêtes, "
            f"{taille // 1024} Kio)   référence SQL brute : {brut * 1000:7.0f} ms"
        )

    def _mesurer(self):
        user, _ = User.objects.get_or_create(username="bench-facilitateur")
        user.groups.add(Group.objects.get(name=roles.ROLES_PAR_CODE[roles.FACILITATEUR].groupe))
        client = Client()
        client.force_login(user)
        somme_lots = (
            "SELECT d.lot_id, SUM(l.heures) FROM heures_lignedeclaration l "
            "JOIN heures_declarationmensuelle d ON d.id = l.declaration_id "
            "WHERE d.statut = 'validee' GROUP BY d.lot_id"
        )
        client.get("/")  # warm-up: templates and URL resolver loaded once
        self.stdout.write(f"Mesures ({connection.vendor}) :")
        self._chrono(
            "Liste des lots (page 1, heures réalisées)",
            lambda: client.get("/marches/lots/"),
            somme_lots + " LIMIT 25",
        )
        self._chrono(
            "Lots en retard", lambda: client.get("/marches/lots/?statut=en_retard"), somme_lots
        )
        self._chrono(
            "Liste des lots, dernière page",
            lambda: client.get("/marches/lots/?page=last"),
            somme_lots + " LIMIT 25",
        )
        self._chrono(
            "Export Excel de tous les lots",
            lambda: client.get("/marches/lots/?export=xlsx"),
            somme_lots,
        )
        self._chrono(
            "Liste des participants",
            lambda: client.get("/heures/participants/"),
            "SELECT * FROM heures_participant ORDER BY nom LIMIT 25",
        )
        self._chrono(
            "Liste des déclarations",
            lambda: client.get("/heures/declarations/"),
            "SELECT * FROM heures_declarationmensuelle ORDER BY mois DESC LIMIT 25",
        )
        self._chrono(
            "Accueil facilitateur",
            lambda: client.get("/"),
            somme_lots,
        )
