"""Editing missions; recruitment needs and the « mise en relation » (proposals → mission).

Views stay thin: the rules are in ``heures.services.missions`` and ``heures.services.besoins``.
"""

from functools import cached_property

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse, reverse_lazy
from django.views import View

from entreprises.models import Entreprise
from heures import perms
from heures import selectors as heures_selectors
from heures.filters import BesoinFilter
from heures.forms.missions import (
    BesoinForm,
    MissionForm,
    ProposerForm,
    PropositionForm,
    RechercheParticipantsForm,
    TransitionForm,
)
from heures.models import (
    BesoinRecrutement,
    Mission,
    Participant,
    Proposition,
    StatutBesoin,
    StatutProposition,
)
from heures.services import besoins as besoins_service
from heures.services import missions as missions_service
from heures.views.listes import colonne_lot, libelles_criteres
from marches.models import Lot
from mife.core import formats, grammaire
from mife.core.concurrence import ConflitDeVersion
from mife.core.fiches import Action, Champ, FicheView, Section
from mife.core.formulaires import EditionView, PermissionAjoutOuModificationMixin
from mife.core.listes import Colonne, ListeView

LIBELLE_TRANSITION = {
    StatutProposition.ENTRETIEN: "Passer en entretien",
    StatutProposition.RETENU: "Retenir",
    StatutProposition.NON_RETENU: "Ne pas retenir",
}
CANDIDATS_PAR_PAGE = 20


def _entier(valeur) -> int | None:
    valeur = (valeur or "").strip()
    return int(valeur) if valeur.isdigit() else None


# --- missions ----------------------------------------------------------------------------------


class MissionEditionView(PermissionAjoutOuModificationMixin, EditionView):
    """Create or edit a mission; ``?participant=`` and ``?lot=`` prefill a new one."""

    model = Mission
    template_name = "heures/mission_edition.html"

    def get_objet(self):
        if "pk" in self.kwargs:
            return get_object_or_404(
                Mission.objects.select_related("participant", "lot__marche", "employeur"),
                pk=self.kwargs["pk"],
            )
        return None

    def get_titre(self):
        if self.objet is not None:
            return f"Modifier la mission {self.objet.reference}"
        return "Nouvelle mission"

    def get_fil(self):
        fil = [("Missions", reverse("heures:mission_liste"))]
        if self.objet is not None:
            fil.append((self.objet.reference, self.objet.get_absolute_url()))
        return [*fil, (self.get_titre(), None)]

    def get_annulation(self):
        if self.objet is not None:
            return self.objet.get_absolute_url()
        return reverse("heures:mission_liste")

    def get_initial(self) -> dict:
        initial = {}
        participant = _entier(self.request.GET.get("participant"))
        if participant and Participant.objects.filter(pk=participant).exists():
            initial["participant"] = participant
        lot = _entier(self.request.GET.get("lot"))
        lot = Lot.objects.filter(pk=lot).first() if lot else None
        if lot is not None:
            initial.update(lot=lot.pk, employeur=lot.titulaire_id, date_debut=lot.date_debut)
        return initial

    def get_formulaires(self, data=None):
        initial = None if (data or self.objet) else self.get_initial()
        return {"mission": MissionForm(data=data, instance=self.objet, initial=initial)}

    def enregistrer(self, formulaires, version_lue):
        mission = formulaires["mission"].save(commit=False)
        return missions_service.enregistrer_mission(mission, version_lue, self.request.user)

    def message_succes(self, objet):
        message = f"Mission {objet.reference} enregistrée."
        if missions_service.derogation_appliquee(objet):
            message += " Dérogation à l'éligibilité enregistrée dans l'historique."
        return message

    def contexte(self, formulaires, version_form):
        contexte = super().contexte(formulaires, version_form)
        contexte["eligibilite"] = self.eligibilite(formulaires["mission"])
        return contexte

    def eligibilite(self, form) -> dict | None:
        """The participant's criteria on the first day (shown beside the form)."""
        participant = form["participant"].value()
        debut = form["date_debut"].value()
        try:
            participant = form.fields["participant"].clean(participant)
            debut = form.fields["date_debut"].clean(debut)
        except ValidationError:
            return None
        if participant is None or debut is None:
            return None
        resultat = heures_selectors.eligibilite(participant, debut)
        return {
            "participant": participant.nom_affiche,
            "jour": debut,
            "eligible": resultat.eligible,
            "raisons": resultat.raisons(self.request.user),
        }


