"""Jury sessions: members, agenda with time slots, convocations, attendance, opinions,
decisions, minutes."""

from functools import cached_property

from django.db.models import Count
from django.urls import reverse

from label import perms
from label.filters import SessionFilter
from label.models import ConvocationJury, PassageJury, SessionJury
from label.views.dossiers import avis_prefetch
from mife.core import formats
from mife.core.fiches import Champ, FicheView, Section, Tableau
from mife.core.listes import Colonne, ListeView


def _presence(valeur) -> str:
    return {True: "Présent·e", False: "Absent·e"}.get(valeur, "Non renseignée")


# --- sessions de jury ---------------------------------------------------------------------------


class SessionListeView(ListeView):
    titre = "Sessions de jury"
    filterset_class = SessionFilter
    tri_defaut = "-date"
    nom_export = "sessions-jury"
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


class SessionFicheView(FicheView):
    queryset = SessionJury.objects.all()

    def has_permission(self):
        return perms.peut_voir_sessions(self.request.user)

    def get_statut(self):
        return (self.object.statut, self.object.get_statut_display())

    def get_fil(self):
        return [("Sessions de jury", reverse("label:session_liste")), (self.get_titre(), None)]

    def get_sections(self):
        s = self.object
        convocations = self.convocations
        return [
            Section(
                "Session",
                [
                    Champ("Date et heure", s.date, "date"),
                    Champ("Lieu", s.lieu),
                    Champ("Membres convoqués", len(convocations), "nombre"),
                    Champ("Membres présents", sum(1 for c in convocations if c.present), "nombre"),
                    Champ("Dossiers à l'ordre du jour", len(self.passages), "nombre"),
                ],
            ),
            Section("Compte rendu", [Champ("Compte rendu", s.compte_rendu)]),
        ]

    @cached_property
    def convocations(self) -> list[ConvocationJury]:
        return list(
            self.object.convocations.select_related("membre").order_by(
                "membre__nom", "membre__prenom"
            )
        )

    @cached_property
    def passages(self) -> list[PassageJury]:
        return list(
            self.object.passages.select_related("dossier__entreprise")
            .prefetch_related(avis_prefetch())
            .order_by("ordre", "pk")
        )

    def get_tableaux(self):
        voir_dossiers = perms.peut_voir_dossiers(self.request.user)
        return [
            Tableau(
                "Membres du jury",
                ["Membre", "Organisme", "Collège", "Invité·e le", "Présence"],
                [
                    [
                        (
                            " ".join(
                                x for x in (c.membre.civilite, c.membre.prenom, c.membre.nom) if x
                            ),
                            "",
                        ),
                        (c.membre.organisme, ""),
                        (c.membre.get_college_display(), ""),
                        (formats.date_fr(c.invite_le), ""),
                        (_presence(c.present), ""),
                    ]
                    for c in self.convocations
                ],
                vide="Aucun membre convoqué.",
            ),
            Tableau(
                "Ordre du jour",
                ["Ordre", "Dossier", "Décision", "Motivation", "Avis des membres"],
                [
                    [
                        (str(p.ordre), ""),
                        (str(p.dossier), p.dossier.get_absolute_url() if voir_dossiers else ""),
                        (p.get_decision_display() or "En attente", ""),
                        (p.motivation, ""),
                        (
                            " ; ".join(
                                f"{a.membre.prenom} {a.membre.nom} : {a.get_avis_display()}".strip()
                                for a in p.avis.all()
                            ),
                            "",
                        ),
                    ]
                    for p in self.passages
                ],
                vide="Aucun dossier à l'ordre du jour.",
            ),
        ]
