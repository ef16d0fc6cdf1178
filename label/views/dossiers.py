"""Eligibility diagnoses, dossiers (content, actions, workflow), attachments, company links."""

from collections import Counter
from functools import cached_property

import django_filters
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views import View

from entreprises.models import Entreprise
from label import perms, selectors
from label.filters import DossierFilter
from label.forms import (
    ActionForm,
    ContenuAnimateurForm,
    DiagnosticForm,
    LienForm,
    PieceForm,
    TransitionForm,
)
from label.models import (
    ActionLabel,
    Avis,
    AvisMembre,
    Axe,
    DiagnosticEligibilite,
    DossierLabel,
    LienEntreprise,
    PieceJointe,
)
from label.selectors import etat_label_le
from label.services import dossiers as dossiers_service
from label.services import liens as liens_service
from label.services import pieces as pieces_service
from label.services import workflow
from mife.core import formats
from mife.core.concurrence import ConflitDeVersion
from mife.core.fiches import Action, Champ, FicheView, Section, Tableau
from mife.core.filtres import OuiNonFilter, recherche_texte
from mife.core.formulaires import EditionView
from mife.core.listes import Colonne, ListeView


def message_erreur(erreur: Exception) -> str:
    if isinstance(erreur, ValidationError):
        return " ".join(erreur.messages)
    return str(erreur)


REFUS_PIECE = "Pièce refusée, rien n'a été enregistré. "


def erreurs_formulaire(form) -> str:
    """« Libellé : Ce champ est obligatoire. » for each error of ``form`` (field named)."""
    return " ".join(
        f"{form.fields[champ].label} : {e}" if champ in form.fields else e
        for champ, erreurs in form.errors.items()
        for e in erreurs
    )


def _resume_avis(passage) -> str:
    """« 2 × Favorable, 1 × Défavorable » from the prefetched ``avis`` of a passage."""
    comptes = Counter(a.avis for a in passage.avis.all())
    return ", ".join(
        f"{comptes[code]} × {libelle}" for code, libelle in Avis.choices if comptes[code]
    )


def avis_prefetch() -> Prefetch:
    return Prefetch(
        "avis", queryset=AvisMembre.objects.select_related("membre").order_by("membre__nom")
    )


def _entier(valeur) -> int | None:
    valeur = (valeur or "").strip()
    return int(valeur) if valeur.isdigit() else None


class _ActionPost(PermissionRequiredMixin, View):
    raise_exception = True
    http_method_names = ["post"]


# --- eligibility diagnoses ---------------------------------------------------------------------


class DiagnosticFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Entreprise", method=recherche_texte(["entreprise__raison_sociale"])
    )
    eligible = OuiNonFilter(label="Éligible")
    annee = django_filters.NumberFilter(label="Année", field_name="date", lookup_expr="year")

    class Meta:
        model = DiagnosticEligibilite
        fields = ["q", "eligible", "annee"]


class DiagnosticListeView(ListeView):
    titre = "Diagnostics d'éligibilité"
    message_vide = "Aucun diagnostic d'éligibilité pour l'instant."
    filterset_class = DiagnosticFilter
    tri_defaut = "-date"
    nom_export = "diagnostics-label"
    permission_required = "label.view_diagnosticeligibilite"
    action_principale = (
        "Nouveau diagnostic",
        reverse_lazy("label:diagnostic_creer"),
        "label.add_diagnosticeligibilite",
    )
    colonnes = [
        Colonne("Date", "date", tri="date", format="date", lien=True),
        Colonne("Entreprise", "entreprise.raison_sociale", tri="entreprise__raison_sociale"),
        Colonne("Éligible", "eligible", tri="eligible", format="booleen"),
        Colonne("Label précédent", "label_precedent"),
        Colonne("Réalisé par", "realise_par"),
        Colonne("Dossiers ouverts", "nb_dossiers", format="nombre", numerique=True),
    ]

    def get_queryset(self):
        self.queryset = DiagnosticEligibilite.objects.select_related(
            "entreprise", "realise_par"
        ).annotate(nb_dossiers=Count("dossiers"))
        return super().get_queryset()


