"""Efface les fichiers déposés pour un import (DECP, heures par Excel) jamais confirmés.

Un fichier attend la confirmation de son aperçu au plus ``TELEVERSEMENTS_DUREE_ATTENTE``
(24 h par défaut, variable d'environnement ``TELEVERSEMENTS_DUREE_HEURES``) ; au-delà, il ne
peut plus être confirmé (``mife.core.televersement``). Chaque nouveau dépôt purge déjà les
anciens ; la commande, à planifier une fois par jour, s'en charge quand personne ne dépose.
"""

from django.conf import settings
from django.core.management.base import BaseCommand

from mife.core import formats
from mife.core.televersement import purger


class Command(BaseCommand):
    help = (
        "Efface les fichiers déposés pour un import et jamais confirmés, plus vieux que "
        "TELEVERSEMENTS_DUREE_ATTENTE (24 h par défaut). --dry-run : les liste sans rien effacer."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Lister seulement : rien n'est effacé.",
        )

    def handle(self, *args, dry_run: bool = False, **options):
        anciens = purger(dry_run=dry_run)
        heures = settings.TELEVERSEMENTS_DUREE_ATTENTE.total_seconds() / 3600
        for chemin in anciens:
            self.stdout.write(f"  {chemin}")
        verbe = "à effacer" if dry_run else "effacés"
        self.stdout.write(
            f"Fichiers déposés depuis plus de {formats.nombre(heures)} h et jamais confirmés "
            f"{verbe} : {len(anciens)}"
        )
        if dry_run:
            self.stdout.write("Simulation (--dry-run) : rien n'a été effacé.")