class PropositionMissionView(MissionEditionView):
    """The mission of a retained proposal, prefilled from its need.

    « Créer la mission » on the need's page posts ``un_clic`` alone: the prefilled values are
    saved at once if every rule holds; otherwise this form shows them with the errors.
    """

    def get_permission_required(self):
        return ["heures.add_mission", "heures.change_proposition"]

    def get_objet(self):
        self.proposition = get_object_or_404(
            Proposition.objects.select_related(
                "participant", "besoin__lot__marche", "besoin__entreprise", "mission"
            ),
            pk=self.kwargs["proposition_pk"],
        )
        return None

    def refus(self):
        """Why this proposal cannot become a mission now (checked again under lock)."""
        p = self.proposition
        if p.mission is not None:
            messages.error(
                self.request,
                f"La mission {p.mission.reference} a déjà été créée pour cette proposition "
                f"le {formats.date_fr(p.mission.cree_le)}.",
            )
            return redirect(p.mission.get_absolute_url())
        if p.statut != StatutProposition.RETENU:
            messages.error(
                self.request,
                "Seule une proposition retenue devient une mission "
                f"(celle-ci est « {p.get_statut_display()} »).",
            )
            return redirect(p.get_absolute_url())
        return None

    def get_titre(self):
        return f"Mission de {self.proposition.participant.nom_affiche}"

    def get_fil(self):
        besoin = self.proposition.besoin
        return [
            ("Besoins de recrutement", reverse("heures:besoin_liste")),
            (str(besoin), besoin.get_absolute_url()),
            (self.get_titre(), None),
        ]

    def get_annulation(self):
        return self.proposition.get_absolute_url()

    def get_initial(self):
        mission = besoins_service.mission_preremplie(self.proposition)
        return {
            "participant": mission.participant_id,
            "lot": mission.lot_id,
            "employeur": mission.employeur_id,
            "modalite": mission.modalite,
            "type_contrat": mission.type_contrat,
            "poste": mission.poste,
            "date_debut": mission.date_debut,
            "date_fin": mission.date_fin,
            "heures_prevues": mission.heures_prevues,
        }

    def get_formulaires(self, data=None):
        fixes = ("participant", "lot")
        initial = self.get_initial()
        if data is not None and "un_clic" in data:
            data = {
                cle: ("" if valeur is None else valeur.isoformat())
                if hasattr(valeur, "isoformat")
                else ("" if valeur is None else str(valeur))
                for cle, valeur in initial.items()
            }
        return {"mission": MissionForm(data=data, initial=initial, fixes=fixes)}

    def enregistrer(self, formulaires, version_lue):
        mission = formulaires["mission"].save(commit=False)
        return besoins_service.creer_mission(self.proposition, mission, self.request.user)

    def message_succes(self, objet):
        return (
            f"Mission {objet.reference} créée pour {objet.participant.nom_affiche} "
            f"chez {objet.employeur}."
            + (
                " Dérogation à l'éligibilité enregistrée dans l'historique."
                if missions_service.derogation_appliquee(objet)
                else ""
            )
        )


# --- needs -------------------------------------------------------------------------------------


