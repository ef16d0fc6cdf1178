"""Recompute every attestation and every total from the validated lines; list the differences."""

from django.core.management.base import BaseCommand, CommandError

from heures.services import coherence
from mife.core.champs import lire_mois


class Command(BaseCommand):
    help = (
        "Contrôle des chiffres : recalcule les chiffres de chaque attestation en vigueur à partir "
        "des heures validées, vérifie les fichiers du mois et les totaux des lots, entreprises, "
        "mois et années affichés et exportés. Sort en erreur (code 1) au moindre écart : à "
        "planifier."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--mois",
            help="AAAA-MM : seulement les attestations, fichiers et tableau de ce mois (les "
            "totaux des lots, entreprises et années sont toujours vérifiés en entier)",
        )

    def handle(self, *args, **options):
        mois = None
        if options["mois"]:
            try:
                mois = lire_mois(options["mois"])
            except ValueError as erreur:
                raise CommandError(str(erreur)) from None
        controle = coherence.controler(mois)
        for information in controle.informations:
            self.stdout.write(f"  · {information}")
        for ecart in controle.ecarts:
            self.stdout.write(f"  ✗ {ecart}")
        if not controle.ok:
            raise CommandError(controle.resume(), returncode=1)
        self.stdout.write(self.style.SUCCESS(controle.resume()))
