"""Veille DECP : récupère les derniers marchés publiés et les importe (marchés « à qualifier »).

``--source URL|FICHIER`` : une source donnée ; sans ``--source`` : les sources de veille dues
(réglées dans l'administration). ``--planifier`` : programme le passage périodique du worker.
"""

from django.core.management.base import BaseCommand, CommandError

from marches import veille
from marches.management.commands.import_decp import ecrire_rapport


class Command(BaseCommand):
    help = (
        "Récupère un fichier DECP (URL ou fichier) ou les sources de veille dues, importe les "
        "marchés publiés et signale les nouveaux marchés à qualifier."
    )

    def add_arguments(self, parser):
        parser.add_argument("--source", help="adresse (http, https) ou chemin d'un fichier DECP")
        parser.add_argument("--departement", help="ne garder que ce département (ex. : 90)")
        parser.add_argument("--acheteur", help="ne garder que cet acheteur (SIRET)")
        parser.add_argument(
            "--planifier",
            action="store_true",
            help="programmer le passage périodique de la veille par le worker",
        )

    def handle(self, *args, **options):
        if options["planifier"]:
            from marches.tasks import planifier_veille

            if planifier_veille():
                self.stdout.write(self.style.SUCCESS("Veille périodique programmée."))
            else:
                raise CommandError("Le service de tâches configuré ne sait pas différer une tâche.")
            return
        if not options["source"]:
            resultats = veille.executer_dues()
            for source, resultat in resultats:
                self.stdout.write(f"{source} : {resultat}")
            if not resultats:
                self.stdout.write("Aucune source de veille due.")
            return
        try:
            rapport, _ = veille.executer(
                options["source"], options["departement"], options["acheteur"]
            )
        except veille.ErreurVeille as exc:
            raise CommandError(str(exc)) from None
        if rapport.erreurs:
            raise CommandError(
                "Fichier refusé, rien n'a été enregistré :\n"
                + "\n".join(f"  - {e}" for e in rapport.erreurs)
            )
        ecrire_rapport(self, rapport, options["verbosity"])
        nouveaux = len(rapport.marches_touches) and rapport.marches.crees
        self.stdout.write(
            self.style.SUCCESS(f"Veille terminée : {nouveaux} nouveau(x) marché(s) importé(s).")
        )
