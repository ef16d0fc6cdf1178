"""Network events: list, edit, invitations, attendance and its Excel export."""

from functools import cached_property

import django_filters
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.text import slugify
from django.views import View

from entreprises.models import Entreprise
from label import perms
from label.forms import EvenementForm
from label.models import EvenementAnimation
from label.services import evenements as evenements_service
from label.views.dossiers import _ActionPost, message_erreur
from mife.core.fiches import Action, Champ, FicheView, Section
from mife.core.filtres import ChoixRechercheFilter, OuiNonFilter, recherche_texte
from mife.core.formulaires import EditionView
from mife.core.listes import Colonne, ListeView


def _a_venir(queryset, name, value):
    if value is None:
        return queryset
    maintenant = timezone.now()
    return queryset.filter(date__gte=maintenant) if value else queryset.filter(date__lt=maintenant)


class EvenementFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Titre, thème ou lieu", method=recherche_texte(["titre", "theme", "lieu"])
    )
    annee = django_filters.NumberFilter(label="Année", field_name="date", lookup_expr="year")
    a_venir = OuiNonFilter(label="À venir", method=_a_venir)
    entreprise = ChoixRechercheFilter(
        label="Entreprise présente",
        famille="entreprises",
        queryset=Entreprise.objects.all(),
        method=lambda qs, name, value: (
            qs.filter(participations__entreprise=value, participations__present=True)
            if value
            else qs
        ),
    )

    class Meta:
        model = EvenementAnimation
        fields = ["q", "annee", "a_venir", "entreprise"]


class EvenementListeView(ListeView):
    titre = "Événements du réseau"
    message_vide = "Aucun événement du réseau pour l'instant."
    filterset_class = EvenementFilter
    tri_defaut = "-date"
    nom_export = "evenements-reseau"
    permission_required = "label.view_evenementanimation"
    action_principale = (
        "Nouvel événement",
        reverse_lazy("label:evenement_creer"),
        "label.add_evenementanimation",
    )
    colonnes = [
        Colonne("Date", "date", tri="date", format="date", lien=True),
        Colonne("Titre", "titre", tri="titre"),
        Colonne("Thème", "theme", tri="theme"),
        Colonne("Lieu", "lieu", tri="lieu"),
        Colonne("Invitées", "nb_invitees", tri="nb_invitees", format="nombre", numerique=True),
        Colonne("Présentes", "nb_presentes", tri="nb_presentes", format="nombre", numerique=True),
        Colonne("Personnes", "nb_personnes", tri="nb_personnes", format="nombre", numerique=True),
    ]

    def get_queryset(self):
        self.queryset = EvenementAnimation.objects.annotate(
            nb_invitees=Count("participations", distinct=True),
            nb_presentes=Count(
                "participations", filter=Q(participations__present=True), distinct=True
            ),
            nb_personnes=Sum(
                "participations__nombre_personnes", filter=Q(participations__present=True)
            ),
        )
        return super().get_queryset()


class EvenementEditionView(EditionView):
    def has_permission(self):
        return perms.peut_gerer_evenements(self.request.user)

    def get_objet(self):
        if "pk" in self.kwargs:
            return get_object_or_404(EvenementAnimation, pk=self.kwargs["pk"])
        return None

    def get_titre(self):
        return f"Modifier « {self.objet} »" if self.objet else "Nouvel événement du réseau"

    def get_fil(self):
        fil = [("Événements du réseau", reverse("label:evenement_liste"))]
        if self.objet is not None:
            fil.append((str(self.objet), self.objet.get_absolute_url()))
        return [*fil, (self.get_titre(), None)]

    def get_annulation(self):
        return self.objet.get_absolute_url() if self.objet else reverse("label:evenement_liste")

    def get_formulaires(self, data=None):
        return {"evenement": EvenementForm(data=data, instance=self.objet)}

    def enregistrer(self, formulaires, version_lue):
        evenement = formulaires["evenement"].save(commit=False)
        return evenements_service.enregistrer_evenement(evenement, version_lue, self.request.user)

    def message_succes(self, objet):
        return f"Événement « {objet} » enregistré."


