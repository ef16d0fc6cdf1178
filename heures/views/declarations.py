"""Entering a month's hours (grid saved as you go with htmx) and the declaration workflow."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from heures import perms, selectors
from heures.forms.declarations import OuvrirForm
from heures.models import Attestation, DeclarationMensuelle, StatutDeclaration
from heures.services import declarations as services
from heures.views.coherence import message_validation
from journal import services as journal
from journal.models import Action
from marches.models import Lot
from mife.core import formats, grammaire
from mife.core.concurrence import ConflitDeVersion


@permission_required("heures.add_declarationmensuelle", raise_exception=True)
def ouvrir(request):
    """Choose company, lot and month, then enter the hours."""
    form = OuvrirForm(request.POST or None, initial=request.GET.dict() or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        declaration = services.creer(d["entreprise"], d["lot"], d["mois"], request.user)
        return redirect("heures:declaration_saisie", pk=declaration.pk)
    return render(
        request,
        "heures/declaration_ouvrir.html",
        {
            "form": form,
            "titre": "Saisir des heures",
            "fil": [
                ("Déclarations", reverse("heures:declaration_liste")),
                ("Saisir des heures", None),
            ],
        },
    )


def _charger(pk: int) -> DeclarationMensuelle:
    return get_object_or_404(
        DeclarationMensuelle.objects.select_related(
            "entreprise", "lot__marche__donneur_ordre", "lot__clause", "modifie_par"
        ),
        pk=pk,
    )


def _lignes(declaration: DeclarationMensuelle) -> list[dict]:
    """One row per mission active that month, with the hours already saved."""
    saisies = {ligne.mission_id: ligne for ligne in declaration.lignes.all()}
    missions = services.missions_du_mois(declaration.entreprise, declaration.lot, declaration.mois)
    if declaration.verrouillee or declaration.statut == StatutDeclaration.SOUMISE:
        missions = [
            ligne.mission for ligne in declaration.lignes.select_related("mission__participant")
        ]
    return [
        {
            "mission": mission,
            "heures": saisies[mission.pk].heures if mission.pk in saisies else None,
            "valeur": formats.nombre(saisies[mission.pk].heures, 2)
            if mission.pk in saisies
            else "",
        }
        for mission in missions
    ]


def _contexte(request, declaration, **extra):
    user = request.user
    lignes = _lignes(declaration)
    controle = None
    if declaration.statut == StatutDeclaration.SOUMISE:
        # The validator's context: lot's hours, participants' history, anomalies.
        controle = selectors.controle_declaration(declaration, timezone.localdate())
        par_mission = {c.ligne.mission_id: c for c in controle.lignes}
        for ligne in lignes:
            ligne["controle"] = par_mission.get(ligne["mission"].pk)
            if ligne["controle"] is not None:
                ligne["eligibilite"] = ligne["controle"].eligibilite.raisons(user)
    return {
        "d": declaration,
        "lignes": lignes,
        "controle": controle,
        "total": selectors.heures_declarees(declaration),
        "modifiable": services.saisie_permise(declaration, user),
        "transitions": services.transitions_permises(declaration, user),
        "quatre_yeux": declaration.statut == StatutDeclaration.SOUMISE
        and user.has_perm("heures.valider_declaration")
        and not services.peut_valider(declaration, user),
        "attestations": declaration.attestations.order_by("-emise_le"),
        "voir_identites": perms.peut_voir_participants(user),
        "titre": f"Heures {grammaire.de_mois(declaration.mois)} — {declaration.entreprise}",
        "fil": [
            ("Déclarations", reverse("heures:declaration_liste")),
            (
                f"{formats.mois_fr(declaration.mois)} — {declaration.entreprise}",
                declaration.get_absolute_url(),
            ),
            ("Saisie et validation", None),
        ],
        **extra,
    }


@permission_required("heures.view_declarationmensuelle", raise_exception=True)
def saisie(request, pk: int):
    declaration = _charger(pk)
    return render(request, "heures/declaration_saisie.html", _contexte(request, declaration))


@require_POST
@permission_required("heures.change_declarationmensuelle", raise_exception=True)
def ligne(request, pk: int, mission_pk: int):
    """htmx: save one row's hours as the user types; the typed value is kept on error."""
    declaration = _charger(pk)
    texte = request.POST.get("heures", "")
    erreur = ""
    try:
        heures = services.lire_heures(texte)
        declaration = services.enregistrer_lignes(
            declaration, {mission_pk: heures}, _version_lue(request), request.user
        )
    except (ValueError, ValidationError, ConflitDeVersion) as exc:
        erreur = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    declaration.refresh_from_db()
    mission = next(
        (x["mission"] for x in _lignes(declaration) if x["mission"].pk == mission_pk), None
    )
    if mission is None:
        raise Http404("Mission inconnue pour cette déclaration.")
    contexte = _contexte(request, declaration)
    contexte.update(
        ligne=next(x for x in contexte["lignes"] if x["mission"].pk == mission_pk),
        erreur=erreur,
        saisi=texte,
    )
    return render(request, "heures/_declaration_ligne.html", contexte)


