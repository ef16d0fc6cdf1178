"""Anonymise les participants dont la durée de conservation est dépassée.

Règle (``heures.services.participants.participants_a_anonymiser``, détaillée dans
docs/donnees-personnelles.md) : la durée est ``Paramètres.duree_conservation_annees``
(5 ans par défaut) après la fin de la dernière mission ; sans mission, après la dernière
modification de la fiche. L'identité est remplacée par un pseudonyme stable, dans
l'historique aussi ; sexe, année de naissance, commune, QPV, critères, missions et heures
restent, pour que les statistiques passées ne changent pas. Les textes libres rattachés
(postes et motifs de dérogation des missions, commentaires des lignes d'heures et des
propositions) sont remplacés par un texte neutre et le journal d'administration ne nomme
plus la personne. Les participants supprimés auparavant dont l'historique gardait l'identité
sont nettoyés de la même façon. Enfin, la commande purge le journal des accès
(``purger_journaux``). Relancer la commande ne change rien de plus. À planifier une fois par
jour (cron, tâche planifiée).
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from heures.services import participants as services
from mife.core.models import Parametres


class Command(BaseCommand):
    help = (
        "Anonymise les participants dont la durée de conservation (Paramètres) est dépassée. "
        "--dry-run : affiche ce qui serait fait, sans rien modifier."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Compter seulement : rien n'est modifié.",
        )

    def handle(self, *args, dry_run: bool = False, **options):
        annees = Parametres.get().duree_conservation_annees
        candidats = services.participants_a_anonymiser(annees=annees)
        rapport = services.anonymiser(candidats.iterator(chunk_size=500), dry_run=dry_run)
        services.nettoyer_participants_supprimes(rapport, dry_run=dry_run)
        verbe = "seraient anonymisés" if dry_run else "anonymisés"
        self.stdout.write(
            f"Durée de conservation : {annees} an{'s' if annees > 1 else ''} après la fin de "
            "la dernière mission."
        )
        self.stdout.write(f"Participants {verbe} : {rapport.participants}")
        self.stdout.write(
            f"Lignes d'historique des participants {'à nettoyer' if dry_run else 'nettoyées'} : "
            f"{rapport.historique_participants}"
        )
        self.stdout.write(
            f"Justifications de critères {'à effacer' if dry_run else 'effacées'} : "
            f"{rapport.criteres} (historique : {rapport.historique_criteres})"
        )
        t = rapport.effacement
        self.stdout.write(
            f"Textes libres {'à effacer' if dry_run else 'effacés'} (postes, motifs, "
            f"commentaires) : {t.textes} (historique : {t.historique_textes})"
        )
        self.stdout.write(
            f"Entrées du journal d'administration {'à réécrire' if dry_run else 'réécrites'} : "
            f"{t.journal_admin}"
        )
        self.stdout.write(
            f"Participants supprimés dont il restait des traces : {len(rapport.supprimes)}"
        )
        if rapport.refuses:
            self.stdout.write(
                self.style.WARNING(
                    f"Modifiés pendant l'opération, reportés au prochain passage : "
                    f"{len(rapport.refuses)}"
                )
            )
        if dry_run:
            self.stdout.write("Simulation (--dry-run) : rien n'a été modifié.")
        else:
            self.stdout.write(self.style.SUCCESS("Anonymisation terminée."))
        # Same schedule: the access log past its retention period goes too.
        call_command("purger_journaux", dry_run=dry_run, stdout=self.stdout)
