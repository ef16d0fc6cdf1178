"""« Générer les attestations du mois »: start a background batch, follow it, download it."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from heures import perms
from heures.forms.generation import GenerationForm
from heures.models import GenerationAttestations
from heures.services import attestations, generation
from journal import services as journal
from journal.models import Action
from mife.core import grammaire
from mife.core.mois import mois_precedent


def _fil(*fin):
    return [
        ("Attestations", reverse("heures:attestation_liste")),
        ("Générer les attestations du mois", reverse("heures:generation")),
        *fin,
    ]


@permission_required("heures.add_generationattestations", raise_exception=True)
def generer(request):
    """Choose the month and start the batch; the recent batches can be found again here."""
    form = GenerationForm(
        request.POST or None, initial={"mois": mois_precedent(timezone.localdate())}
    )
    if request.method == "POST" and form.is_valid():
        mois = form.cleaned_data["mois"]
        lot = generation.demander(mois, request.user)
        messages.success(
            request,
            f"Génération des attestations {grammaire.de_mois(mois)} lancée : "
            "vous pouvez quitter cette page et la retrouver dans la liste des générations.",
        )
        return redirect("heures:generation_detail", pk=lot.pk)
    return render(
        request,
        "heures/generation.html",
        {
            "form": form,
            "recentes": GenerationAttestations.objects.select_related("demandee_par")[:20],
            "titre": "Générer les attestations du mois",
            "fil": [*_fil()[:1], ("Générer les attestations du mois", None)],
        },
    )


def _contexte(lot: GenerationAttestations) -> dict:
    en_marche = lot.statut in generation.EN_MARCHE
    return {
        "g": lot,
        "en_marche": en_marche,
        "bloquee": generation.bloquee(lot),
        # The list is shown once the batch has stopped (polling stays cheap meanwhile).
        "attestations": [] if en_marche else attestations.attestations_du_mois(lot.mois),
    }


@permission_required("heures.view_generationattestations", raise_exception=True)
def detail(request, pk: int):
    lot = get_object_or_404(GenerationAttestations.objects.select_related("demandee_par"), pk=pk)
    titre = f"Attestations {grammaire.de_mois(lot.mois)}"
    return render(
        request,
        "heures/generation_detail.html",
        {
            **_contexte(lot),
            "titre": titre,
            "fil": _fil((titre, None)),
        },
    )


@permission_required("heures.view_generationattestations", raise_exception=True)
def progression(request, pk: int):
    """The progress partial, polled by htmx every 2 s while the batch runs."""
    lot = get_object_or_404(GenerationAttestations, pk=pk)
    return render(request, "heures/_generation_progression.html", _contexte(lot))


def _fichier(champ, nom: str, type_mime: str):
    if not champ:
        raise Http404("Fichier pas encore prêt.")
    return FileResponse(champ.open("rb"), as_attachment=True, filename=nom, content_type=type_mime)


@permission_required(perms.PDF_ATTESTATIONS, raise_exception=True)
def telecharger_zip(request, pk: int):
    lot = generation.actualiser_fichiers(get_object_or_404(GenerationAttestations, pk=pk))
    journal.acces(request, Action.EXPORT_FICHIER, objet=f"Attestations de {lot.mois:%m/%Y} (ZIP)")
    return _fichier(lot.fichier_zip, f"attestations-{lot.mois:%Y-%m}.zip", "application/zip")


@permission_required(perms.PDF_ATTESTATIONS, raise_exception=True)
def telecharger_pdf(request, pk: int):
    lot = generation.actualiser_fichiers(get_object_or_404(GenerationAttestations, pk=pk))
    journal.acces(request, Action.EXPORT_FICHIER, objet=f"Attestations de {lot.mois:%m/%Y} (PDF)")
    return _fichier(lot.fichier_pdf, f"attestations-{lot.mois:%Y-%m}.pdf", "application/pdf")
