"""Issue the missing monthly attestations of a month and write them all into a folder."""

import shutil
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from heures.services import attestations
from mife.core.mois import lire_mois


class Command(BaseCommand):
    help = (
        "Émet les attestations mensuelles manquantes du mois (déclarations validées) puis écrit "
        "toutes les attestations du mois dans un dossier (un PDF chacune)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--mois", required=True, help="mois au format AAAA-MM")
        parser.add_argument("--out", required=True, help="dossier de destination des PDF")

    def handle(self, *args, **options):
        try:
            mois = lire_mois(options["mois"])
        except ValueError as erreur:
            raise CommandError(str(erreur)) from None
        dossier = Path(options["out"])
        dossier.mkdir(parents=True, exist_ok=True)
        emises = attestations.emettre_mois(mois)
        ecrites = 0
        for attestation in attestations.attestations_du_mois(mois):
            if not attestation.fichier:
                continue
            with (
                attestation.fichier.open("rb") as source,
                open(dossier / f"{attestation.numero}.pdf", "wb") as cible,
            ):
                shutil.copyfileobj(source, cible)
            ecrites += 1
        self.stdout.write(
            f"{len(emises)} attestation(s) émise(s) ; {ecrites} attestation(s) du mois écrite(s) "
            f"dans {dossier}."
        )
