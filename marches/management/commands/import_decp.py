"""Importe un fichier de données essentielles de la commande publique (DECP).

Un fichier illisible (pas du JSON, pas de liste de marchés) est refusé en entier. Sinon, tous
les enregistrements utilisables sont importés (marchés « à qualifier ») et les défectueux sont
écartés dans un rapport gardé en base (page « Rapports d'import », export Excel). Voir
``marches.decp`` pour les règles.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from marches import decp


def ecrire_rapport(commande, rapport, verbosite: int) -> None:
    """The summary, the set-aside records and the warnings grouped by kind (also used by
    ``veille_decp``)."""
    for ligne in rapport.resume():
        commande.stdout.write(ligne)
    if rapport.ecartes and verbosite > 1:
        for message in rapport.ecartes:
            commande.stdout.write(f"  écarté — {message}")
    if verbosite > 1:
        for message in rapport.ignores:
            commande.stdout.write(f"  ignoré — {message}")
    for message in rapport.conflits[:20]:
        commande.stdout.write(f"  conflit — {message}")
    groupes = rapport.avertissements_groupes()
    if groupes:
        commande.stdout.write(
            commande.style.WARNING(f"Avertissements ({len(rapport.avertissements)}, par sorte) :")
        )
        for groupe in groupes:
            champ = f"« {groupe['champ']} » " if groupe["champ"] else ""
            commande.stdout.write(f"  - {groupe['nombre']} × {champ}{groupe['genre']}")
            for exemple in groupe["exemples"][: 3 if verbosite > 1 else 1]:
                commande.stdout.write(f"      ex. : {exemple}")


class Command(BaseCommand):
    help = (
        "Importe les marchés d'un fichier DECP (schéma 1.x ou 2.0) : donneurs d'ordre, marchés "
        "à qualifier et titulaires. Les enregistrements défectueux sont écartés dans un "
        "rapport ; un fichier illisible est refusé en entier."
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
            origine=f"commande import_decp : {chemin.name}",
        )
        if rapport.erreurs:
            lignes = [f"  - {erreur}" for erreur in rapport.erreurs]
            raise CommandError("Fichier refusé, rien n'a été enregistré :\n" + "\n".join(lignes))
        ecrire_rapport(self, rapport, options["verbosity"])
        if rapport.simulation:
            self.stdout.write(
                self.style.WARNING("Simulation (--dry-run) : rien n'a été enregistré.")
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(f"Import terminé (rapport n° {rapport.rapport_id}).")
            )