class EvenementFicheView(FicheView):
    template_name = "label/evenement_fiche.html"
    queryset = EvenementAnimation.objects.all()
    permission_required = "label.view_evenementanimation"

    def get_fil(self):
        return [
            ("Événements du réseau", reverse("label:evenement_liste")),
            (self.get_titre(), None),
        ]

    @cached_property
    def participations(self):
        return list(
            self.object.participations.select_related("entreprise")
            .prefetch_related("contacts")
            .order_by("entreprise__raison_sociale")
        )

    def get_statut(self):
        if self.object.date >= timezone.now():
            return ("planifiee", "À venir")
        return ("termine", "Passé")

    def get_actions(self):
        e = self.object
        actions = [
            Action("Présences (Excel)", reverse("label:evenement_presences_xlsx", args=[e.pk]))
        ]
        if perms.peut_gerer_evenements(self.request.user):
            actions.insert(0, Action("Modifier", reverse("label:evenement_modifier", args=[e.pk])))
        return actions

    def get_sections(self):
        e = self.object
        presentes = [p for p in self.participations if p.present]
        return [
            Section(
                "Événement",
                [
                    Champ("Date", e.date, "date"),
                    Champ("Lieu", e.lieu),
                    Champ("Thème", e.theme),
                    Champ("Description", e.description),
                ],
            ),
            Section(
                "Participation",
                [
                    Champ("Entreprises invitées", len(self.participations), "nombre"),
                    Champ("Entreprises présentes", len(presentes), "nombre"),
                    Champ(
                        "Personnes présentes",
                        sum(p.nombre_personnes for p in presentes),
                        "nombre",
                    ),
                ],
            ),
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        gerer = perms.peut_gerer_evenements(self.request.user)
        deja = {p.entreprise_id for p in self.participations}
        context.update(
            participations=self.participations,
            peut_gerer=gerer,
            passe=self.object.date <= timezone.now(),
            entreprises=list(
                Entreprise.objects.filter(active=True)
                .exclude(pk__in=deja)
                .order_by("raison_sociale")
                .only("pk", "raison_sociale", "commune")
            )
            if gerer
            else [],
        )
        return context


class InviterView(_ActionPost):
    def has_permission(self):
        return perms.peut_gerer_evenements(self.request.user)

    def post(self, request, pk):
        evenement = get_object_or_404(EvenementAnimation, pk=pk)
        ids = [int(x) for x in request.POST.getlist("entreprises") if x.isdigit()]
        entreprises = Entreprise.objects.filter(pk__in=ids).prefetch_related("contacts")
        try:
            bilan = evenements_service.inviter(
                evenement, entreprises, request.user, envoyer=request.POST.get("envoyer") == "1"
            )
        except ValidationError as erreur:
            messages.error(request, message_erreur(erreur))
        else:
            messages.success(request, str(bilan))
        return redirect(evenement.get_absolute_url() + "#participants")


class PresencesEvenementView(_ActionPost):
    def has_permission(self):
        return perms.peut_gerer_evenements(self.request.user)

    def post(self, request, pk):
        evenement = get_object_or_404(EvenementAnimation, pk=pk)
        presences = {}
        erreurs = []
        for participation in evenement.participations.select_related("entreprise"):
            choix = request.POST.get(f"present-{participation.pk}")
            if choix is None:
                continue
            present = {"oui": True, "non": False}.get(choix)
            brut = (request.POST.get(f"nombre-{participation.pk}") or "").strip()
            if brut and not brut.lstrip("-").isdigit():
                erreurs.append(
                    f"{participation.entreprise} : « {brut} » n'est pas un nombre de personnes."
                )
                continue
            presences[participation.pk] = (present, int(brut) if brut else None)
        try:
            if erreurs:
                raise ValidationError(erreurs)
            evenements_service.enregistrer_presences(evenement, presences, request.user)
        except ValidationError as erreur:
            messages.error(request, "Présences non enregistrées : " + message_erreur(erreur))
        else:
            messages.success(request, "Présences enregistrées.")
        return redirect(evenement.get_absolute_url() + "#participants")


class PresencesExcelView(PermissionRequiredMixin, View):
    raise_exception = True
    permission_required = "label.view_evenementanimation"

    def get(self, request, pk):
        evenement = get_object_or_404(EvenementAnimation, pk=pk)
        return FileResponse(
            evenements_service.classeur_presences(evenement),
            as_attachment=True,
            filename=f"presences-{slugify(evenement.titre)}-{evenement.date:%Y-%m-%d}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
