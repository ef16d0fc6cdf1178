"""Send the reminders of a month (for a scheduled task): ``relances --mois 2026-10``."""

from django.core.management.base import BaseCommand, CommandError

from heures.services import relances
from mife.core import formats
from mife.core.mois import lire_mois


class Command(BaseCommand):
    help = (
        "Relance par e-mail les entreprises dont la déclaration d'heures du mois est "
        "non reçue, en brouillon ou rejetée."
    )

    def add_arguments(self, parser):
        parser.add_argument("--mois", required=True, help="Mois au format AAAA-MM.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Compter les relances sans rien envoyer ni enregistrer.",
        )

    def handle(self, *args, mois, dry_run, **options):
        try:
            premier = lire_mois(mois)
        except ValueError as erreur:
            raise CommandError(f"« {mois} » : {erreur}") from None
        bilan = relances.relancer_mois(premier, dry_run=dry_run)
        prefixe = "Simulation (rien n'est envoyé) — " if dry_run else ""
        self.stdout.write(
            f"{prefixe}{formats.mois_fr(premier)} : {bilan.envoyees} envoyée(s), "
            f"{bilan.echecs} échec(s), {bilan.ignorees} ignorée(s)."
        )