def _version_lue(request) -> int | None:
    """The version the page was opened at; None when missing or garbled (then refused)."""
    texte = request.POST.get("version_lue", "").strip()
    return int(texte) if texte.isdigit() else None


@require_POST
@permission_required("heures.view_declarationmensuelle", raise_exception=True)
def action(request, pk: int, action: str):
    """Workflow buttons: soumettre, valider, rejeter, corriger."""
    declaration = _charger(pk)
    user = request.user
    transition = services.TRANSITIONS.get(action)
    if transition is None:
        raise Http404("Action inconnue.")
    if not user.has_perm(transition.permission):
        raise PermissionDenied
    version = _version_lue(request)
    motif = request.POST.get("motif", "")
    try:
        if action == "soumettre":
            services.soumettre(declaration, version, user)
            messages.success(
                request, "Déclaration soumise : l'assistant·e de suivi va la contrôler."
            )
        elif action == "valider":
            _, attestation = services.valider(declaration, version, user)
            messages.success(request, message_validation(attestation))
        elif action == "rejeter":
            services.rejeter(declaration, motif, version, user)
            messages.warning(
                request, "Déclaration rejetée : elle repasse en saisie avec votre motif."
            )
        else:
            nouvelle = services.corriger(declaration, motif, version, user)
            messages.info(
                request,
                f"Version {nouvelle.numero_version} créée : corrigez les heures puis soumettez-la.",
            )
            return redirect("heures:declaration_saisie", pk=nouvelle.pk)
    except ConflitDeVersion as conflit:
        messages.error(request, str(conflit))
    except ValidationError as erreur:
        messages.error(request, " ".join(erreur.messages))
    return redirect("heures:declaration_saisie", pk=declaration.pk)


@permission_required(perms.PDF_ATTESTATIONS, raise_exception=True)
def attestation_pdf(request, pk: int):
    attestation = get_object_or_404(Attestation, pk=pk)
    if not attestation.fichier:
        raise Http404("Fichier absent.")
    journal.acces(request, Action.EXPORT_FICHIER, objet=f"Attestation {attestation.numero}")
    return FileResponse(
        attestation.fichier.open("rb"),
        as_attachment=True,
        filename=f"{attestation.numero}.pdf",
        content_type="application/pdf",
    )


@require_POST
@permission_required("heures.emettre_attestation", raise_exception=True)
def attestation_realisation(request, lot_pk: int):
    """Issue the end-of-obligation attestation of a lot (met, or closed with a shortfall)."""
    from heures.services import attestations

    lot = get_object_or_404(Lot, pk=lot_pk)
    try:
        attestation = attestations.emettre_realisation(lot, request.user)
    except ValueError as erreur:
        messages.error(request, str(erreur))
    else:
        messages.success(request, f"Attestation de réalisation {attestation.numero} émise.")
    return redirect(lot.get_absolute_url())
