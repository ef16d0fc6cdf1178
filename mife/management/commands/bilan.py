"""``python manage.py bilan --annee 2026 --format pdf|xlsx [--donneur-ordre ID] --out FILE``:
the annual bilan (all buyers, or one buyer's contracts), the same as from the browser."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from marches.models import DonneurOrdre
from mife import bilan
from mife.forms import annees_des_donnees


class Command(BaseCommand):
    help = "Écrit le bilan annuel (PDF ou classeur Excel), tous donneurs d'ordre ou un seul."

    def add_arguments(self, parser):
        parser.add_argument("--annee", type=int, required=True, help="année du bilan")
        parser.add_argument("--format", choices=["pdf", "xlsx"], default="pdf")
        parser.add_argument("--donneur-ordre", type=int, help="identifiant du donneur d'ordre")
        parser.add_argument("--out", required=True, help="fichier à écrire")

    def handle(self, *args, annee, format, donneur_ordre, out, **options):
        premiere, derniere = annees_des_donnees()
        if not premiere <= annee <= derniere:
            raise CommandError(
                f"Année {annee} hors des données : choisissez une année de {premiere} à {derniere}."
            )
        acheteur = None
        if donneur_ordre is not None:
            acheteur = DonneurOrdre.objects.filter(pk=donneur_ordre).first()
            if acheteur is None:
                raise CommandError(
                    f"Donneur d'ordre inconnu : aucun n'a l'identifiant {donneur_ordre}."
                )
        contenu = (bilan.pdf if format == "pdf" else bilan.classeur)(annee, acheteur)
        chemin = Path(out)
        chemin.write_bytes(contenu)
        perimetre = f" de {acheteur.nom}" if acheteur else ""
        self.stdout.write(f"Bilan {annee}{perimetre} écrit dans {chemin} ({len(contenu)} octets).")
