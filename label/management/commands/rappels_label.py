"""Rappels de renouvellement des labels Empl'itudes (à planifier, par exemple chaque semaine)."""

from django.core.management.base import BaseCommand

from label.services import labels


class Command(BaseCommand):
    help = (
        "Envoie un rappel aux entreprises dont le label expire dans les 6 mois (une fois par "
        "label, l'animateur·rice du dossier en copie). --dry-run : compte sans envoyer."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="n'envoie rien")

    def handle(self, *args, dry_run=False, **options):
        bilan = labels.rappeler_renouvellements(dry_run=dry_run)
        for label in bilan.envoyes:
            self.stdout.write(
                f"{'À envoyer' if dry_run else 'Envoyé'} : {label.entreprise} — label "
                f"{label.numero} expire le {label.date_expiration:%d/%m/%Y}"
            )
        for label in bilan.sans_adresse:
            self.stderr.write(f"Sans adresse e-mail : {label.entreprise} (label {label.numero})")
        self.stdout.write(self.style.SUCCESS(str(bilan)))
