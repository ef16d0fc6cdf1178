from functools import cached_property

from django.db.models import Count, Prefetch, Q
from django.urls import reverse, reverse_lazy
from django.utils import timezone

from heures import perms
from heures import selectors as heures_selectors
from heures.filters import AttestationFilter, DeclarationFilter, MissionFilter, ParticipantFilter
from heures.forms.participants import DateEligibiliteForm
from heures.models import (
    ANONYMISE,
    Attestation,
    CritereParticipant,
    DeclarationMensuelle,
    LigneDeclaration,
    Mission,
    Participant,
    StatutDeclaration,
)
from heures.services import participants as services_participants
from journal import services as journal
from journal.models import Action as JournalAction
from marches.models import Lot
from mife.core import formats, grammaire
from mife.core.fiches import Action, Champ, FicheView, Section, Tableau, limiter
from mife.core.listes import Colonne, ListeView

# --- display rules of personal data ------------------------------------------------------------
# A criterion the user may not see is left out, not replaced by a placeholder: the only
# protected criteria are health ones (RQTH, AAH…), so « critère protégé » would tell them.


def libelles_criteres(user, validations) -> list[str]:
    """The criteria of these validations this user may see, once each."""
    libelles: list[str] = []
    for validation in validations:
        if not perms.peut_voir_critere(user, validation.critere):
            continue
        if validation.critere.libelle not in libelles:
            libelles.append(validation.critere.libelle)
    return libelles


def nom_affiche(pk, nom, prenom, anonymise_le) -> str:
    """``Participant.nom_affiche`` from the values of a row: a list's column reads them
    (``Colonne.champs``), so that its export reads no participant object."""
    return Participant.nom_affiche_de(pk, nom, prenom, anonymise_le)


def colonne_participant(chemin: str = "participant", titre: str = "Participant") -> Colonne:
    """The participant's displayed name (``nom_affiche``), sorted by name."""
    return Colonne(
        titre,
        nom_affiche,
        champs=(f"{chemin}_id", f"{chemin}__nom", f"{chemin}__prenom", f"{chemin}__anonymise_le"),
        tri=f"{chemin}__nom",
    )


def libelle_lot(reference_marche, numero, intitule) -> str | None:
    """``str(lot)`` (« MAR-2026-001 lot 2 — Gros œuvre ») from the values of a row, None
    without a lot."""
    if reference_marche is None:
        return None
    return Lot.libelle_de(reference_marche, numero, intitule)


def colonne_lot(chemin: str = "lot", titre: str = "Lot") -> Colonne:
    """The lot as ``str(lot)`` shows it, sorted by contract reference (``libelle_lot``)."""
    return Colonne(
        titre,
        libelle_lot,
        champs=(f"{chemin}__marche__reference", f"{chemin}__numero", f"{chemin}__intitule"),
        tri=f"{chemin}__marche__reference",
    )


def _criteres_prefetch() -> Prefetch:
    return Prefetch(
        "criteres_valides",
        queryset=CritereParticipant.objects.select_related("critere").order_by(
            "critere__ordre", "date_validation"
        ),
    )


# --- participants -------------------------------------------------------------------------------


