"""Batches « Générer les attestations du mois », run by the background worker.

``demander`` records a batch and enqueues the task (``heures.tasks.generer_attestations``);
``executer`` is the task body. Numbering safety comes from ``attestations.emettre_mois``: one
transaction per attestation, each declaration locked and checked, so re-running a month issues
nothing twice and a run stopped in the middle is finished by the next one.

Counting: ``total`` is the number of monthly attestations the month will have once the batch is
done (those already issued + the validated declarations still to attest), and ``faites`` starts
at the number already issued; both are refreshed at each step, so the bar is right even when a
batch resumes after an interruption.

An interrupted batch (worker killed: the row stays « en cours ») is resumed by ``executer`` on
the same row. ``demander`` re-enqueues it when it has made no progress for
``DELAI_BLOCAGE`` (10 minutes): a running batch updates ``modifie_le`` after each attestation,
and one attestation takes about a second.

The ZIP and the print-all PDF hold the month's attestations in force only. When one of them is
replaced later (a correction, a re-issue), the files of a finished batch are rebuilt before
their next download (``actualiser_fichiers``); ``modifie_le`` of a finished batch is the time
its files were built from.
"""

import io
import tempfile
import zipfile
from datetime import date, timedelta

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from heures.models import (
    Attestation,
    GenerationAttestations,
    StatutGeneration,
    TypeAttestation,
)
from heures.services import attestations

DELAI_BLOCAGE = timedelta(minutes=10)
EN_MARCHE = (StatutGeneration.EN_ATTENTE, StatutGeneration.EN_COURS)


def bloquee(generation: GenerationAttestations) -> bool:
    """« En cours » with no progress for ``DELAI_BLOCAGE``: its worker was stopped."""
    return (
        generation.statut == StatutGeneration.EN_COURS
        and timezone.now() - generation.modifie_le > DELAI_BLOCAGE
    )


def _mettre_en_file(generation: GenerationAttestations) -> None:
    from heures.tasks import generer_attestations

    resultat = generer_attestations.enqueue(generation.pk)
    # .update: with the immediate backend the task has already run and saved its own fields.
    GenerationAttestations.objects.filter(pk=generation.pk).update(tache_id=str(resultat.id))
    generation.refresh_from_db()


def demander(mois: date, user=None) -> GenerationAttestations:
    """Start (or find) the batch of ``mois``: one running batch per month at most.

    A batch « en attente »/« en cours » of the month is returned as is; if it is stuck
    (see ``bloquee``), it is enqueued again and resumes where it stopped.
    """
    mois = mois.replace(day=1)
    with transaction.atomic():
        existante = (
            GenerationAttestations.objects.select_for_update()
            .filter(mois=mois, statut__in=EN_MARCHE)
            .order_by("-cree_le")
            .first()
        )
        if existante is not None and not bloquee(existante):
            return existante
        if existante is None:
            generation = GenerationAttestations.objects.create(
                mois=mois, demandee_par=user, modifie_par=user
            )
        else:
            generation = existante
            GenerationAttestations.objects.filter(pk=generation.pk).update(
                statut=StatutGeneration.EN_ATTENTE, modifie_le=timezone.now(), modifie_par=user
            )
    _mettre_en_file(generation)
    return generation


def _attestations_emises(mois: date):
    """The month's attestations in force: a replaced one never goes into the ZIP or the PDF."""
    return attestations.attestations_du_mois(mois)


def _maj(pk: int, **champs) -> None:
    GenerationAttestations.objects.filter(pk=pk).update(modifie_le=timezone.now(), **champs)


def executer(generation_id: int) -> None:
    """Task body: issue the month's missing attestations, then build the ZIP and the PDF."""
    generation = GenerationAttestations.objects.get(pk=generation_id)
    if generation.statut == StatutGeneration.TERMINEE:
        return
    mois = generation.mois
    deja = _attestations_emises(mois).count()
    a_faire = attestations.declarations_a_attester(mois).count()
    _maj(
        generation.pk,
        statut=StatutGeneration.EN_COURS,
        erreur="",
        total=deja + a_faire,
        faites=deja,
    )

    def progression(faites: int, total: int) -> None:
        _maj(generation.pk, total=deja + total, faites=deja + faites)

    try:
        attestations.emettre_mois(mois, user=generation.demandee_par, progression=progression)
        _construire_fichiers(generation)
    except Exception as erreur:
        _maj(
            generation.pk,
            statut=StatutGeneration.ECHEC,
            erreur=(
                "La génération s'est arrêtée sur une erreur : "
                f"{erreur}. Relancez-la : les attestations déjà émises sont conservées."
            ),
        )
        raise