class DiagnosticEditionView(EditionView):
    permission_required = "label.add_diagnosticeligibilite"
    titre = "Nouveau diagnostic d'éligibilité"

    def get_fil(self):
        return [
            ("Diagnostics d'éligibilité", reverse("label:diagnostic_liste")),
            (self.get_titre(), None),
        ]

    def get_annulation(self):
        return reverse("label:diagnostic_liste")

    def get_formulaires(self, data=None):
        initial = {"date": timezone.localdate()}
        entreprise = _entier(self.request.GET.get("entreprise"))
        if entreprise and Entreprise.objects.filter(pk=entreprise).exists():
            initial["entreprise"] = entreprise
        return {"diagnostic": DiagnosticForm(data=data, initial=initial)}

    def enregistrer(self, formulaires, version_lue):
        diagnostic = formulaires["diagnostic"].save(commit=False)
        return dossiers_service.enregistrer_diagnostic(diagnostic, self.request.user)

    def message_succes(self, objet):
        if objet.eligible:
            return f"Diagnostic enregistré : {objet.entreprise} est éligible au label."
        return f"Diagnostic enregistré : {objet.entreprise} n'est pas éligible."


class DiagnosticFicheView(FicheView):
    permission_required = "label.view_diagnosticeligibilite"
    queryset = DiagnosticEligibilite.objects.select_related("entreprise", "realise_par")

    def get_statut(self):
        if self.object.eligible:
            return ("validee", "Éligible")
        return ("rejetee", "Non éligible")

    def get_fil(self):
        return [
            ("Diagnostics d'éligibilité", reverse("label:diagnostic_liste")),
            (self.get_titre(), None),
        ]

    @cached_property
    def dossiers(self):
        return list(self.object.dossiers.all())

    def get_actions(self):
        d = self.object
        if (
            d.eligible
            and not self.dossiers
            and perms.peut_creer_dossier(self.request.user)
            and selectors.dossier_en_cours(d.entreprise) is None
        ):
            return [
                Action(
                    "Ouvrir le dossier de labellisation",
                    reverse("label:dossier_ouvrir", args=[d.pk]),
                    principale=True,
                    methode="post",
                )
            ]
        return []

    def get_sections(self):
        d = self.object
        return [
            Section(
                "Liste de vérification",
                [
                    Champ("Entreprise", d.entreprise, url=d.entreprise.get_absolute_url()),
                    Champ("Date", d.date, "date"),
                    Champ("Implantée sur le territoire", d.implantee_territoire, "booleen"),
                    Champ("Accepte les engagements du label", d.engagements, "booleen"),
                    Champ("Effectif salarié", d.effectif, "nombre"),
                    Champ("Label précédent", d.label_precedent),
                ],
            ),
            Section(
                "Résultat",
                [
                    Champ("Éligible", d.eligible, "booleen"),
                    Champ("Motifs", d.motifs),
                    Champ("Commentaire", d.commentaire),
                    Champ("Réalisé par", d.realise_par),
                    *[Champ("Dossier ouvert", x, url=x.get_absolute_url()) for x in self.dossiers],
                ],
            ),
        ]


class OuvrirDossierView(_ActionPost):
    def has_permission(self):
        return perms.peut_creer_dossier(self.request.user)

    def post(self, request, pk):
        diagnostic = get_object_or_404(DiagnosticEligibilite.objects.select_related(), pk=pk)
        try:
            dossier = dossiers_service.ouvrir_dossier(diagnostic, request.user)
        except ValidationError as erreur:
            messages.error(request, message_erreur(erreur))
            return redirect(diagnostic.get_absolute_url())
        messages.success(request, f"Dossier {dossier.annee} ouvert : en préparation.")
        return redirect(dossier.get_absolute_url())


# --- dossiers ----------------------------------------------------------------------------------