class ParticipantListeView(ListeView):
    titre = "Participants"
    message_vide = "Aucun participant pour l'instant."
    filterset_class = ParticipantFilter
    tri_defaut = "nom"
    nom_export = "participants"
    action_principale = (
        "Nouveau participant",
        reverse_lazy("heures:participant_creer"),
        "heures.add_participant",
    )

    def has_permission(self):
        return perms.peut_voir_participants(self.request.user)

    def get_colonnes(self):
        user = self.request.user
        return [
            Colonne(
                "Nom",
                lambda p: ANONYMISE if p.anonymise_le else p.nom.upper(),
                tri="nom",
                lien=True,
            ),
            Colonne("Prénom", lambda p: "" if p.anonymise_le else p.prenom, tri="prenom"),
            Colonne("Sexe", "get_sexe_display", tri="sexe"),
            Colonne("Année de naissance", "date_naissance.year", tri="date_naissance"),
            Colonne("Commune", "commune", tri="commune"),
            Colonne("QPV", "resident_qpv", tri="resident_qpv", format="booleen"),
            Colonne(
                "Critères d'éligibilité",
                lambda p: ", ".join(libelles_criteres(user, p.criteres_valides.all())),
            ),
        ]

    def get_queryset(self):
        self.queryset = Participant.objects.prefetch_related(_criteres_prefetch())
        return super().get_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if perms.peut_voir_donnees_sensibles(self.request.user) and context["object_list"]:
            # Its column shows protected (health) criteria to this user: a read of sensitive
            # data, logged with the filters and the people on the page (by number).
            journal.acces(
                self.request,
                JournalAction.CONSULTATION_LISTE,
                objet=f"Liste « {self.titre} »",
                details={
                    "filtres": journal.filtres(self.request),
                    "page": context["page_obj"].number if context.get("page_obj") else 1,
                    "participants": [p.pk for p in context["object_list"]],
                },
            )
        return context