def _construire_fichiers(generation: GenerationAttestations) -> None:
    """(Re)build the batch's ZIP and print-all PDF from the month's attestations in force."""
    debut = timezone.now()
    emises = _attestations_emises(generation.mois)
    nombre = 0
    with tempfile.TemporaryFile() as zip_, tempfile.TemporaryFile() as pdf:
        nombre = _fichiers(emises.iterator(chunk_size=TAILLE_PAQUET), zip_, pdf)
        generation.refresh_from_db()
        nom = f"attestations-{generation.mois:%Y-%m}-lot-{generation.pk}"
        zip_.seek(0)
        pdf.seek(0)
        # File(): the storage copies the temporary files in chunks, never whole in memory
        generation.fichier_zip.save(f"{nom}.zip", File(zip_), save=False)
        generation.fichier_pdf.save(f"{nom}.pdf", File(pdf), save=False)
    generation.statut = StatutGeneration.TERMINEE
    generation.total = generation.faites = nombre
    generation.save(update_fields=["fichier_zip", "fichier_pdf", "statut", "total", "faites"])
    # When the files were built from (``fichiers_perimes``); .update: auto_now would say later.
    GenerationAttestations.objects.filter(pk=generation.pk).update(modifie_le=debut)


def fichiers_perimes(generation: GenerationAttestations) -> bool:
    """A finished batch's files miss an attestation of the month issued since they were built
    (a re-issue, a correction, a late validation), so they may hold a replaced one."""
    return (
        generation.statut == StatutGeneration.TERMINEE
        and Attestation.objects.filter(
            mois=generation.mois,
            type=TypeAttestation.MENSUELLE,
            emise_le__gt=generation.modifie_le,
        ).exists()
    )


def actualiser_fichiers(generation: GenerationAttestations) -> GenerationAttestations:
    """Rebuild the ZIP and the PDF before they are downloaded if they are out of date: a
    replaced attestation never reaches a download, and the replacing one is in it."""
    if fichiers_perimes(generation):
        _construire_fichiers(generation)
        generation.refresh_from_db()
    return generation


#: Attestations read from the database at a time, and merged into the print-all PDF at a time.
TAILLE_PAQUET = 50


def _fichiers(emises, zip_, pdf) -> int:
    """Write the ZIP (one PDF per attestation, named by its number, « REMPLACÉE » added to a
    replaced one) and the print-all PDF (every attestation in number order) into the open
    files ``zip_`` and ``pdf``, reading one attestation's PDF at a time: memory is bounded by a
    packet of ``TAILLE_PAQUET`` attestations, not by the month. The print-all PDF is merged by
    packets: each packet is written to a temporary PDF on disk, and the packets are then
    appended from those files (pypdf reads them lazily). Returns the number of attestations."""
    from pypdf import PdfWriter

    nombre = 0
    paquets = []
    writer = PdfWriter()
    try:
        with zipfile.ZipFile(zip_, "w", zipfile.ZIP_DEFLATED) as archive:
            for attestation in emises:
                nombre += 1
                if not attestation.fichier:
                    continue
                contenu = attestations.pdf_pour_sortie(attestation)
                archive.writestr(attestations.nom_fichier(attestation), contenu)
                writer.append(io.BytesIO(contenu))
                del contenu
                if len(writer.pages) and nombre % TAILLE_PAQUET == 0:
                    paquets.append(_ecrire_paquet(writer))
                    writer = PdfWriter()
        if len(writer.pages):
            paquets.append(_ecrire_paquet(writer))
        final = PdfWriter()
        for paquet in paquets:
            paquet.seek(0)
            final.append(paquet)
        final.write(pdf)
    finally:
        for paquet in paquets:
            paquet.close()
    return nombre


def _ecrire_paquet(writer):
    paquet = tempfile.TemporaryFile()  # noqa: SIM115 — closed by _fichiers
    writer.compress_identical_objects(remove_duplicates=True)
    writer.write(paquet)
    return paquet


def reprendre_interrompues() -> int:
    """Re-enqueue the batches left « en cours » by a stopped worker (called when a worker
    starts: ``python manage.py db_worker``). Resuming is safe even if another worker still runs
    one of them: each attestation is issued under a row lock, never twice."""
    interrompues = list(GenerationAttestations.objects.filter(statut=StatutGeneration.EN_COURS))
    for generation in interrompues:
        _mettre_en_file(generation)
    return len(interrompues)
