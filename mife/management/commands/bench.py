"""``make bench``: seed (once) a national-scale dataset in a dedicated database and measure.

Creates the PostgreSQL database when it is missing, migrates it, seeds it unless the bench
marker is already there (``mife.bench.donnees``), runs ``ANALYZE``, then every measure of
``mife.bench.mesures``; writes ``bench/results.json`` and prints a table. Refuses a database
whose name does not contain « bench » (seeding fills it) and ``DEBUG`` (numbers would be
meaningless: query logging, no template cache). How to read the figures: ``bench/README.md``.
"""

import json
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError, connection

from mife.bench import donnees, mesures


def base_acceptee(nom: str) -> bool:
    return "bench" in nom


def creer_base_si_absente() -> bool:
    """Create the PostgreSQL database of ``DATABASES['default']`` if missing (True if made)."""
    if connection.vendor != "postgresql":
        return False
    try:
        connection.ensure_connection()
        return False
    except OperationalError as erreur:
        if "does not exist" not in str(erreur):
            raise
    import psycopg

    reglages = settings.DATABASES["default"]
    parametres = {
        "dbname": "postgres",
        "user": reglages.get("USER") or None,
        "password": reglages.get("PASSWORD") or None,
        "host": reglages.get("HOST") or None,
        "port": reglages.get("PORT") or None,
    }
    with psycopg.connect(**{k: v for k, v in parametres.items() if v}, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{reglages["NAME"]}"')
    return True


class Command(BaseCommand):
    help = "Jeu de données national (une fois) et mesures des pages, PDF, exports et imports."

    def add_arguments(self, parser):
        parser.add_argument(
            "--echelle", type=float, default=1.0, help="multiplie les volumes (1 = national)"
        )
        parser.add_argument("--repetitions", type=int, default=20, help="passages par page")
        parser.add_argument(
            "--attestations", type=int, default=300, help="taille du lot d'attestations mesuré"
        )
        parser.add_argument(
            "--sortie", default=str(Path(settings.BASE_DIR) / "bench" / "results.json")
        )
        parser.add_argument(
            "--decp",
            default=str(mesures.DECP_NATIONAL),
            help="fichier DECP dont l'import est mesuré",
        )
        parser.add_argument(
            "--remplir-seulement", action="store_true", help="prépare la base sans mesurer"
        )

    def handle(self, *args, **options):
        nom = str(settings.DATABASES["default"]["NAME"])
        if not base_acceptee(nom):
            raise CommandError(
                f"Base « {nom} » refusée : la mesure remplit la base, utilisez une base dédiée "
                "dont le nom contient « bench » (make bench le fait)."
            )
        if settings.DEBUG:
            raise CommandError(
                "DEBUG est activé : les mesures seraient faussées (journal des requêtes, "
                "gabarits relus). Lancez avec DEBUG=0 (make bench le fait)."
            )
        if creer_base_si_absente():
            self.stdout.write(f"Base « {nom} » créée.")
        call_command("migrate", interactive=False, verbosity=0)
        echelle = options["echelle"]
        en_place = donnees.echelle_en_place()
        if en_place is None:
            if not donnees.base_vide():
                raise CommandError(
                    f"La base « {nom} » contient déjà des données qui ne viennent pas du bench : "
                    "videz-la ou choisissez une autre base."
                )
            self.stdout.write(f"Remplissage à l'échelle {echelle}…")
            donnees.remplir(donnees.Echelle(echelle), journal=self.stdout.write)
        elif en_place != echelle:
            raise CommandError(
                f"La base « {nom} » est remplie à l'échelle {en_place}, pas {echelle} : "
                "supprimez-la (dropdb) ou relancez avec --echelle "
                f"{en_place}."
            )
        else:
            self.stdout.write(f"Base déjà remplie à l'échelle {en_place} : remplissage sauté.")
            donnees.analyser()
        if options["remplir_seulement"]:
            return
        resultats = mesures.executer(
            echelle,
            options["repetitions"],
            options["attestations"],
            journal=self.stdout.write,
            fichier_decp=Path(options["decp"]),
        )
        sortie = Path(options["sortie"])
        sortie.parent.mkdir(parents=True, exist_ok=True)
        sortie.write_text(json.dumps(resultats, ensure_ascii=False, indent=2) + "\n")
        self.stdout.write(mesures.tableau(resultats))
        self.stdout.write(f"Résultats écrits dans {sortie}")