class ParticipantFicheView(FicheView):
    template_name = "heures/participant_fiche.html"

    def has_permission(self):
        return perms.peut_voir_participants(self.request.user)

    def get_actions(self):
        user, pk = self.request.user, self.object.pk
        actions = []
        if user.has_perm("heures.change_participant") and not self.object.anonymise_le:
            url = reverse("heures:participant_modifier", args=[pk])
            actions.append(Action("Modifier", url, principale=True))
        if user.has_perm("heures.add_mission") and not self.object.anonymise_le:
            url = reverse("heures:mission_creer") + f"?participant={pk}"
            actions.append(Action("Nouvelle mission", url))
        if services_participants.peut_exporter(user):
            url = reverse("heures:participant_export", args=[pk])
            actions.append(Action("Exporter les données", url))
        return actions

    def get_queryset(self):
        return Participant.objects.prefetch_related(
            Prefetch(
                "criteres_valides",
                queryset=CritereParticipant.objects.select_related(
                    "critere", "prescripteur"
                ).order_by("critere__ordre", "date_validation"),
            )
        )

    def get_titre(self):
        return self.object.nom_affiche

    def get_statut(self):
        if self.object.anonymise_le:
            return ("archivee", "Anonymisé")
        return None

    def get_fil(self):
        return [("Participants", reverse("heures:participant_liste")), (self.get_titre(), None)]

    def get_sections(self):
        p = self.object
        if p.anonymise_le:
            identite = [
                Champ("Anonymisé le", p.anonymise_le, "date"),
                Champ("Sexe", p.get_sexe_display()),
                Champ("Année de naissance", p.date_naissance.year),
                Champ("Résident QPV", p.resident_qpv, "booleen"),
                Champ("Niveau de qualification", p.get_niveau_qualification_display()),
                Champ("Situation à l'entrée", p.get_situation_entree_display()),
            ]
        else:
            identite = [
                Champ("Nom", p.nom.upper()),
                Champ("Prénom", p.prenom),
                Champ("Sexe", p.get_sexe_display()),
                Champ("Date de naissance", p.date_naissance, "date"),
                Champ("Âge", f"{p.age_le(timezone.localdate())} ans"),
                Champ("Adresse", f"{p.code_postal} {p.commune}".strip()),
                Champ("Résident QPV", p.resident_qpv, "booleen"),
                Champ("Niveau de qualification", p.get_niveau_qualification_display()),
                Champ("Situation à l'entrée", p.get_situation_entree_display()),
                Champ("Téléphone", p.telephone),
                Champ("E-mail", p.email),
                Champ("Information RGPD remise le", p.date_information, "date"),
                Champ("Notes", p.notes),
            ]
        aujourd_hui = timezone.localdate()
        en_cours = p.missions.actives_le(aujourd_hui).values("pk")
        nombres = p.missions.aggregate(
            total=Count("pk"), en_cours=Count("pk", filter=Q(pk__in=en_cours))
        )
        parcours = [
            Champ("Heures validées", heures_selectors.heures_participant(p), "heures"),
            Champ("Missions", nombres["total"], "nombre"),
            Champ("Missions en cours", nombres["en_cours"], "nombre"),
        ]
        return [Section("Identité", identite), Section("Parcours", parcours)]

    @cached_property
    def missions(self) -> tuple[list[Mission], str]:
        """The participant's latest missions (``limiter``), in chronological order, and the
        table's title."""
        missions, titre, _ = limiter(
            heures_selectors.annoter_heures_validees_missions(
                self.object.missions.select_related("lot__marche", "employeur")
            ).order_by("-date_debut", "-pk"),
            "Missions",
            feminin=True,
        )
        return missions[::-1], titre

    def get_tableaux(self):
        user = self.request.user
        criteres = []
        for validation in self.object.criteres_valides.all():
            if perms.peut_voir_critere(user, validation.critere):
                criteres.append(
                    [
                        (validation.critere.libelle, ""),
                        (formats.date_fr(validation.date_validation), ""),
                        (formats.date_fr(validation.date_fin_validite), ""),
                        (str(validation.prescripteur or "—"), ""),
                    ]
                )
            # A protected criterion is left out with its dates and prescriber (MDPH…).
        voir_missions = perms.peut_voir_missions(user)
        missions = [
            [
                (m.reference, m.get_absolute_url() if voir_missions else ""),
                (str(m.lot), m.lot.get_absolute_url()),
                (str(m.employeur), m.employeur.get_absolute_url()),
                (m.get_modalite_display(), ""),
                (formats.date_fr(m.date_debut), ""),
                (formats.date_fr(m.date_fin), ""),
                (m.get_sortie_display() or "—", ""),
                (formats.heures(m.heures_validees), ""),
            ]
            for m in self.missions[0]
        ]
        return [
            Tableau(
                "Critères d'éligibilité",
                ["Critère", "Validé le", "Valable jusqu'au", "Prescripteur"],
                criteres,
                vide="Aucun critère validé.",
            ),
            Tableau(
                self.missions[1],
                [
                    "Référence",
                    "Lot",
                    "Employeur",
                    "Modalité",
                    "Début",
                    "Fin",
                    "Sortie",
                    "Heures validées",
                ],
                missions,
                vide="Aucune mission.",
            ),
        ]

    def get_context_data(self, **kwargs):
        journal.consultation_participant(self.request, self.object.pk)  # access log
        context = super().get_context_data(**kwargs)
        if self.object.anonymise_le:
            # The history would show the identity as it was before the anonymisation.
            for ligne in context["historique"]:
                ligne["changements"] = []
        # Why a change was recorded (export of the data, anonymisation…), in the same order.
        motifs = self.object.history.order_by("-history_date").values_list(
            "history_change_reason", flat=True
        )[: len(context["historique"])]
        for ligne, motif in zip(context["historique"], motifs, strict=False):
            if motif == services_participants.MOTIF_EXPORT:
                ligne["type"] = motif  # a consultation, not a change of the record
            elif motif:
                ligne["changements"] = [f"Motif : {motif}", *ligne["changements"]]
        # Eligible today, or on the day asked for (?eligible_le=AAAA-MM-JJ), and why.
        aujourd_hui = timezone.localdate()
        form = DateEligibiliteForm(self.request.GET or None)
        jour = form.jour(aujourd_hui)
        eligibilite = heures_selectors.eligibilite(self.object, jour)
        context["eligibilite"] = {
            "form": form,
            "jour": jour,
            "aujourd_hui": jour == aujourd_hui,
            "eligible": eligibilite.eligible,
            "raisons": eligibilite.raisons(self.request.user),
        }
        context["tableaux"].append(self.heures_par_mois())
        return context

    def heures_par_mois(self) -> Tableau:
        """The timeline of validated hours: one row per month and mission."""
        lignes, titre, _ = limiter(
            heures_selectors.lignes_validees()
            .filter(mission__participant=self.object)
            .select_related("declaration__entreprise", "mission")
            .order_by("-declaration__mois", "mission__reference"),
            "Heures validées par mois",
        )
        lignes = lignes[::-1]  # the latest months, in chronological order
        voir_missions = perms.peut_voir_missions(self.request.user)
        return Tableau(
            titre,
            ["Mois", "Mission", "Entreprise", "Heures validées"],
            [
                [
                    (formats.mois_fr(ligne.declaration.mois), ""),
                    (
                        ligne.mission.reference,
                        ligne.mission.get_absolute_url() if voir_missions else "",
                    ),
                    (str(ligne.declaration.entreprise), ""),
                    (formats.heures(ligne.heures), ""),
                ]
                for ligne in lignes
            ],
            vide="Aucune heure validée.",
        )


