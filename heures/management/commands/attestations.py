"""Issue the missing monthly attestations of a month and write them all into a folder."""

import shutil
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from heures.services import attestations


def lire_mois(texte: str) -> date:
    try:
        annee, mois = (int(x) for x in texte.split("-"))
        return date(annee, mois, 1)
    except (ValueError, TypeError):
        raise CommandError(f"Mois invalide « {texte} » : format attendu AAAA-MM.") from None


class Command(BaseCommand):
    help = (
        "Émet les attestations mensuelles manquantes du mois (déclarations validées) puis écrit "
        "toutes les attestations du mois dans un dossier (un PDF chacune)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--mois", required=True, help="mois au format AAAA-MM")
        parser.add_argument("--out", required=True, help="dossier de destination des PDF")

    def handle(self, *args, **options):
        mois = lire_mois(options["mois"])
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
