"""Jury sessions: members, agenda with time slots, convocations, attendance, opinions,
decisions, minutes (PV) and the dossiers as PDF; the jury members' list."""

from functools import cached_property

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.text import slugify
from django.views import View

from label import perms, selectors
from label.filters import SessionFilter
from label.forms import DATE_HEURE, MembreForm, SessionForm
from label.models import (
    Avis,
    AvisMembre,
    College,
    ConvocationJury,
    Decision,
    DossierLabel,
    MembreJury,
    PassageJury,
    SessionJury,
    StatutDossier,
    StatutSession,
)
from label.services import documents
from label.services import sessions as sessions_service
from label.views.dossiers import _ActionPost, message_erreur
from mife.core import formats, grammaire
from mife.core.concurrence import ConflitDeVersion
from mife.core.fiches import Action, Champ, FicheView, Section
from mife.core.filtres import OuiNonFilter, recherche_texte
from mife.core.formulaires import EditionView
from mife.core.listes import Colonne, ListeView


def _presence(valeur) -> str:
    return {True: "Présent·e", False: "Absent·e"}.get(valeur, "Non renseignée")


def nom_membre(membre) -> str:
    return " ".join(x for x in (membre.civilite, membre.prenom, membre.nom) if x)


def reponse_pdf(contenu: bytes, nom: str) -> HttpResponse:
    reponse = HttpResponse(contenu, content_type="application/pdf")
    reponse["Content-Disposition"] = f'inline; filename="{nom}"'
    return reponse


# --- sessions: list, edit ----------------------------------------------------------------------


class SessionListeView(ListeView):
    titre = "Sessions de jury"
    message_vide = "Aucune session de jury pour l'instant."
    filterset_class = SessionFilter
    tri_defaut = "-date"
    nom_export = "sessions-jury"
    action_principale = (
        "Nouvelle session",
        reverse_lazy("label:session_creer"),
        "label.add_sessionjury",
    )
    colonnes = [
        Colonne("Date", "date", tri="date", format="date", lien=True),
        Colonne("Lieu", "lieu", tri="lieu"),
        Colonne("Statut", "get_statut_display", tri="statut", statut="statut"),
        Colonne("Dossiers", "nb_dossiers", tri="nb_dossiers", format="nombre", numerique=True),
        Colonne("Membres", "nb_membres", tri="nb_membres", format="nombre", numerique=True),
    ]

    def has_permission(self):
        return perms.peut_voir_sessions(self.request.user)

    def get_queryset(self):
        self.queryset = SessionJury.objects.annotate(
            nb_dossiers=Count("passages", distinct=True),
            nb_membres=Count("convocations", distinct=True),
        )
        return super().get_queryset()


class SessionEditionView(EditionView):
    def has_permission(self):
        return perms.peut_gerer_sessions(self.request.user)

    def get_objet(self):
        if "pk" in self.kwargs:
            return get_object_or_404(SessionJury, pk=self.kwargs["pk"])
        return None

    def get_titre(self):
        return f"Modifier la session « {self.objet} »" if self.objet else "Nouvelle session de jury"

    def get_fil(self):
        fil = [("Sessions de jury", reverse("label:session_liste"))]
        if self.objet is not None:
            fil.append((str(self.objet), self.objet.get_absolute_url()))
        return [*fil, (self.get_titre(), None)]

    def get_annulation(self):
        return self.objet.get_absolute_url() if self.objet else reverse("label:session_liste")

    def get_formulaires(self, data=None):
        return {"session": SessionForm(data=data, instance=self.objet)}

    def enregistrer(self, formulaires, version_lue):
        session = formulaires["session"].save(commit=False)
        return sessions_service.enregistrer_session(session, version_lue, self.request.user)

    def message_succes(self, objet):
        return f"Session du {formats.date_fr(objet.date)} enregistrée."


# --- the session's page ------------------------------------------------------------------------