# --- missions -----------------------------------------------------------------------------------


class MissionListeView(ListeView):
    titre = "Missions"
    message_vide = "Aucune mission pour l'instant."
    filterset_class = MissionFilter
    queryset = Mission.objects.select_related("participant", "lot__marche", "employeur")
    tri_defaut = "-date_debut"
    action_principale = (
        "Nouvelle mission",
        reverse_lazy("heures:mission_creer"),
        "heures.add_mission",
    )
    colonnes = [
        Colonne("Référence", "reference", tri="reference", lien=True, reference=True),
        colonne_participant(),
        colonne_lot(),
        Colonne("Employeur", "employeur.raison_sociale", tri="employeur__raison_sociale"),
        Colonne("Modalité", "get_modalite_display", tri="modalite"),
        Colonne("Début", "date_debut", tri="date_debut", format="date"),
        Colonne("Fin", "date_fin", tri="date_fin", format="date"),
        Colonne("Sortie", "get_sortie_display", tri="sortie"),
    ]

    def has_permission(self):
        return perms.peut_voir_missions(self.request.user)


class MissionFicheView(FicheView):
    queryset = Mission.objects.select_related(
        "participant", "lot__marche__donneur_ordre", "employeur"
    )

    def has_permission(self):
        return perms.peut_voir_missions(self.request.user)

    def get_titre(self):
        return f"Mission {self.object.reference}"

    def get_actions(self):
        if self.request.user.has_perm("heures.change_mission"):
            url = reverse("heures:mission_modifier", args=[self.object.pk])
            return [Action("Modifier", url, principale=True)]
        return []

    def get_statut(self):
        etat = self.object.etat_le(timezone.localdate())
        return (etat.value, etat.label)

    def get_fil(self):
        return [("Missions", reverse("heures:mission_liste")), (self.object.reference, None)]

    def get_sections(self):
        m = self.object
        voir_participant = perms.peut_voir_participants(self.request.user)
        return [
            Section(
                "Mission",
                [
                    Champ(
                        "Participant",
                        m.participant.nom_affiche
                        if voir_participant
                        else m.participant.initiales_affichees,
                        url=m.participant.get_absolute_url() if voir_participant else "",
                    ),
                    Champ("Lot", m.lot, url=m.lot.get_absolute_url()),
                    Champ("Donneur d'ordre", m.lot.marche.donneur_ordre),
                    Champ("Employeur", m.employeur, url=m.employeur.get_absolute_url()),
                    Champ("Modalité", m.get_modalite_display()),
                    Champ("Type de contrat", m.get_type_contrat_display()),
                    Champ("Poste occupé", m.poste),
                ],
            ),
            Section(
                "Dates et heures",
                [
                    Champ("Début", m.date_debut, "date"),
                    Champ("Fin", m.date_fin, "date"),
                    Champ("Heures prévues", m.heures_prevues, "heures"),
                    Champ("Heures validées", heures_selectors.heures_mission(m), "heures"),
                    Champ("Sortie", m.get_sortie_display()),
                    Champ("Date de sortie", m.date_sortie, "date"),
                    Champ("Situation six mois après", m.get_situation_six_mois_display()),
                    Champ("Dérogation à l'éligibilité", m.motif_derogation_eligibilite),
                ],
            ),
        ]

    def get_tableaux(self):
        lignes = (
            LigneDeclaration.objects.filter(mission=self.object)
            .exclude(declaration__statut=StatutDeclaration.REMPLACEE)
            .select_related("declaration")
            .order_by("declaration__mois")
        )
        voir_declarations = perms.peut_voir_declarations(self.request.user)
        return [
            Tableau(
                "Heures déclarées",
                ["Mois", "Statut de la déclaration", "Heures", "Commentaire"],
                [
                    [
                        (
                            formats.mois_fr(ligne.declaration.mois),
                            ligne.declaration.get_absolute_url() if voir_declarations else "",
                        ),
                        (ligne.declaration.get_statut_display(), ""),
                        (formats.heures(ligne.heures), ""),
                        (ligne.commentaire, ""),
                    ]
                    for ligne in lignes
                ],
                vide="Aucune heure déclarée.",
            )
        ]