class BesoinListeView(ListeView):
    titre = "Besoins de recrutement"
    message_vide = "Aucun besoin de recrutement pour l'instant."
    filterset_class = BesoinFilter
    tri_defaut = "-date_debut"
    nom_export = "besoins"
    permission_required = "heures.view_besoinrecrutement"
    action_principale = (
        "Nouveau besoin",
        reverse_lazy("heures:besoin_creer"),
        "heures.add_besoinrecrutement",
    )
    colonnes = [
        Colonne("Poste", "poste", tri="poste", lien=True),
        Colonne("Entreprise", "entreprise.raison_sociale", tri="entreprise__raison_sociale"),
        colonne_lot(),
        Colonne("Début souhaité", "date_debut", tri="date_debut", format="date"),
        Colonne("Commune", "commune", tri="commune"),
        Colonne("Postes", "nombre_postes", tri="nombre_postes", numerique=True),
        Colonne("Proposés", "nb_propositions", tri="nb_propositions", numerique=True),
        Colonne("Retenus", "nb_retenus", tri="nb_retenus", numerique=True),
        Colonne(
            "Statut",
            "get_statut_display",
            tri="statut",
            statut="statut",
        ),
    ]

    def get_queryset(self):
        self.queryset = BesoinRecrutement.objects.select_related(
            "entreprise", "lot__marche"
        ).annotate(
            nb_propositions=Count("propositions", distinct=True),
            nb_retenus=Count(
                "propositions",
                filter=Q(propositions__statut=StatutProposition.RETENU),
                distinct=True,
            ),
        )
        return super().get_queryset()


class BesoinEditionView(PermissionAjoutOuModificationMixin, EditionView):
    model = BesoinRecrutement
    template_name = "heures/besoin_edition.html"

    def get_objet(self):
        if "pk" in self.kwargs:
            return get_object_or_404(
                BesoinRecrutement.objects.select_related("lot__marche", "entreprise"),
                pk=self.kwargs["pk"],
            )
        return None

    def get_titre(self):
        return f"Modifier le besoin « {self.objet} »" if self.objet else "Nouveau besoin"

    def get_fil(self):
        fil = [("Besoins de recrutement", reverse("heures:besoin_liste"))]
        if self.objet is not None:
            fil.append((str(self.objet), self.objet.get_absolute_url()))
        return [*fil, (self.get_titre(), None)]

    def get_annulation(self):
        if self.objet is not None:
            return self.objet.get_absolute_url()
        return reverse("heures:besoin_liste")

    def get_initial(self) -> dict:
        initial = {}
        lot = _entier(self.request.GET.get("lot"))
        lot = Lot.objects.filter(pk=lot).first() if lot else None
        if lot is not None:
            initial.update(lot=lot.pk, entreprise=lot.titulaire_id)
            if lot.date_debut:
                initial["date_debut"] = lot.date_debut
        entreprise = _entier(self.request.GET.get("entreprise"))
        if entreprise and Entreprise.objects.filter(pk=entreprise).exists():
            initial["entreprise"] = entreprise
        return initial

    def get_formulaires(self, data=None):
        initial = None if (data or self.objet) else self.get_initial()
        return {"besoin": BesoinForm(data=data, instance=self.objet, initial=initial)}

    def enregistrer(self, formulaires, version_lue):
        besoin = formulaires["besoin"].save(commit=False)
        return besoins_service.enregistrer_besoin(besoin, version_lue, self.request.user)

    def message_succes(self, objet):
        return f"Besoin « {objet} » enregistré."