class DossierListeView(ListeView):
    titre = "Dossiers de labellisation"
    message_vide = "Aucun dossier de labellisation pour l'instant."
    filterset_class = DossierFilter
    tri_defaut = "-annee"
    nom_export = "dossiers-label"
    action_principale = (
        "Nouveau diagnostic",
        reverse_lazy("label:diagnostic_creer"),
        "label.add_diagnosticeligibilite",
    )
    colonnes = [
        Colonne(
            "Entreprise", "entreprise.raison_sociale", tri="entreprise__raison_sociale", lien=True
        ),
        Colonne("Année", "annee", tri="annee", numerique=True),
        Colonne("Statut", "get_statut_display", tri="statut", statut="statut"),
        Colonne("Animateur·rice", "animateur", tri="animateur__last_name"),
        Colonne("Déposé le", "date_depot", tri="date_depot", format="date"),
        Colonne("Actions", "nb_actions", tri="nb_actions", format="nombre", numerique=True),
    ]

    def has_permission(self):
        return perms.peut_voir_dossiers(self.request.user)

    def get_queryset(self):
        self.queryset = DossierLabel.objects.select_related("entreprise", "animateur").annotate(
            nb_actions=Count("actions", distinct=True)
        )
        return super().get_queryset()


def lignes_actions(
    dossier, actions, url_piece, url_modifier=None, url_supprimer=None, url_suppr_piece=None
):
    """Actions grouped by axis, each with what it lacks and its attachments' links
    (``(piece, download url, delete url)``)."""
    axes = []
    for code, libelle in Axe.choices:
        lignes = []
        for action in actions:
            if action.axe != code:
                continue
            lignes.append(
                {
                    "objet": action,
                    "manques": selectors.manques_action(action),
                    "pieces": [
                        (p, url_piece(p), url_suppr_piece(p) if url_suppr_piece else "")
                        for p in action.pieces.all()
                    ],
                    "url_modifier": url_modifier(action) if url_modifier else "",
                    "url_supprimer": url_supprimer(action) if url_supprimer else "",
                }
            )
        axes.append({"code": code, "libelle": libelle, "lignes": lignes})
    return axes


