"""Supprime les entrées du journal des accès plus anciennes que la durée de conservation.

La durée est ``JOURNAL_CONSERVATION_MOIS`` (12 mois par défaut, variable d'environnement).
Oublie aussi les sessions fermées ou expirées de « Mes sessions ». À planifier chaque nuit ;
``anonymiser_participants`` la lance aussi, à la fin de son passage.
"""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from journal import services, sessions


class Command(BaseCommand):
    help = (
        "Supprime les entrées du journal des accès et de la sécurité plus anciennes que "
        "JOURNAL_CONSERVATION_MOIS mois. --dry-run : compte sans rien supprimer."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Compter seulement : rien n'est supprimé."
        )

    def handle(self, *args, dry_run: bool = False, **options):
        mois = settings.JOURNAL_CONSERVATION_MOIS
        limite = services.date_limite(mois=mois)
        self.stdout.write(
            f"Journal des accès : conservation de {mois} mois (avant le "
            f"{timezone.localtime(limite):%d/%m/%Y})."
        )
        if dry_run:
            nombre = services.a_purger(mois=mois).count()
            self.stdout.write(f"Entrées du journal à supprimer : {nombre}")
            self.stdout.write("Simulation (--dry-run) : rien n'a été supprimé.")
            return
        nombre = services.purger(mois=mois)
        oubliees = sessions.purger_expirees()
        self.stdout.write(f"Entrées du journal supprimées : {nombre}")
        self.stdout.write(f"Sessions expirées oubliées : {oubliees}")
        self.stdout.write(self.style.SUCCESS("Purge du journal terminée."))