# --- declarations -------------------------------------------------------------------------------


class DeclarationListeView(ListeView):
    titre = "Déclarations mensuelles"
    message_vide = "Aucune déclaration pour l'instant."
    filterset_class = DeclarationFilter
    tri_defaut = "-mois"
    action_principale = (
        "Saisir des heures",
        reverse_lazy("heures:declaration_ouvrir"),
        "heures.add_declarationmensuelle",
    )
    nom_export = "declarations"
    colonnes = [
        Colonne("Mois", "mois", tri="mois", format="mois", lien=True),
        Colonne("Entreprise", "entreprise.raison_sociale", tri="entreprise__raison_sociale"),
        colonne_lot(),
        Colonne("Version", "numero_version", tri="numero_version", numerique=True),
        Colonne("Statut", "get_statut_display", tri="statut", statut="statut"),
        Colonne(
            "Total heures", "total_declare", tri="total_declare", format="heures", numerique=True
        ),
    ]

    def has_permission(self):
        return perms.peut_voir_declarations(self.request.user)

    def get_queryset(self):
        self.queryset = heures_selectors.annoter_heures_declarees(
            DeclarationMensuelle.objects.select_related("entreprise", "lot__marche")
        )
        return super().get_queryset()


class DeclarationFicheView(FicheView):
    queryset = DeclarationMensuelle.objects.select_related(
        "entreprise",
        "lot__marche__donneur_ordre",
        "remplace",
        "remplacee_par",
        "soumise_par",
        "traitee_par",
    )

    def has_permission(self):
        return perms.peut_voir_declarations(self.request.user)

    @cached_property
    def lignes(self) -> list[LigneDeclaration]:
        return list(
            self.object.lignes.select_related("mission__participant").order_by("mission__reference")
        )

    @cached_property
    def total(self):
        return heures_selectors.heures_declarees(self.object)

    def get_titre(self):
        d = self.object
        return f"Déclaration {grammaire.de_mois(d.mois)} — {d.entreprise}"

    def get_actions(self):
        url = reverse("heures:declaration_saisie", args=[self.object.pk])
        return [Action("Saisie et validation", url, principale=True)]

    def get_statut(self):
        return (self.object.statut, self.object.get_statut_display())

    def get_fil(self):
        return [
            ("Déclarations mensuelles", reverse("heures:declaration_liste")),
            (self.get_titre(), None),
        ]

    def get_sections(self):
        d = self.object
        remplacee_par = getattr(d, "remplacee_par", None)
        return [
            Section(
                "Déclaration",
                [
                    Champ("Entreprise", d.entreprise, url=d.entreprise.get_absolute_url()),
                    Champ("Lot", d.lot, url=d.lot.get_absolute_url()),
                    Champ("Donneur d'ordre", d.lot.marche.donneur_ordre),
                    Champ("Mois", d.mois, "mois"),
                    Champ("Version", d.numero_version),
                    Champ(
                        "Remplace la version",
                        d.remplace.numero_version if d.remplace else None,
                        url=d.remplace.get_absolute_url() if d.remplace else "",
                    ),
                    Champ(
                        "Remplacée par la version",
                        remplacee_par.numero_version if remplacee_par else None,
                        url=remplacee_par.get_absolute_url() if remplacee_par else "",
                    ),
                    Champ("Motif de la correction", d.motif_correction),
                    Champ("Motif du rejet", d.motif_rejet),
                ],
            ),
            Section(
                "Suivi",
                [
                    Champ("Total déclaré", self.total, "heures"),
                    Champ("Lignes", len(self.lignes), "nombre"),
                    Champ("Soumise le", d.soumise_le, "date"),
                    Champ("Soumise par", d.soumise_par),
                    Champ("Validée ou rejetée le", d.traitee_le, "date"),
                    Champ("Validée ou rejetée par", d.traitee_par),
                ],
            ),
        ]

    def get_tableaux(self):
        d = self.object
        voir_missions = perms.peut_voir_missions(self.request.user)
        lignes = [
            [
                (
                    ligne.mission.reference,
                    ligne.mission.get_absolute_url() if voir_missions else "",
                ),
                (ligne.mission.participant.initiales_affichees, ""),
                (formats.heures(ligne.heures), ""),
                (ligne.commentaire, ""),
            ]
            for ligne in self.lignes
        ]
        attestations = d.attestations.order_by("-emise_le")
        return [
            Tableau(
                f"Heures par mission — total {formats.heures(self.total)}",
                ["Mission", "Participant", "Heures", "Commentaire"],
                lignes,
                vide="Aucune ligne.",
            ),
            Tableau(
                "Attestations",
                ["Numéro", "Type", "Statut", "Heures attestées", "Émise le"],
                [
                    [
                        (a.numero, ""),
                        (a.get_type_display(), ""),
                        (a.get_statut_display(), ""),
                        (formats.heures(a.total_heures), ""),
                        (formats.date_fr(a.emise_le), ""),
                    ]
                    for a in attestations
                ],
                vide="Aucune attestation émise.",
            ),
        ]