class BesoinFicheView(FicheView):
    """A need: its proposals with their follow-up, and the search of participants to propose."""

    template_name = "heures/besoin_fiche.html"
    permission_required = "heures.view_besoinrecrutement"
    queryset = BesoinRecrutement.objects.select_related("lot__marche__donneur_ordre", "entreprise")

    def get_titre(self):
        return f"Besoin : {self.object.poste} — {self.object.entreprise}"

    def get_statut(self):
        b = self.object
        return (b.statut, b.get_statut_display())

    def get_fil(self):
        return [
            ("Besoins de recrutement", reverse("heures:besoin_liste")),
            (str(self.object), None),
        ]

    def get_actions(self):
        user, b = self.request.user, self.object
        actions = []
        if user.has_perm("heures.change_besoinrecrutement"):
            actions.append(
                Action("Modifier", reverse("heures:besoin_modifier", args=[b.pk]), principale=True)
            )
            statut = reverse("heures:besoin_statut", args=[b.pk])
            if b.statut == StatutBesoin.ANNULE:
                actions.append(
                    Action("Rouvrir le besoin", f"{statut}?action=rouvrir", methode="post")
                )
            else:
                actions.append(
                    Action("Annuler le besoin", f"{statut}?action=annuler", methode="post")
                )
        return actions

    def get_sections(self):
        b = self.object
        return [
            Section(
                "Besoin",
                [
                    Champ("Entreprise", b.entreprise, url=b.entreprise.get_absolute_url()),
                    Champ("Lot", b.lot, url=b.lot.get_absolute_url()),
                    Champ("Donneur d'ordre", b.lot.marche.donneur_ordre),
                    Champ("Poste", b.poste),
                    Champ("Nombre de postes", b.nombre_postes, "nombre"),
                    Champ("Retenus", len(self.retenues), "nombre"),
                    Champ("Exigences et compétences", b.exigences),
                ],
            ),
            Section(
                "Contrat proposé",
                [
                    Champ("Début souhaité", b.date_debut, "date"),
                    Champ("Fin prévue", b.date_fin, "date"),
                    Champ("Modalité", b.get_modalite_display()),
                    Champ("Type de contrat", b.get_type_contrat_display()),
                    Champ("Heures prévues par poste", b.heures_prevues, "heures"),
                    Champ("Commune du poste", b.commune),
                ],
            ),
        ]

    @cached_property
    def propositions(self) -> list[Proposition]:
        jour = self.object.date_debut
        return list(
            self.object.propositions.select_related("participant", "mission", "modifie_par")
            .prefetch_related(_criteres_du_jour(jour))
            .order_by("date_proposition", "pk")
        )

    @cached_property
    def retenues(self) -> list[Proposition]:
        return [p for p in self.propositions if p.statut == StatutProposition.RETENU]

    def lignes_propositions(self) -> list[dict]:
        user = self.request.user
        voir_personnes = perms.peut_voir_participants(user)
        voir_missions = perms.peut_voir_missions(user)
        peut_changer = user.has_perm("heures.change_proposition")
        peut_creer_mission = peut_changer and user.has_perm("heures.add_mission")
        lignes = []
        for p in self.propositions:
            p.besoin = self.object  # already loaded: no query per row
            transitions = besoins_service.transitions_possibles(p) if peut_changer else ()
            lignes.append(
                {
                    "objet": p,
                    "nom": p.participant.nom_affiche
                    if voir_personnes
                    else p.participant.initiales_affichees,
                    "url": p.participant.get_absolute_url() if voir_personnes else "",
                    "criteres": libelles_criteres(user, p.participant.criteres_du_jour),
                    "transitions": [(t, LIBELLE_TRANSITION[t]) for t in transitions],
                    "creer_mission": peut_creer_mission
                    and p.statut == StatutProposition.RETENU
                    and p.mission_id is None,
                    "mission_url": p.mission.get_absolute_url()
                    if p.mission_id and voir_missions
                    else "",
                    "modifier_url": reverse("heures:proposition_modifier", args=[p.pk])
                    if peut_changer
                    else "",
                }
            )
        return lignes

    def recherche(self) -> dict | None:
        user = self.request.user
        if not perms.peut_voir_participants(user):
            return None
        form = RechercheParticipantsForm(self.request.GET or None, user=user)
        filtres = form.filtres() if form.is_bound else {}
        candidats = besoins_service.candidats(self.object, filtres)
        page = Paginator(candidats, CANDIDATS_PAR_PAGE).get_page(self.request.GET.get("page"))
        lignes = [
            {
                "objet": p,
                "nom": p.nom_affiche,
                "criteres": libelles_criteres(user, p.criteres_du_jour),
            }
            for p in page.object_list
        ]
        return {
            "form": form,
            "page_obj": page,
            "is_paginated": page.has_other_pages(),
            "lignes": lignes,
            "peut_proposer": user.has_perm("heures.add_proposition")
            and self.object.statut == StatutBesoin.OUVERT,
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        recherche = self.recherche()
        context.update(
            propositions=self.lignes_propositions(),
            recherche=recherche,
            page_obj=recherche["page_obj"] if recherche else None,
            is_paginated=recherche["is_paginated"] if recherche else False,
        )
        return context


def _criteres_du_jour(jour) -> Prefetch:
    return besoins_service.criteres_du_jour(jour, "participant__criteres_valides")


class _ActionPost(PermissionRequiredMixin, View):
    raise_exception = True
    http_method_names = ["post"]


class BesoinStatutView(_ActionPost):
    """Cancel a need, or reopen a cancelled one."""

    permission_required = "heures.change_besoinrecrutement"

    def post(self, request, pk):
        besoin = get_object_or_404(BesoinRecrutement, pk=pk)
        annuler = request.GET.get("action") == "annuler"
        try:
            besoins_service.changer_statut_besoin(besoin, annuler, besoin.version, request.user)
        except (ValidationError, ConflitDeVersion) as erreur:
            messages.error(request, _message(erreur))
        else:
            messages.success(
                request,
                "Besoin annulé."
                if annuler
                else f"Besoin rouvert : {besoin.get_statut_display().lower()}.",
            )
        return redirect(besoin.get_absolute_url())


class ProposerView(_ActionPost):
    permission_required = "heures.add_proposition"

    def post(self, request, pk):
        besoin = get_object_or_404(BesoinRecrutement, pk=pk)
        form = ProposerForm(request.POST)
        retour = besoin.get_absolute_url()
        recherche = request.POST.get("recherche", "")
        if recherche:
            retour += f"?{recherche}"
        if not form.is_valid():
            messages.error(
                request, " ".join(e for erreurs in form.errors.values() for e in erreurs)
            )
            return redirect(retour + "#proposer")
        participant = form.cleaned_data["participant"]
        try:
            besoins_service.proposer(
                besoin, participant, request.user, form.cleaned_data["commentaire"]
            )
        except ValidationError as erreur:
            messages.error(request, _message(erreur))
            return redirect(retour + "#proposer")
        messages.success(
            request,
            f"{participant.nom_affiche} {grammaire.accorde('proposé', participant)} "
            "pour ce besoin.",
        )
        return redirect(retour + "#propositions")


class PropositionStatutView(_ActionPost):
    permission_required = "heures.change_proposition"

    def post(self, request, pk):
        proposition = get_object_or_404(Proposition.objects.select_related("participant"), pk=pk)
        form = TransitionForm(request.POST)
        if form.is_valid():
            statut = form.cleaned_data["statut"]
            try:
                besoins_service.changer_statut(
                    proposition,
                    statut,
                    form.cleaned_data["version_lue"],
                    request.user,
                    form.cleaned_data["commentaire"],
                )
            except (ValidationError, ConflitDeVersion) as erreur:
                messages.error(request, _message(erreur))
            else:
                messages.success(
                    request,
                    f"{proposition.participant.nom_affiche} : "
                    f"{StatutProposition(statut).label.lower()}.",
                )
        else:
            messages.error(request, "Statut inconnu : rien n'a été modifié.")
        return redirect(
            reverse("heures:besoin_detail", args=[proposition.besoin_id])
            + f"#proposition-{proposition.pk}"
        )


class PropositionEditionView(EditionView):
    """Dates and comment of a proposal (its status moves with the buttons of the need)."""

    permission_required = "heures.change_proposition"

    def get_objet(self):
        return get_object_or_404(
            Proposition.objects.select_related("participant", "besoin__entreprise"),
            pk=self.kwargs["pk"],
        )

    def get_titre(self):
        return f"Proposition de {self.objet.participant.nom_affiche}"

    def get_fil(self):
        besoin = self.objet.besoin
        return [
            ("Besoins de recrutement", reverse("heures:besoin_liste")),
            (str(besoin), besoin.get_absolute_url()),
            (self.get_titre(), None),
        ]

    def get_formulaires(self, data=None):
        return {"proposition": PropositionForm(data=data, instance=self.objet)}

    def enregistrer(self, formulaires, version_lue):
        proposition = formulaires["proposition"].save(commit=False)
        return besoins_service.enregistrer_proposition(proposition, version_lue, self.request.user)

    def message_succes(self, objet):
        return "Proposition enregistrée."


def _message(erreur: Exception) -> str:
    if isinstance(erreur, ValidationError):
        return " ".join(erreur.messages)
    return str(erreur)
