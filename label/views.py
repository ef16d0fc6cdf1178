from collections import Counter
from functools import cached_property

from django.db.models import Count, Prefetch
from django.urls import reverse
from django.utils import timezone

from label import perms
from label.filters import DossierFilter, SessionFilter
from label.models import (
    Avis,
    AvisMembre,
    Axe,
    ConvocationJury,
    DossierLabel,
    PassageJury,
    SessionJury,
)
from label.selectors import etat_label_le
from mife.core import formats
from mife.core.fiches import Champ, FicheView, Section, Tableau
from mife.core.listes import Colonne, ListeView


def _resume_avis(passage) -> str:
    """« 2 favorables, 1 défavorable » from the prefetched ``avis`` of a passage."""
    comptes = Counter(a.avis for a in passage.avis.all())
    return ", ".join(
        f"{comptes[code]} × {libelle}" for code, libelle in Avis.choices if comptes[code]
    )


def _presence(valeur) -> str:
    return {True: "Présent·e", False: "Absent·e"}.get(valeur, "Non renseignée")


def _avis_prefetch() -> Prefetch:
    return Prefetch(
        "avis", queryset=AvisMembre.objects.select_related("membre").order_by("membre__nom")
    )


# --- dossiers -----------------------------------------------------------------------------------


class DossierListeView(ListeView):
    titre = "Dossiers de labellisation"
    filterset_class = DossierFilter
    tri_defaut = "-annee"
    nom_export = "dossiers-label"
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


class DossierFicheView(FicheView):
    queryset = DossierLabel.objects.select_related("entreprise", "animateur", "label")

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

    def get_sections(self):
        d = self.object
        label = getattr(d, "label", None)
        if label is None:
            champs_label = [Champ("Label", "Pas de label issu de ce dossier")]
        else:
            etat = etat_label_le(label, timezone.localdate())
            champs_label = [
                Champ("Label", etat.label),
                Champ("Obtenu le", label.date_obtention, "date"),
                Champ("Expire le", label.date_expiration, "date"),
            ]
        return [
            Section(
                "Dossier",
                [
                    Champ("Entreprise", d.entreprise, url=d.entreprise.get_absolute_url()),
                    Champ("Année de candidature", d.annee),
                    Champ("Renouvellement", d.renouvellement, "booleen"),
                    Champ("Animateur·rice", d.animateur),
                    Champ("Déposé le", d.date_depot, "date"),
                ],
            ),
            Section("Label Empl'itudes", champs_label),
            Section(
                "Démarche",
                [
                    Champ("Diagnostic", d.diagnostic),
                    Champ("Partage de bonnes pratiques", d.bonnes_pratiques),
                    Champ("Plan d'amélioration", d.plan_amelioration),
                ],
            ),
        ]

    def get_tableaux(self):
        d = self.object
        actions = list(d.actions.order_by("axe", "intitule"))
        tableaux = []
        for axe, libelle in Axe.choices:
            tableaux.append(
                Tableau(
                    f"Actions — axe {libelle}",
                    ["Intitulé", "Thème", "Indicateur", "Échéance", "Réalisée"],
                    [
                        [
                            (a.intitule, ""),
                            (a.get_theme_display() or "—", ""),
                            (a.indicateur, ""),
                            (formats.date_fr(a.echeance), ""),
                            ("Oui" if a.realisee else "Non", ""),
                        ]
                        for a in actions
                        if a.axe == axe
                    ],
                    vide="Aucune action sur cet axe.",
                )
            )
        voir_sessions = perms.peut_voir_sessions(self.request.user)
        passages = (
            d.passages.select_related("session")
            .prefetch_related(_avis_prefetch())
            .order_by("session__date")
        )
        tableaux.append(
            Tableau(
                "Passages en jury",
                ["Session", "Lieu", "Décision", "Motivation", "Avis des membres"],
                [
                    [
                        (str(p.session), p.session.get_absolute_url() if voir_sessions else ""),
                        (p.session.lieu, ""),
                        (p.get_decision_display() or "En attente", ""),
                        (p.motivation, ""),
                        (_resume_avis(p), ""),
                    ]
                    for p in passages
                ],
                vide="Pas encore présenté en jury.",
            )
        )
        tableaux.append(
            Tableau(
                "Pièces jointes",
                ["Libellé", "Ajoutée le"],
                [
                    [(piece.libelle, ""), (formats.date_fr(piece.cree_le), "")]
                    for piece in d.pieces.order_by("libelle")
                ],
                vide="Aucune pièce jointe.",
            )
        )
        return tableaux


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
            .prefetch_related(_avis_prefetch())
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