class SessionFicheView(FicheView):
    template_name = "label/session_fiche.html"
    queryset = SessionJury.objects.all()

    def has_permission(self):
        return perms.peut_voir_sessions(self.request.user)

    def get_statut(self):
        return (self.object.statut, self.object.get_statut_display())

    def get_fil(self):
        return [("Sessions de jury", reverse("label:session_liste")), (self.get_titre(), None)]

    @cached_property
    def convocations(self) -> list[ConvocationJury]:
        return list(
            self.object.convocations.select_related("membre").order_by(
                "membre__college", "membre__nom", "membre__prenom"
            )
        )

    @cached_property
    def passages(self) -> list[PassageJury]:
        return list(
            self.object.passages.select_related("dossier__entreprise")
            .prefetch_related(
                Prefetch(
                    "avis",
                    queryset=AvisMembre.objects.select_related("membre").order_by("membre__nom"),
                )
            )
            .order_by("ordre", "pk")
        )

    @cached_property
    def quorum(self):
        return selectors.quorum(self.object, self.convocations)

    def get_actions(self):
        s, user = self.object, self.request.user
        actions = []
        if perms.peut_gerer_sessions(user):
            if s.statut == StatutSession.PLANIFIEE:
                actions.append(Action("Modifier", reverse("label:session_modifier", args=[s.pk])))
                actions.append(Action("Membres", reverse("label:session_membres", args=[s.pk])))
                if s.date > timezone.now():
                    actions.append(
                        Action(
                            "Envoyer les convocations",
                            reverse("label:session_convocations", args=[s.pk]),
                            principale=True,
                            methode="post",
                        )
                    )
                else:
                    actions.append(
                        Action(
                            "Marquer la session comme tenue",
                            reverse("label:session_tenue", args=[s.pk]),
                            principale=True,
                            methode="post",
                        )
                    )
                actions.append(
                    Action(
                        "Annuler la session",
                        reverse("label:session_annuler", args=[s.pk]),
                        methode="post",
                    )
                )
            if s.statut == StatutSession.TENUE:
                actions.append(
                    Action(
                        "Clôturer la session",
                        reverse("label:session_cloturer", args=[s.pk]),
                        principale=True,
                        methode="post",
                    )
                )
        if s.statut in (StatutSession.TENUE, StatutSession.CLOTUREE):
            actions.append(Action("Procès-verbal (PDF)", reverse("label:session_pv", args=[s.pk])))
        return actions

    def get_sections(self):
        s = self.object
        return [
            Section(
                "Session",
                [
                    Champ("Date et heure", s.date, "date"),
                    Champ("Lieu", s.lieu),
                    Champ("Durée d'un passage", f"{s.duree_passage} minutes"),
                    Champ("Convocations envoyées le", s.convocations_envoyees_le, "date"),
                    Champ("Dossiers à l'ordre du jour", len(self.passages), "nombre"),
                ],
            ),
            Section(
                "Présence et quorum",
                [
                    Champ("Membres convoqués", self.quorum.convoques, "nombre"),
                    Champ("Membres présents", self.quorum.presents, "nombre"),
                    Champ("Quorum requis", self.quorum.requis, "nombre"),
                    Champ("Quorum", "atteint" if self.quorum.atteint else "non atteint"),
                    Champ("Compte rendu", s.compte_rendu),
                ],
            ),
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        s, user = self.object, self.request.user
        gerer = perms.peut_gerer_sessions(user)
        tenue = selectors.session_tenue(s)
        presents = [c.membre for c in self.convocations if c.present]
        lignes = []
        for p in self.passages:
            avis = {a.membre_id: a for a in p.avis.all()}
            lignes.append(
                {
                    "passage": p,
                    "avis": list(p.avis.all()),
                    "grille": [(m, avis.get(m.pk)) for m in presents],
                    "peut_avis": tenue and not p.decision and perms.peut_decider(user),
                    "peut_decider": tenue and not p.decision and perms.peut_decider(user),
                    "peut_retirer": gerer and s.statut == StatutSession.PLANIFIEE,
                }
            )
        context.update(
            convocations=self.convocations,
            lignes=lignes,
            quorum=self.quorum,
            tenue=tenue,
            planifiee=s.statut == StatutSession.PLANIFIEE,
            peut_gerer=gerer,
            peut_noter_presences=gerer
            and s.statut in (StatutSession.PLANIFIEE, StatutSession.TENUE)
            and s.date <= timezone.now(),
            recevables=list(
                DossierLabel.objects.filter(statut=StatutDossier.RECEVABLE)
                .select_related("entreprise")
                .order_by("entreprise__raison_sociale")
            )
            if gerer and s.statut == StatutSession.PLANIFIEE
            else [],
            avis_choices=Avis.choices,
            decisions=Decision.choices,
            voir_dossiers=perms.peut_voir_dossiers(user),
        )
        return context


class _SessionPost(_ActionPost):
    def has_permission(self):
        return perms.peut_gerer_sessions(self.request.user)

    def get_session(self, pk) -> SessionJury:
        return get_object_or_404(SessionJury, pk=pk)


class SessionMembresView(PermissionRequiredMixin, View):
    """Choose the convened members, grouped by college."""

    raise_exception = True

    def has_permission(self):
        return perms.peut_gerer_sessions(self.request.user)

    def contexte(self, session, choisis):
        membres = list(sessions_service.membres_actifs())
        deja = {c.membre_id for c in session.convocations.all()}
        inactifs = list(MembreJury.objects.filter(pk__in=deja, actif=False))
        colleges = []
        for code, libelle in College.choices:
            du_college = [m for m in [*membres, *inactifs] if m.college == code]
            if du_college:
                colleges.append((libelle, [(m, m.pk in choisis) for m in du_college]))
        return {
            "titre": f"Membres convoqués — {session}",
            "fil": [
                ("Sessions de jury", reverse("label:session_liste")),
                (str(session), session.get_absolute_url()),
                ("Membres", None),
            ],
            "session": session,
            "colleges": colleges,
        }

    def get(self, request, pk):
        session = get_object_or_404(SessionJury, pk=pk)
        choisis = set(session.convocations.values_list("membre_id", flat=True))
        return render(request, "label/session_membres.html", self.contexte(session, choisis))

    def post(self, request, pk):
        session = get_object_or_404(SessionJury, pk=pk)
        ids = [int(x) for x in request.POST.getlist("membres") if x.isdigit()]
        membres = list(MembreJury.objects.filter(pk__in=ids))
        try:
            sessions_service.definir_membres(session, membres, request.user)
        except ValidationError as erreur:
            messages.error(request, message_erreur(erreur))
            return render(request, "label/session_membres.html", self.contexte(session, set(ids)))
        messages.success(
            request,
            grammaire.pluriel(len(membres), "membre convoqué", "membres convoqués")
            + " à cette session.",
        )
        return redirect(session.get_absolute_url())


class InscrireView(_SessionPost):
    def post(self, request, pk):
        session = self.get_session(pk)
        dossier = DossierLabel.objects.filter(pk=request.POST.get("dossier") or 0).first()
        if dossier is None:
            messages.error(request, "Choisissez un dossier recevable à inscrire.")
            return redirect(session.get_absolute_url() + "#ordre-du-jour")
        try:
            passage = sessions_service.inscrire(session, dossier, request.user)
        except (ValidationError, ConflitDeVersion) as erreur:
            messages.error(request, message_erreur(erreur))
        else:
            messages.success(
                request,
                f"{dossier.entreprise} inscrit à l'ordre du jour, passage à "
                f"{timezone.localtime(passage.debut):%H:%M}.",
            )
        return redirect(session.get_absolute_url() + "#ordre-du-jour")


class RetirerView(_SessionPost):
    def post(self, request, pk):
        passage = get_object_or_404(PassageJury.objects.select_related("session", "dossier"), pk=pk)
        try:
            sessions_service.retirer(passage, request.user)
        except ValidationError as erreur:
            messages.error(request, message_erreur(erreur))
        else:
            messages.success(
                request, f"{passage.dossier.entreprise} retiré de l'ordre du jour : recevable."
            )
        return redirect(passage.session.get_absolute_url() + "#ordre-du-jour")


class CreneauForm(forms.Form):
    ordre = forms.IntegerField(label="Ordre de passage", min_value=1)
    debut = forms.DateTimeField(label="Heure de passage", widget=DATE_HEURE)
    duree = forms.IntegerField(label="Durée (minutes)", min_value=5, max_value=240)
    legende = "Créneau de présentation"


class CreneauView(PermissionRequiredMixin, View):
    raise_exception = True
    template_name = "formulaires/edition.html"

    def has_permission(self):
        return perms.peut_gerer_sessions(self.request.user)

    def contexte(self, passage, form):
        titre = f"Créneau de {passage.dossier.entreprise}"
        return {
            "titre": titre,
            "fil": [
                ("Sessions de jury", reverse("label:session_liste")),
                (str(passage.session), passage.session.get_absolute_url()),
                (titre, None),
            ],
            "formulaires": {"creneau": form},
            "version_form": None,
            "annulation": passage.session.get_absolute_url(),
        }

    def get(self, request, pk):
        passage = get_object_or_404(PassageJury.objects.select_related("session"), pk=pk)
        form = CreneauForm(
            initial={"ordre": passage.ordre, "debut": passage.debut, "duree": passage.duree}
        )
        return render(request, self.template_name, self.contexte(passage, form))

    def post(self, request, pk):
        passage = get_object_or_404(
            PassageJury.objects.select_related("session", "dossier__entreprise"), pk=pk
        )
        form = CreneauForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                sessions_service.modifier_creneau(
                    passage, d["ordre"], d["debut"], d["duree"], request.user
                )
            except ValidationError as erreur:
                for champ, erreurs in erreur.message_dict.items():
                    form.add_error(champ if champ in form.fields else None, erreurs)
            else:
                messages.success(request, f"Créneau de {passage.dossier.entreprise} enregistré.")
                return redirect(passage.session.get_absolute_url() + "#ordre-du-jour")
        return render(request, self.template_name, self.contexte(passage, form))


class ConvocationsView(_SessionPost):
    def post(self, request, pk):
        session = self.get_session(pk)
        try:
            bilan = sessions_service.envoyer_convocations(session, request.user)
        except ValidationError as erreur:
            messages.error(request, message_erreur(erreur))
        else:
            messages.success(request, str(bilan))
        return redirect(session.get_absolute_url())


class PresencesView(_SessionPost):
    def post(self, request, pk):
        session = self.get_session(pk)
        valeurs = {"present": True, "absent": False, "": None}
        presences = {}
        for convocation in session.convocations.all():
            choix = request.POST.get(f"presence-{convocation.pk}")
            if choix in valeurs:
                presences[convocation.pk] = valeurs[choix]
        try:
            sessions_service.enregistrer_presences(session, presences, request.user)
        except ValidationError as erreur:
            messages.error(request, message_erreur(erreur))
        else:
            messages.success(request, f"Présences enregistrées. {selectors.quorum(session)}.")
        return redirect(session.get_absolute_url() + "#membres")


class TenueView(_SessionPost):
    def post(self, request, pk):
        session = self.get_session(pk)
        try:
            sessions_service.marquer_tenue(session, request.user)
        except (ValidationError, ConflitDeVersion) as erreur:
            messages.error(request, message_erreur(erreur))
        else:
            messages.success(
                request, "Session tenue : notez les présences, les avis et les décisions."
            )
        return redirect(session.get_absolute_url())


class AnnulerView(_SessionPost):
    def post(self, request, pk):
        session = self.get_session(pk)
        try:
            sessions_service.annuler(session, request.user)
        except (ValidationError, ConflitDeVersion) as erreur:
            messages.error(request, message_erreur(erreur))
        else:
            messages.success(
                request, "Session annulée : ses dossiers sont de nouveau « recevables »."
            )
        return redirect(session.get_absolute_url())


class CloturerView(_SessionPost):
    def post(self, request, pk):
        session = self.get_session(pk)
        try:
            sessions_service.cloturer(session, request.user)
        except (ValidationError, ConflitDeVersion) as erreur:
            messages.error(request, message_erreur(erreur))
        else:
            messages.success(request, "Session clôturée : le procès-verbal est archivé.")
        return redirect(session.get_absolute_url())


class AvisView(_ActionPost):
    def has_permission(self):
        return perms.peut_decider(self.request.user)

    def post(self, request, pk):
        passage = get_object_or_404(
            PassageJury.objects.select_related("session", "dossier__entreprise"), pk=pk
        )
        saisis = {}
        for cle in request.POST:
            if cle.startswith("avis-") and cle[5:].isdigit():
                membre = int(cle[5:])
                saisis[membre] = (
                    request.POST.get(cle, ""),
                    request.POST.get(f"commentaire-{membre}", ""),
                )
        try:
            nombre = sessions_service.enregistrer_avis(passage, saisis, request.user)
        except ValidationError as erreur:
            messages.error(request, "Avis non enregistrés : " + message_erreur(erreur))
        else:
            messages.success(
                request,
                f"{grammaire.pluriel(nombre, 'avis enregistré', 'avis enregistrés')} pour "
                f"{passage.dossier.entreprise}.",
            )
        return redirect(passage.session.get_absolute_url() + f"#passage-{passage.pk}")


class DecisionView(_ActionPost):
    def has_permission(self):
        return perms.peut_decider(self.request.user)

    def post(self, request, pk):
        passage = get_object_or_404(
            PassageJury.objects.select_related("session", "dossier__entreprise"), pk=pk
        )
        try:
            sessions_service.decider(
                passage,
                request.POST.get("decision", ""),
                request.POST.get("motivation", ""),
                request.user,
            )
        except (ValidationError, ConflitDeVersion) as erreur:
            messages.error(request, "Décision non enregistrée : " + message_erreur(erreur))
        else:
            passage.refresh_from_db()
            messages.success(
                request, f"{passage.dossier.entreprise} : {passage.get_decision_display().lower()}."
            )
        return redirect(passage.session.get_absolute_url() + f"#passage-{passage.pk}")


class PvPdfView(PermissionRequiredMixin, View):
    raise_exception = True

    def has_permission(self):
        return perms.peut_voir_sessions(self.request.user)

    def get(self, request, pk):
        session = get_object_or_404(SessionJury, pk=pk)
        nom = f"pv-jury-{timezone.localtime(session.date):%Y-%m-%d}.pdf"
        if session.proces_verbal:
            with session.proces_verbal.open("rb") as fichier:
                return reponse_pdf(fichier.read(), nom)
        if session.statut not in (StatutSession.TENUE, StatutSession.CLOTUREE):
            messages.error(request, "Le procès-verbal s'établit une fois la session tenue.")
            return redirect(session.get_absolute_url())
        return reponse_pdf(documents.pv_pdf(session), nom)


class DossierPdfView(PermissionRequiredMixin, View):
    """A dossier as PDF, for the jury members (the team prints or forwards it)."""

    raise_exception = True

    def has_permission(self):
        return perms.peut_voir_dossiers(self.request.user)

    def get(self, request, pk):
        dossier = get_object_or_404(
            DossierLabel.objects.select_related("entreprise", "diagnostic_eligibilite"), pk=pk
        )
        nom = f"dossier-emplitudes-{slugify(dossier.entreprise.raison_sociale)}-{dossier.annee}.pdf"
        return reponse_pdf(documents.dossier_pdf(dossier), nom)


# --- jury members ------------------------------------------------------------------------------


class MembreFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Nom ou organisme", method=recherche_texte(["nom", "prenom", "organisme"])
    )
    college = django_filters.ChoiceFilter(label="Collège", choices=College.choices)
    actif = OuiNonFilter(label="Actif")

    class Meta:
        model = MembreJury
        fields = ["q", "college", "actif"]


