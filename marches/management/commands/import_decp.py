"""Importe un fichier de données essentielles de la commande publique (DECP).

Tout ou rien : à la moindre erreur, la commande s'arrête en la nommant (enregistrement, id,
champ) et n'écrit rien. Voir ``marches.decp`` pour les règles de correspondance.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from marches import decp


class Command(BaseCommand):
    help = (
        "Importe les marchés d'un fichier DECP (schéma 1.x ou 2.0) : donneurs d'ordre, marchés, "
        "lot 1 et titulaires. Rien n'est écrit si le fichier contient une erreur."
    )

    def add_arguments(self, parser):
        parser.add_argument("fichier", help="fichier JSON des données essentielles")
        parser.add_argument(
            "--departement",
            help="ne garder que les marchés exécutés dans ce département (ex. : 90)",
        )
        parser.add_argument("--acheteur", help="ne garder que les marchés de cet acheteur (SIRET)")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="simuler l'import (comptes exacts) sans rien enregistrer",
        )

    def handle(self, *args, **options):
        chemin = Path(options["fichier"])
        try:
            contenu = chemin.read_bytes()
        except FileNotFoundError:
            raise CommandError(f"Fichier introuvable : {chemin}.") from None
        except OSError:
            raise CommandError(f"Impossible de lire le fichier {chemin}.") from None
        rapport = decp.importer(
            contenu,
            options["departement"],
            options["acheteur"],
            dry_run=options["dry_run"],
        )
        if rapport.erreurs:
            lignes = [f"  - {erreur}" for erreur in rapport.erreurs]
            raise CommandError(
                f"Import refusé : {len(rapport.erreurs)} erreur(s), rien n'a été enregistré.\n"
                + "\n".join(lignes)
            )
        for ligne in rapport.resume():
            self.stdout.write(ligne)
        if options["verbosity"] > 1:
            for message in rapport.ignores:
                self.stdout.write(f"  ignoré — {message}")
        if rapport.avertissements:
            self.stdout.write(
                self.style.WARNING(f"Avertissements ({len(rapport.avertissements)}) :")
            )
            for message in rapport.avertissements:
                self.stdout.write(f"  - {message}")
        if rapport.simulation:
            self.stdout.write(
                self.style.WARNING("Simulation (--dry-run) : rien n'a été enregistré.")
            )
        else:
            self.stdout.write(self.style.SUCCESS("Import terminé."))
