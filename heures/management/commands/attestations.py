"""Issue the missing monthly attestations of a month and write them all into a folder."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from heures.services import attestations
from mife.core.mois import lire_mois


class Command(BaseCommand):
    help = (
        "Émet les attestations mensuelles manquantes du mois (déclarations validées) puis écrit "
        "les attestations en vigueur du mois dans un dossier (un PDF chacune). Les attestations "
        "remplacées n'y sont écrites qu'avec --avec-remplacees, marquées « REMPLACÉE »."
    )

    def add_arguments(self, parser):
        parser.add_argument("--mois", required=True, help="mois au format AAAA-MM")
        parser.add_argument("--out", required=True, help="dossier de destination des PDF")
        parser.add_argument(
            "--avec-remplacees",
            action="store_true",
            help="écrit aussi les attestations remplacées, marquées « REMPLACÉE » dans le nom "
            "du fichier et sur chaque page",
        )

    def handle(self, *args, **options):
        try:
            mois = lire_mois(options["mois"])
        except ValueError as erreur:
            raise CommandError(str(erreur)) from None
        dossier = Path(options["out"])
        dossier.mkdir(parents=True, exist_ok=True)
        emises = attestations.emettre_mois(mois)
        ecrites = remplacees = 0
        for attestation in attestations.attestations_du_mois(
            mois, avec_remplacees=options["avec_remplacees"]
        ):
            if not attestation.fichier:
                continue
            nom = attestations.nom_fichier(attestation)
            (dossier / nom).write_bytes(attestations.pdf_pour_sortie(attestation))
            ecrites += 1
            remplacees += nom != f"{attestation.numero}.pdf"
        detail = f", dont {remplacees} remplacée(s)" if options["avec_remplacees"] else ""
        self.stdout.write(
            f"{len(emises)} attestation(s) émise(s) ; {ecrites} attestation(s) du mois écrite(s) "
            f"dans {dossier}{detail}."
        )