# --- attestations -------------------------------------------------------------------------------


def _url_verification(attestation) -> str:
    return reverse("verifier_attestation", args=[attestation.code_verification])


def _url_pdf(attestation) -> str:
    if not attestation.fichier:
        return ""
    return reverse("heures:attestation_pdf", args=[attestation.pk])


class AttestationListeView(ListeView):
    """Every row links to its public verification page (nothing personal: every reader of the
    list may open it); the PDF, which carries the participants' initials, only for the roles
    that may download it (``perms.PDF_ATTESTATIONS``: not the direction)."""

    titre = "Attestations"
    message_vide = "Aucune attestation pour l'instant."
    aide_vide = (
        "Une attestation est émise à la validation d'une déclaration, "
        "ou depuis « Générer les attestations »."
    )
    filterset_class = AttestationFilter
    queryset = Attestation.objects.select_related("entreprise", "lot__marche")
    tri_defaut = "-emise_le"
    colonnes = [
        Colonne("Numéro", "numero", tri="numero", reference=True),
        Colonne("Type", "get_type_display", tri="type"),
        Colonne("Entreprise", "entreprise.raison_sociale", tri="entreprise__raison_sociale"),
        colonne_lot(),
        Colonne("Mois", "mois", tri="mois", format="mois"),
        Colonne(
            "Total heures", "total_heures", tri="total_heures", format="heures", numerique=True
        ),
        Colonne("Statut", "get_statut_display", tri="statut", statut="statut"),
        Colonne("Émise le", "emise_le", tri="emise_le", format="date"),
    ]

    def has_permission(self):
        return perms.peut_voir_attestations(self.request.user)

    def get_colonnes(self):
        colonnes = [
            *self.colonnes,
            Colonne("Vérification", lambda a: "Vérifier", url=_url_verification, excel=False),
        ]
        if perms.peut_telecharger_attestations(self.request.user):
            colonnes.append(
                Colonne(
                    "PDF", lambda a: "Télécharger" if a.fichier else "—", url=_url_pdf, excel=False
                )
            )
        return colonnes
