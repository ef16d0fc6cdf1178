"""Check the maintained totals of hours against the definition; rebuild them with --corriger."""

from django.core.management.base import BaseCommand, CommandError

from heures.services import totaux


class Command(BaseCommand):
    help = (
        "Totaux d'heures maintenus (par lot × entreprise × mois, par lot, par déclaration) : "
        "les compare aux heures validées recalculées depuis les lignes (heures/selectors.py) et "
        "liste les différences ; sort en erreur (code 1) s'il y en a. --corriger les réécrit "
        "toutes depuis les lignes."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--corriger",
            action="store_true",
            help="réécrire tous les totaux depuis les lignes (après un chargement en masse)",
        )

    def handle(self, *args, **options):
        differences = totaux.comparer()
        for difference in differences[:200]:
            self.stdout.write(f"  ✗ {difference}")
        if len(differences) > 200:
            self.stdout.write(f"  … et {len(differences) - 200} autres.")
        if options["corriger"]:
            totaux.reconstruire()
            restantes = totaux.comparer()
            if restantes:
                raise CommandError(
                    f"{len(restantes)} différence(s) après reconstruction.", returncode=1
                )
            self.stdout.write(
                self.style.SUCCESS(
                    f"Totaux reconstruits depuis les lignes ({len(differences)} différence(s) "
                    "corrigée(s))."
                )
            )
            return
        if differences:
            raise CommandError(
                f"{len(differences)} total(s) maintenu(s) différent(s) des heures validées : "
                "python manage.py totaux_heures --corriger les réécrit.",
                returncode=1,
            )
        self.stdout.write(self.style.SUCCESS("Totaux maintenus conformes aux heures validées."))
