"""« Confiance dans les chiffres »: attestations to re-issue and the coherence check page.

Rules live in ``heures.services.attestations`` (re-issue) and ``heures.services.coherence``
(the check); the definitions of the printed figures in docs/attestations.md.
"""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from heures import perms, selectors
from heures.filters import AttestationFilter
from heures.forms.coherence import ControleForm
from heures.models import Attestation
from heures.services import attestations, coherence
from heures.views.listes import colonne_lot
from mife.core import formats
from mife.core.listes import Colonne, ListeView

PERMISSION_REEMETTRE = "heures.emettre_attestation"


def message_validation(attestation: Attestation) -> str:
    """The flash message after a declaration is validated: its attestation, the one it
    replaces, and how many later attestations the validation left « à réémettre »."""
    texte = f"Déclaration validée — attestation {attestation.numero} émise"
    remplacee = Attestation.objects.filter(remplacee_par=attestation).first()
    texte += f" (remplace {remplacee.numero})." if remplacee else "."
    n = attestations.a_reemettre_apres(attestation.declaration).count()
    if n:
        texte += (
            f" {n} attestation{'s' if n > 1 else ''} déjà émise{'s' if n > 1 else ''} "
            f"n'{'ont' if n > 1 else 'a'} plus les bons chiffres : voir « Attestations à "
            "réémettre »."
        )
    return texte


def _ecart(imprime, actuel) -> str:
    if imprime == actuel:
        return formats.heures(imprime)
    return f"{formats.heures(imprime)} → {formats.heures(actuel)}"


class AttestationsAReemettreView(ListeView):
    """Issued attestations whose printed figures changed since: re-issued in one batch."""

    titre = "Attestations à réémettre"
    message_vide = (
        "Aucune attestation à réémettre : toutes les attestations en vigueur ont les bons chiffres."
    )
    filterset_class = AttestationFilter
    tri_defaut = "mois"
    nom_export = "attestations-a-reemettre"
    template_name = "heures/attestations_a_reemettre.html"
    colonnes = [
        Colonne("Numéro", "numero", tri="numero", reference=True),
        Colonne("Type", "get_type_display", tri="type"),
        Colonne("Entreprise", "entreprise.raison_sociale", tri="entreprise__raison_sociale"),
        colonne_lot(),
        Colonne("Mois", "mois", tri="mois", format="mois"),
        Colonne(
            "Heures du mois (imprimées → actuelles)",
            _ecart,
            champs=("total_heures", "total_actuel"),
            numerique=True,
        ),
        Colonne(
            "Cumul (imprimé → actuel)",
            _ecart,
            champs=("cumul_heures", "cumul_actuel"),
            numerique=True,
        ),
        Colonne("Émise le", "emise_le", tri="emise_le", format="date"),
        Colonne(
            "Heures modifiées le", "derniere_validation", tri="derniere_validation", format="date"
        ),
    ]

    def has_permission(self):
        return perms.peut_voir_attestations(self.request.user)

    def get_queryset(self):
        self.queryset = selectors.attestations_a_reemettre().select_related(
            "entreprise", "lot__marche"
        )
        return super().get_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["peut_reemettre"] = self.request.user.has_perm(PERMISSION_REEMETTRE)
        context["a_reemettre"] = selectors.attestations_a_reemettre().count()
        return context


@require_POST
@permission_required(PERMISSION_REEMETTRE, raise_exception=True)
def reemettre(request):
    """Re-issue every attestation « à réémettre » (each in its own transaction)."""
    faites, erreurs = attestations.reemettre_tout(request.user)
    if faites:
        detail = ", ".join(f"{a.numero} → {n.numero}" for a, n in faites)
        messages.success(
            request,
            f"{len(faites)} attestation{'s' if len(faites) > 1 else ''} réémise"
            f"{'s' if len(faites) > 1 else ''} : {detail}.",
        )
    elif not erreurs:
        messages.info(request, "Aucune attestation à réémettre : rien n'a été fait.")
    for erreur in erreurs:
        messages.error(request, f"Non réémise : {erreur}")
    return redirect("heures:attestations_a_reemettre")


@permission_required(PERMISSION_REEMETTRE, raise_exception=True)
def controle(request):
    """The coherence check, run on demand (the same as ``manage.py controler_chiffres``)."""
    form = ControleForm(request.GET or None)
    resultat = None
    if form.is_valid() or not request.GET:
        mois = form.cleaned_data.get("mois") if form.is_bound else None
        resultat = coherence.controler(mois)
    return render(
        request,
        "heures/controle_chiffres.html",
        {
            "form": form,
            "controle": resultat,
            "definitions_mensuelle": attestations.DEFINITIONS_MENSUELLE,
            "definitions_realisation": attestations.DEFINITIONS_REALISATION,
            "titre": "Contrôle des chiffres",
            "fil": [
                ("Attestations", reverse("heures:attestation_liste")),
                ("Contrôle des chiffres", None),
            ],
        },
    )