class MembreListeView(ListeView):
    titre = "Membres du jury"
    message_vide = "Aucun membre du jury pour l'instant."
    filterset_class = MembreFilter
    tri_defaut = "nom"
    nom_export = "membres-jury"
    permission_required = "label.view_membrejury"
    action_principale = (
        "Nouveau membre",
        reverse_lazy("label:membre_creer"),
        "label.add_membrejury",
    )
    colonnes = [
        Colonne("Nom", "nom", tri="nom", lien=True),
        Colonne("Prénom", "prenom", tri="prenom"),
        Colonne("Organisme", "organisme", tri="organisme"),
        Colonne("Collège", "get_college_display", tri="college"),
        Colonne("E-mail", "email"),
        Colonne("Actif", "actif", tri="actif", format="booleen"),
        Colonne("Sessions", "nb_sessions", tri="nb_sessions", format="nombre", numerique=True),
    ]

    def get_queryset(self):
        self.queryset = MembreJury.objects.annotate(nb_sessions=Count("convocations"))
        return super().get_queryset()


class MembreEditionView(EditionView):
    def has_permission(self):
        return perms.peut_gerer_membres(self.request.user)

    def get_objet(self):
        if "pk" in self.kwargs:
            return get_object_or_404(MembreJury, pk=self.kwargs["pk"])
        return None

    def get_titre(self):
        return f"Modifier {self.objet}" if self.objet else "Nouveau membre de jury"

    def get_fil(self):
        return [("Membres du jury", reverse("label:membre_liste")), (self.get_titre(), None)]

    def get_annulation(self):
        return reverse("label:membre_liste")

    def get_formulaires(self, data=None):
        return {"membre": MembreForm(data=data, instance=self.objet)}

    def enregistrer(self, formulaires, version_lue):
        membre = formulaires["membre"].save(commit=False)
        return sessions_service.enregistrer_membre(membre, version_lue, self.request.user)

    def message_succes(self, objet):
        return f"{objet} {grammaire.accorde('enregistré', objet)}."
