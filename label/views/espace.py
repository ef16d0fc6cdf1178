"""The company's side of its personal link (no login): one dossier, nothing else.

Every view resolves the token first (``label.services.liens.resoudre``: unknown, expired or
revoked links get a French explanation and nothing else) and reaches objects only through the
link's dossier, so another dossier's action or attachment is a 404. Changes are written with
the contact as their author.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from label import selectors
from label.forms import ActionForm, ContenuForm, PieceForm
from label.models import ActionLabel, Axe, PieceJointe
from label.services import dossiers as dossiers_service
from label.services import liens as liens_service
from label.services import pieces as pieces_service
from label.services.liens import LienInvalide
from label.views.dossiers import (
    REFUS_PIECE,
    erreurs_formulaire,
    lignes_actions,
    message_erreur,
    reponse_piece,
)
from mife.core.formulaires import EditionView


class EspaceMixin:
    """Resolve the link before anything else; ``self.dossier`` is all that is reachable."""

    def dispatch(self, request, *args, **kwargs):
        self.jeton = kwargs.pop("jeton")
        try:
            self.lien = liens_service.resoudre(self.jeton)
        except LienInvalide as erreur:
            return render(
                request,
                "label/espace_invalide.html",
                {"titre": "Lien indisponible", "message": str(erreur)},
                status=403,
            )
        self.dossier = self.lien.dossier
        self.contact = self.lien.contact
        return super().dispatch(request, *args, **kwargs)

    def has_permission(self):
        return True

    def url_espace(self, ancre: str = "") -> str:
        return reverse("label:espace", args=[self.jeton]) + ancre


class EspaceView(EspaceMixin, View):
    def get(self, request):
        d = self.dossier
        actions = list(
            d.actions.prefetch_related(
                Prefetch("pieces", queryset=PieceJointe.objects.order_by("libelle", "pk"))
            ).order_by("axe", "intitule", "pk")
        )
        modifiable = d.modifiable
        jeton = self.jeton
        pieces_generales = [p for p in d.pieces.order_by("libelle", "pk") if p.action_id is None]
        return render(
            request,
            "label/espace.html",
            {
                "titre": f"Dossier Empl'itudes — {d.entreprise.raison_sociale}",
                "dossier": d,
                "lien": self.lien,
                "contact": self.contact,
                "completude": selectors.completude(d, actions),
                "modifiable": modifiable,
                "axes": lignes_actions(
                    d,
                    actions,
                    url_piece=lambda p: reverse("label:espace_piece", args=[jeton, p.pk]),
                    url_modifier=(
                        lambda a: reverse("label:espace_action_modifier", args=[jeton, a.pk])
                    )
                    if modifiable
                    else None,
                    url_supprimer=(
                        lambda a: reverse("label:espace_action_supprimer", args=[jeton, a.pk])
                    )
                    if modifiable
                    else None,
                    url_suppr_piece=(
                        lambda p: reverse("label:espace_piece_supprimer", args=[jeton, p.pk])
                    )
                    if modifiable
                    else None,
                ),
                "url_ajout_action": reverse("label:espace_action_creer", args=[jeton])
                if modifiable
                else "",
                "url_contenu": reverse("label:espace_contenu", args=[jeton]) if modifiable else "",
                "pieces_generales": [
                    (
                        p,
                        reverse("label:espace_piece", args=[jeton, p.pk]),
                        reverse("label:espace_piece_supprimer", args=[jeton, p.pk])
                        if modifiable
                        else "",
                    )
                    for p in pieces_generales
                ],
                "piece_form": PieceForm(dossier=d) if modifiable else None,
                "url_piece_ajout": reverse("label:espace_piece_ajouter", args=[jeton]),
                "jeton": jeton,
            },
        )


class _EspaceEdition(EspaceMixin, EditionView):
    template_name = "label/espace_edition.html"

    def get_fil(self):
        return []

    def get_annulation(self):
        return self.url_espace()

    def contexte(self, formulaires, version_form):
        contexte = super().contexte(formulaires, version_form)
        contexte.update(dossier=self.dossier, contact=self.contact)
        return contexte

    def post(self, request, *args, **kwargs):
        if not self.dossier.modifiable:
            messages.error(request, "Ce dossier ne peut plus être modifié.")
            return redirect(self.url_espace())
        reponse = super().post(request, *args, **kwargs)
        if reponse.status_code == 302:
            return redirect(self.url_espace(self.ancre))
        return reponse


class EspaceContenuView(_EspaceEdition):
    ancre = "#plan"

    def get_objet(self):
        return self.dossier

    def get_titre(self):
        return "Partage des bonnes pratiques et plan d'amélioration"

    def get_formulaires(self, data=None):
        return {"contenu": ContenuForm(data=data, instance=self.dossier)}

    def enregistrer(self, formulaires, version_lue):
        dossier = formulaires["contenu"].save(commit=False)
        return dossiers_service.enregistrer_contenu(dossier, version_lue, contact=self.contact)

    def message_succes(self, objet):
        return "Plan et bonnes pratiques enregistrés."


class EspaceActionView(_EspaceEdition):
    ancre = "#actions"

    def get_objet(self):
        if "pk" in self.kwargs:
            return get_object_or_404(ActionLabel, pk=self.kwargs["pk"], dossier=self.dossier)
        return None

    def get_titre(self):
        return f"Action « {self.objet.intitule} »" if self.objet else "Nouvelle action"

    def get_formulaires(self, data=None):
        initial = None
        if self.objet is None and self.request.GET.get("axe") in Axe.values:
            initial = {"axe": self.request.GET["axe"]}
        return {
            "action": ActionForm(
                data=data, instance=self.objet, initial=initial, dossier=self.dossier
            )
        }

    def enregistrer(self, formulaires, version_lue):
        action = formulaires["action"].save(commit=False)
        action.dossier = self.dossier
        return dossiers_service.enregistrer_action(action, version_lue, contact=self.contact)

    def message_succes(self, objet):
        return f"Action « {objet.intitule} » enregistrée."


class EspaceActionSupprimerView(EspaceMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        action = get_object_or_404(ActionLabel, pk=pk, dossier=self.dossier)
        try:
            dossiers_service.supprimer_action(action, contact=self.contact)
        except ValidationError as erreur:
            messages.error(request, message_erreur(erreur))
        else:
            messages.success(request, f"Action « {action.intitule} » supprimée.")
        return redirect(self.url_espace("#actions"))


class EspacePieceAjouterView(EspaceMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        form = PieceForm(request.POST, request.FILES, dossier=self.dossier)
        if form.is_valid():
            try:
                piece = pieces_service.ajouter_piece(
                    self.dossier,
                    form.cleaned_data["fichier"],
                    form.cleaned_data["libelle"],
                    form.cleaned_data["action"],
                    contact=self.contact,
                )
            except ValidationError as erreur:
                messages.error(request, REFUS_PIECE + message_erreur(erreur))
            else:
                messages.success(request, f"Pièce « {piece.libelle} » ajoutée.")
        else:
            messages.error(request, REFUS_PIECE + erreurs_formulaire(form))
        return redirect(self.url_espace("#pieces"))


class EspacePieceView(EspaceMixin, View):
    def get(self, request, pk):
        piece = PieceJointe.objects.filter(pk=pk, dossier=self.dossier).first()
        if piece is None:
            raise Http404("Pièce introuvable.")
        return reponse_piece(piece)


class EspacePieceSupprimerView(EspaceMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        piece = get_object_or_404(PieceJointe, pk=pk, dossier=self.dossier)
        try:
            pieces_service.supprimer_piece(piece, contact=self.contact)
        except ValidationError as erreur:
            messages.error(request, message_erreur(erreur))
        else:
            messages.success(request, f"Pièce « {piece.libelle} » supprimée.")
        return redirect(self.url_espace("#pieces"))