class DossierFicheView(FicheView):
    template_name = "label/dossier_fiche.html"
    queryset = DossierLabel.objects.select_related(
        "entreprise", "animateur", "label", "diagnostic_eligibilite", "dossier_precedent"
    )

    def has_permission(self):
        return perms.peut_voir_dossiers(self.request.user)

    def get_titre(self):
        return f"Dossier {self.object.entreprise} — {self.object.annee}"

    def get_statut(self):
        return (self.object.statut, self.object.get_statut_display())

    def get_fil(self):
        return [
            ("Dossiers de labellisation", reverse("label:dossier_liste")),
            (self.get_titre(), None),
        ]

    @cached_property
    def actions(self) -> list[ActionLabel]:
        return list(
            self.object.actions.prefetch_related(
                Prefetch("pieces", queryset=PieceJointe.objects.order_by("libelle", "pk"))
            ).order_by("axe", "intitule", "pk")
        )

    def get_actions(self):
        user, d = self.request.user, self.object
        actions = []
        if d.modifiable and perms.peut_modifier_dossier(user):
            actions.append(
                Action(
                    "Plan et bonnes pratiques",
                    reverse("label:dossier_contenu", args=[d.pk]),
                    principale=True,
                )
            )
        actions.append(Action("Dossier (PDF)", reverse("label:dossier_pdf", args=[d.pk])))
        return actions

    def get_sections(self):
        d = self.object
        label = getattr(d, "label", None)
        if label is None:
            champs_label = [Champ("Label", "Pas de label issu de ce dossier")]
        else:
            etat = etat_label_le(label, timezone.localdate())
            champs_label = [
                Champ("Label", etat.label, url=label.get_absolute_url()),
                Champ("Numéro", label.numero),
                Champ("Obtenu le", label.date_obtention, "date"),
                Champ("Expire le", label.date_expiration, "date"),
            ]
        diagnostic = d.diagnostic_eligibilite
        champs_dossier = [
            Champ("Entreprise", d.entreprise, url=d.entreprise.get_absolute_url()),
            Champ("Année de candidature", d.annee),
            Champ("Renouvellement", d.renouvellement, "booleen"),
            Champ("Animateur·rice", d.animateur),
            Champ("Déposé le", d.date_depot, "date"),
            Champ("Notes de diagnostic", d.diagnostic),
        ]
        if diagnostic is not None:
            champs_dossier.append(
                Champ(
                    "Diagnostic d'éligibilité",
                    f"{formats.date_fr(diagnostic.date)} — "
                    + ("éligible" if diagnostic.eligible else "non éligible"),
                    url=diagnostic.get_absolute_url(),
                )
            )
        if d.dossier_precedent_id:
            champs_dossier.append(
                Champ(
                    "Dossier précédent",
                    d.dossier_precedent.annee,
                    url=d.dossier_precedent.get_absolute_url(),
                )
            )
        return [
            Section("Dossier", champs_dossier),
            Section("Label Empl'itudes", champs_label),
        ]

    def get_tableaux(self):
        d = self.object
        voir_sessions = perms.peut_voir_sessions(self.request.user)
        passages = (
            d.passages.select_related("session")
            .prefetch_related(avis_prefetch())
            .order_by("session__date")
        )
        return [
            Tableau(
                "Passages en jury",
                ["Session", "Passage", "Décision", "Motivation", "Avis des membres"],
                [
                    [
                        (str(p.session), p.session.get_absolute_url() if voir_sessions else ""),
                        (formats.date_fr(p.debut), ""),
                        (p.get_decision_display() or "En attente", ""),
                        (p.motivation, ""),
                        (_resume_avis(p), ""),
                    ]
                    for p in passages
                ],
                vide="Pas encore présenté en jury.",
            )
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, d = self.request.user, self.object
        modifiable = d.modifiable and perms.peut_modifier_dossier(user)
        pieces_generales = [p for p in d.pieces.order_by("libelle", "pk") if p.action_id is None]
        context.update(
            completude=selectors.completude(d, self.actions),
            transitions=workflow.boutons(d, user),
            inscription_possible=any(
                t.code == "inscrire" for t in workflow.transitions_possibles(d, user)
            ),
            modifiable=modifiable,
            axes=lignes_actions(
                d,
                self.actions,
                url_piece=lambda p: reverse("label:piece_telecharger", args=[p.pk]),
                url_modifier=(lambda a: reverse("label:action_modifier", args=[a.pk]))
                if modifiable
                else None,
                url_supprimer=(lambda a: reverse("label:action_supprimer", args=[a.pk]))
                if modifiable
                else None,
                url_suppr_piece=(lambda p: reverse("label:piece_supprimer", args=[p.pk]))
                if modifiable
                else None,
            ),
            url_ajout_action=reverse("label:action_creer", args=[d.pk]) if modifiable else "",
            url_contenu=reverse("label:dossier_contenu", args=[d.pk]) if modifiable else "",
            pieces_generales=[
                (
                    p,
                    reverse("label:piece_telecharger", args=[p.pk]),
                    reverse("label:piece_supprimer", args=[p.pk]) if modifiable else "",
                )
                for p in pieces_generales
            ],
            piece_form=PieceForm(dossier=d) if modifiable else None,
            url_piece_ajout=reverse("label:piece_ajouter", args=[d.pk]),
            journal=list(
                d.journal.select_related("auteur", "contact").order_by("-le", "-pk")[:100]
            ),
            liens=list(d.liens.select_related("contact", "cree_par").order_by("-cree_le")),
            lien_form=LienForm(dossier=d) if modifiable and perms.peut_gerer_liens(user) else None,
            peut_revoquer=perms.peut_gerer_liens(user),
            maintenant=timezone.now(),
        )
        return context


class DossierContenuView(EditionView):
    """Good practice, the 3-year plan and the diagnosis notes."""

    def has_permission(self):
        return perms.peut_modifier_dossier(self.request.user)

    def get_objet(self):
        return get_object_or_404(
            DossierLabel.objects.select_related("entreprise"), pk=self.kwargs["pk"]
        )

    def get_titre(self):
        return f"Plan et bonnes pratiques — {self.objet.entreprise} {self.objet.annee}"

    def get_fil(self):
        return [
            ("Dossiers de labellisation", reverse("label:dossier_liste")),
            (f"{self.objet.entreprise} — {self.objet.annee}", self.objet.get_absolute_url()),
            ("Plan et bonnes pratiques", None),
        ]

    def get_formulaires(self, data=None):
        return {"contenu": ContenuAnimateurForm(data=data, instance=self.objet)}

    def enregistrer(self, formulaires, version_lue):
        dossier = formulaires["contenu"].save(commit=False)
        return dossiers_service.enregistrer_contenu(dossier, version_lue, user=self.request.user)

    def message_succes(self, objet):
        return "Plan et bonnes pratiques enregistrés."


class ActionEditionView(EditionView):
    """Add (``dossier_pk``, optional ``?axe=``) or edit (``pk``) an action."""

    def has_permission(self):
        return perms.peut_modifier_dossier(self.request.user)

    def get_objet(self):
        if "pk" in self.kwargs:
            action = get_object_or_404(
                ActionLabel.objects.select_related("dossier__entreprise"), pk=self.kwargs["pk"]
            )
            self.dossier = action.dossier
            return action
        self.dossier = get_object_or_404(
            DossierLabel.objects.select_related("entreprise"), pk=self.kwargs["dossier_pk"]
        )
        return None

    def get_titre(self):
        if self.objet is not None:
            return f"Action « {self.objet.intitule} »"
        return "Nouvelle action"

    def get_fil(self):
        return [
            ("Dossiers de labellisation", reverse("label:dossier_liste")),
            (f"{self.dossier.entreprise} — {self.dossier.annee}", self.dossier.get_absolute_url()),
            (self.get_titre(), None),
        ]

    def get_annulation(self):
        return self.dossier.get_absolute_url() + "#actions"

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
        return dossiers_service.enregistrer_action(action, version_lue, user=self.request.user)

    def message_succes(self, objet):
        return f"Action « {objet.intitule} » enregistrée."


class ActionSupprimerView(_ActionPost):
    def has_permission(self):
        return perms.peut_modifier_dossier(self.request.user)

    def post(self, request, pk):
        action = get_object_or_404(ActionLabel.objects.select_related("dossier"), pk=pk)
        try:
            dossiers_service.supprimer_action(action, user=request.user)
        except ValidationError as erreur:
            messages.error(request, message_erreur(erreur))
        else:
            messages.success(request, f"Action « {action.intitule} » supprimée.")
        return redirect(action.dossier.get_absolute_url() + "#actions")


class TransitionView(_ActionPost):
    """A move of the workflow asked from the dossier's page (permission checked by the
    transition itself, from the one table of ``label.services.workflow``)."""

    def has_permission(self):
        return perms.peut_voir_dossiers(self.request.user)

    def post(self, request, pk):
        dossier = get_object_or_404(DossierLabel, pk=pk)
        form = TransitionForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Demande incomplète : rien n'a été modifié.")
            return redirect(dossier.get_absolute_url())
        code = form.cleaned_data["code"]
        transition = workflow.PAR_CODE.get(code)
        if transition is not None and not request.user.has_perm(transition.permission):
            raise PermissionDenied
        try:
            workflow.appliquer(
                dossier,
                code,
                request.user,
                form.cleaned_data["commentaire"] or "",
                form.cleaned_data["version_lue"],
            )
        except (ValidationError, ConflitDeVersion) as erreur:
            messages.error(request, message_erreur(erreur))
        else:
            messages.success(
                request,
                f"{transition.libelle} : le dossier est « {dossier.get_statut_display()} ».",
            )
        return redirect(dossier.get_absolute_url())


# --- attachments -------------------------------------------------------------------------------


class PieceAjouterView(_ActionPost):
    def has_permission(self):
        return perms.peut_modifier_dossier(self.request.user)

    def post(self, request, pk):
        dossier = get_object_or_404(DossierLabel, pk=pk)
        form = PieceForm(request.POST, request.FILES, dossier=dossier)
        if form.is_valid():
            try:
                piece = pieces_service.ajouter_piece(
                    dossier,
                    form.cleaned_data["fichier"],
                    form.cleaned_data["libelle"],
                    form.cleaned_data["action"],
                    user=request.user,
                )
            except ValidationError as erreur:
                messages.error(request, REFUS_PIECE + message_erreur(erreur))
            else:
                messages.success(request, f"Pièce « {piece.libelle} » ajoutée.")
        else:
            messages.error(request, REFUS_PIECE + erreurs_formulaire(form))
        return redirect(dossier.get_absolute_url() + "#pieces")


def reponse_piece(piece: PieceJointe) -> FileResponse:
    try:
        fichier = piece.fichier.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("Fichier introuvable.") from None
    return FileResponse(
        fichier,
        as_attachment=True,
        filename=pieces_service.nom_telechargement(piece),
        content_type=pieces_service.content_type(piece),
    )


class PieceTelechargerView(PermissionRequiredMixin, View):
    """Download an attachment: only for whom may see the dossier (never a media URL)."""

    raise_exception = True

    def has_permission(self):
        return perms.peut_voir_dossiers(self.request.user)

    def get(self, request, pk):
        return reponse_piece(get_object_or_404(PieceJointe, pk=pk))


class PieceSupprimerView(_ActionPost):
    def has_permission(self):
        return perms.peut_modifier_dossier(self.request.user)

    def post(self, request, pk):
        piece = get_object_or_404(PieceJointe.objects.select_related("dossier"), pk=pk)
        try:
            pieces_service.supprimer_piece(piece, user=request.user)
        except ValidationError as erreur:
            messages.error(request, message_erreur(erreur))
        else:
            messages.success(request, f"Pièce « {piece.libelle} » supprimée.")
        return redirect(piece.dossier.get_absolute_url() + "#pieces")


# --- company links -----------------------------------------------------------------------------


class LienCreerView(_ActionPost):
    def has_permission(self):
        return perms.peut_gerer_liens(self.request.user)

    def post(self, request, pk):
        dossier = get_object_or_404(DossierLabel.objects.select_related("entreprise"), pk=pk)
        form = LienForm(request.POST, dossier=dossier)
        if not form.is_valid():
            messages.error(request, "Lien non créé : " + erreurs_formulaire(form))
            return redirect(dossier.get_absolute_url() + "#liens")
        try:
            lien, jeton = liens_service.creer_lien(
                dossier,
                form.cleaned_data["contact"],
                request.user,
                form.cleaned_data["duree_jours"],
            )
        except ValidationError as erreur:
            messages.error(request, "Lien non créé : " + message_erreur(erreur))
            return redirect(dossier.get_absolute_url() + "#liens")
        # Shown once, on this page: the token itself is never stored (only its fingerprint).
        return render(
            request,
            "label/lien_cree.html",
            {
                "titre": "Lien personnel envoyé",
                "fil": [
                    ("Dossiers de labellisation", reverse("label:dossier_liste")),
                    (f"{dossier.entreprise} — {dossier.annee}", dossier.get_absolute_url()),
                    ("Lien personnel", None),
                ],
                "lien": lien,
                "dossier": dossier,
                "url": liens_service.url_lien(jeton),
            },
        )


class LienRevoquerView(_ActionPost):
    def has_permission(self):
        return perms.peut_gerer_liens(self.request.user)

    def post(self, request, pk):
        lien = get_object_or_404(LienEntreprise.objects.select_related("dossier", "contact"), pk=pk)
        try:
            liens_service.revoquer(lien, request.user)
        except ValidationError as erreur:
            messages.error(request, message_erreur(erreur))
        else:
            messages.success(request, f"Lien de {lien.contact} révoqué : il ne donne plus accès.")
        return redirect(lien.dossier.get_absolute_url() + "#liens")
