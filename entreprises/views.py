from django.shortcuts import get_object_or_404
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.text import Truncator

from entreprises import perms, services
from entreprises.filters import EntrepriseFilter
from entreprises.forms import EntrepriseForm, contact_formset
from entreprises.models import Entreprise
from heures import perms as heures_perms
from heures import selectors as heures_selectors
from label import perms as label_perms
from label import selectors as label_selectors
from label.selectors import EtatLabel
from marches import perms as marches_perms
from marches.models import EtatAction, Lot
from mife.core import formats
from mife.core.expressions import nombre_lies
from mife.core.fiches import Action, Champ, FicheView, Section, Tableau, limiter
from mife.core.formulaires import EditionView, PermissionAjoutOuModificationMixin
from mife.core.listes import Colonne, ListeView
from mife.core.models import Parametres

# Related tables of the company page show the most recent rows, with a link to the full list.
LIMITE_TABLEAU = 50


class EntrepriseListeView(ListeView):
    titre = "Entreprises"
    message_vide = "Aucune entreprise pour l'instant."
    filterset_class = EntrepriseFilter
    tri_defaut = "raison_sociale"
    action_principale = (
        "Nouvelle entreprise",
        reverse_lazy("entreprises:creer"),
        "entreprises.add_entreprise",
    )
    colonnes = [
        Colonne("Raison sociale", "raison_sociale", tri="raison_sociale", lien=True),
        Colonne("Identifiant", "identifiant", tri="identifiant"),
        Colonne("Type", "get_type_structure_display", tri="type_structure"),
        Colonne("Commune", "commune", tri="commune"),
        Colonne(
            "Lots (titulaire)",
            "nb_lots_titulaire",
            tri="nb_lots_titulaire",
            format="nombre",
            numerique=True,
        ),
        Colonne("Active", "active", tri="active", format="booleen"),
    ]

    def has_permission(self):
        return perms.peut_voir(self.request.user)

    def get_queryset(self):
        self.queryset = Entreprise.objects.annotate(
            nb_lots_titulaire=nombre_lies(Lot.objects.all(), "titulaire")
        )
        return super().get_queryset()


def _lignes_lots(lots, colonne_titulaire: bool) -> list[list[tuple[str, str]]]:
    """Rows of a table of lots: the titulaire's own lots show hours, the others the titulaire."""
    lignes = []
    for lot in lots:
        ligne = [(str(lot), lot.get_absolute_url())]
        if colonne_titulaire:
            titulaire = lot.titulaire
            ligne.append((str(titulaire), titulaire.get_absolute_url()) if titulaire else ("—", ""))
        ligne += [
            (lot.marche.donneur_ordre.nom, ""),
            (formats.date_fr(lot.date_debut), ""),
            (formats.date_fr(lot.date_fin), ""),
            (lot.statut_libelle, ""),
        ]
        if not colonne_titulaire:
            clause = getattr(lot, "clause", None)
            ligne += [
                (formats.heures(clause.heures_requises) if clause else "—", ""),
                (formats.heures(lot.heures_realisees), ""),
            ]
        lignes.append(ligne)
    return lignes


class EntrepriseFicheView(FicheView):
    queryset = Entreprise.objects.all()

    def has_permission(self):
        return perms.peut_voir(self.request.user)

    def get_object(self, queryset=None):
        entreprise = super().get_object(queryset)
        label = self.dernier_label = label_selectors.label_courant(entreprise)
        self.etat_label = (
            label_selectors.etat_label_le(label, timezone.localdate()) if label else None
        )
        return entreprise

    def get_statut(self):
        if not self.object.active:
            return ("archivee", "Inactive")
        if self.etat_label == EtatLabel.VALIDE:
            return ("labellise", "Labellisée Empl'itudes")
        return None

    def get_fil(self):
        return [("Entreprises", reverse("entreprises:liste")), (str(self.object), None)]

    def get_actions(self):
        user = self.request.user
        pk = self.object.pk
        actions = []
        if marches_perms.peut_noter_echange(user):
            url = reverse("marches:echange_creer", args=[pk])
            actions.append(Action("Noter un échange", url, principale=True))
        if perms.peut_modifier(user):
            url = reverse("entreprises:modifier", args=[pk])
            actions.append(Action("Modifier", url, principale=not actions))
        elif perms.peut_modifier_contacts(user):
            url = reverse("entreprises:contacts", args=[pk])
            actions.append(Action("Modifier les contacts", url, principale=not actions))
        return actions

    def get_sections(self):
        e = self.object
        label = self.dernier_label
        if label is None:
            etat_label = "Non labellisée"
        elif self.etat_label == EtatLabel.VALIDE:
            etat_label = f"Labellisée jusqu'au {formats.date_fr(label.date_expiration)}"
        elif self.etat_label == EtatLabel.A_VENIR:
            etat_label = f"Labellisée à partir du {formats.date_fr(label.date_obtention)}"
        else:
            etat_label = f"Label expiré le {formats.date_fr(label.date_expiration)}"
        section_label = [Champ("Statut", etat_label)]
        if label is not None:
            section_label += [
                Champ("Obtenu le", label.date_obtention, "date"),
                Champ("Expire le", label.date_expiration, "date"),
            ]
        return [
            Section(
                "Identité",
                [
                    Champ("Raison sociale", e.raison_sociale),
                    Champ("Nom commercial", e.nom_commercial),
                    Champ(e.get_type_identifiant_display(), e.identifiant),
                    *([Champ("SIREN", services.siren(e.siret))] if e.siret else []),
                    Champ("Type de structure", e.get_type_structure_display()),
                    Champ("Code NAF", e.code_naf),
                    Champ("Active", e.active, "booleen"),
                    Champ("Notes", e.notes),
                ],
            ),
            Section(
                "Coordonnées",
                [
                    Champ("Adresse", f"{e.adresse}\n{e.code_postal} {e.commune}".strip()),
                    Champ("Téléphone", e.telephone),
                    Champ("E-mail", e.email),
                ],
            ),
            Section("Label Empl'itudes", section_label),
        ]

    def get_tableaux(self):
        e = self.object
        user = self.request.user
        tableaux = []
        if perms.peut_voir_contacts(user):
            tableaux.append(
                Tableau(
                    "Contacts",
                    ["Nom", "Fonction", "E-mail", "Téléphone", "Principal", "Relances d'heures"],
                    [
                        [
                            (str(c), ""),
                            (c.fonction, ""),
                            (c.email, f"mailto:{c.email}" if c.email else ""),
                            (c.telephone, ""),
                            ("Oui" if c.principal else "Non", ""),
                            ("Oui" if c.destinataire_relances else "Non", ""),
                        ]
                        for c in e.contacts.all()
                    ],
                    vide="Aucun contact.",
                )
            )
        if marches_perms.peut_voir_echanges(user):
            tableaux.append(_tableau_echanges(e))
        titulaire, titre, suite = _limiter(
            heures_selectors.annoter_heures_realisees(
                e.lots_titulaire.select_related("marche__donneur_ordre", "clause").order_by(
                    "-date_debut", "-pk"
                )
            ),
            "Lots comme titulaire",
            reverse("marches:lot_liste") + f"?entreprise={e.pk}",
            "Voir tous les lots de l'entreprise comme titulaire",
        )
        entetes = ["Lot", "Donneur d'ordre", "Début", "Fin", "Statut"]
        lignes = _lignes_lots(titulaire, colonne_titulaire=False)
        tableaux.append(
            Tableau(
                titre,
                [*entetes, "Heures requises", "Heures réalisées"],
                [*lignes, suite] if suite else lignes,
                vide="Aucun lot.",
            )
        )
        for titre, lots in (
            ("Lots comme cotraitant", e.lots_cotraitant),
            ("Lots comme sous-traitant", e.lots_sous_traitant),
        ):
            # no list filter for these roles: bounded, the title says when rows are left out
            lots, titre, _ = _limiter(
                lots.select_related("marche__donneur_ordre", "titulaire").order_by(
                    "-date_debut", "-pk"
                ),
                titre,
                "",
                "",
            )
            tableaux.append(
                Tableau(
                    titre,
                    ["Lot", "Titulaire", *entetes[1:]],
                    _lignes_lots(lots, colonne_titulaire=True),
                    vide="Aucun lot.",
                )
            )
        tableaux.append(_tableau_missions(e, user))
        par_annee = heures_selectors.heures_par_annee_entreprise(e)
        lignes_heures = []
        if par_annee:
            parametres = Parametres.get()
            for annee, heures in par_annee:
                lignes_heures.append(
                    [
                        (str(annee), ""),
                        (formats.heures(heures), ""),
                        (formats.nombre(heures_selectors.etp(heures, parametres), 2), ""),
                    ]
                )
        tableaux.append(
            Tableau(
                "Heures d'insertion validées par année",
                ["Année", "Heures validées", "ETP"],
                lignes_heures,
                vide="Aucune heure validée.",
            )
        )
        if heures_perms.peut_voir_attestations(user):
            tableaux.append(_tableau_attestations(e))
        if label_perms.peut_voir_dossiers(user):
            dossiers = e.dossiers_label.select_related("animateur").order_by("-annee")
            tableaux.append(
                Tableau(
                    "Dossiers de labellisation",
                    ["Année", "Statut", "Animateur·rice", "Déposé le"],
                    [
                        [
                            (str(d.annee), d.get_absolute_url()),
                            (d.get_statut_display(), ""),
                            (str(d.animateur or "—"), ""),
                            (formats.date_fr(d.date_depot), ""),
                        ]
                        for d in dossiers
                    ],
                    vide="Aucun dossier.",
                )
            )
        if label_perms.peut_voir_labels(user):
            tableaux.append(_tableau_labels(e))
        if label_perms.peut_voir_evenements(user):
            tableaux.append(_tableau_evenements(e))
        return tableaux


# --- related tables of the company page --------------------------------------------------


def _tableau_labels(e) -> Tableau:
    """The company's label history, each with its state today (``label.selectors``)."""
    aujourdhui = timezone.localdate()
    labels = e.labels.order_by("-date_obtention")
    return Tableau(
        "Historique du label Empl'itudes",
        ["Numéro", "Obtenu le", "Expire le", "État"],
        [
            [
                (label.numero or "—", label.get_absolute_url()),
                (formats.date_fr(label.date_obtention), ""),
                (formats.date_fr(label.date_expiration), ""),
                (label_selectors.etat_label_le(label, aujourdhui).label, ""),
            ]
            for label in labels
        ],
        vide="Jamais labellisée.",
    )


def _tableau_evenements(e) -> Tableau:
    """Network events the company attended."""
    participations = (
        e.participations_evenements.filter(present=True)
        .select_related("evenement")
        .order_by("-evenement__date")
    )
    return Tableau(
        "Événements du réseau auxquels elle a participé",
        ["Date", "Événement", "Thème", "Personnes présentes"],
        [
            [
                (formats.date_fr(p.evenement.date), ""),
                (p.evenement.titre, p.evenement.get_absolute_url()),
                (p.evenement.theme, ""),
                (formats.nombre(p.nombre_personnes), ""),
            ]
            for p in participations
        ],
        vide="Aucun événement.",
    )


def _limiter(queryset, titre: str, url_tout: str, libelle_tout: str, feminin=False):
    """At most LIMITE_TABLEAU rows; when there are more, say so and link to the full list."""
    return limiter(queryset, titre, url_tout, libelle_tout, feminin, limite=LIMITE_TABLEAU)


def _tableau_echanges(e) -> Tableau:
    echanges, titre, suite = _limiter(
        e.echanges.select_related("lot__marche", "auteur"),
        "Échanges avec l'entreprise",
        reverse("marches:echange_liste") + f"?entreprise={e.pk}",
        "Voir tous les échanges avec l'entreprise",
    )
    jour = timezone.localdate()
    lignes = []
    for echange in echanges:
        lot = echange.lot
        etat = echange.etat_action_le(jour)
        lignes.append(
            [
                (formats.date_fr(echange.date), echange.get_absolute_url()),
                (echange.get_type_display(), ""),
                (
                    (f"{lot.marche.reference} lot {lot.numero}", lot.get_absolute_url())
                    if lot
                    else ("—", "")
                ),
                (str(echange.auteur or "—"), ""),
                (Truncator(echange.note).chars(80), ""),
                (echange.prochaine_action or "—", ""),
                (formats.date_fr(echange.echeance) or "—", ""),
                ("—" if etat == EtatAction.AUCUNE else EtatAction(etat).label, ""),
            ]
        )
    if suite:
        lignes.append(suite)
    return Tableau(
        titre,
        [
            "Date",
            "Type",
            "Lot",
            "Auteur",
            "Compte rendu",
            "Prochaine action",
            "Échéance",
            "Action",
        ],
        lignes,
        vide="Aucun échange noté.",
    )


def _tableau_missions(e, user) -> Tableau:
    """Missions where the company is the employer. Identities only for who may see them."""
    voir_personnes = heures_perms.peut_voir_participants(user)
    voir_missions = heures_perms.peut_voir_missions(user)
    missions, titre, suite = _limiter(
        e.missions.select_related("participant", "lot__marche").order_by("-date_debut", "-pk"),
        "Missions (employeur)",
        reverse("heures:mission_liste") + f"?employeur={e.pk}" if voir_missions else "",
        "Voir toutes les missions de l'entreprise",
        feminin=True,
    )
    lignes = [
        [
            (m.reference, m.get_absolute_url() if voir_missions else ""),
            # No initials without the right to see participants: docs/autorisations.md.
            (m.participant.nom_affiche if voir_personnes else "—", ""),
            (str(m.lot), m.lot.get_absolute_url()),
            (m.get_modalite_display(), ""),
            (formats.date_fr(m.date_debut), ""),
            (formats.date_fr(m.date_fin) or "—", ""),
        ]
        for m in missions
    ]
    if suite:
        lignes.append(suite)
    return Tableau(
        titre,
        ["Référence", "Participant", "Lot", "Modalité", "Début", "Fin"],
        lignes,
        vide="Aucune mission.",
    )


def _tableau_attestations(e) -> Tableau:
    attestations, titre, suite = _limiter(
        e.attestations.select_related("lot__marche").order_by("-emise_le", "-pk"),
        "Attestations",
        reverse("heures:attestation_liste") + f"?entreprise={e.pk}",
        "Voir toutes les attestations de l'entreprise",
        feminin=True,
    )
    lignes = [
        [
            (a.numero, ""),
            (a.get_type_display(), ""),
            (f"{a.lot.marche.reference} lot {a.lot.numero}", a.lot.get_absolute_url()),
            (formats.mois_fr(a.mois) or "—", ""),
            (formats.heures(a.total_heures), ""),
            (a.get_statut_display(), ""),
            (formats.date_fr(a.emise_le), ""),
        ]
        for a in attestations
    ]
    if suite:
        lignes.append(suite)
    return Tableau(
        titre,
        ["Numéro", "Type", "Lot", "Mois", "Heures", "Statut", "Émise le"],
        lignes,
        vide="Aucune attestation émise.",
    )


# --- editing -------------------------------------------------------------------------------


class EntrepriseEditionView(PermissionAjoutOuModificationMixin, EditionView):
    """Create or edit a company with its contacts, saved together by the service."""

    model = Entreprise
    template_name = "entreprises/entreprise_edition.html"

    def get_objet(self):
        if "pk" in self.kwargs:
            return get_object_or_404(Entreprise, pk=self.kwargs["pk"])
        return None

    def get_titre(self):
        return f"Modifier « {self.objet} »" if self.objet else "Nouvelle entreprise"

    def get_fil(self):
        fil = [("Entreprises", reverse("entreprises:liste"))]
        if self.objet:
            fil.append((str(self.objet), self.objet.get_absolute_url()))
        return [*fil, (self.get_titre(), None)]

    def get_annulation(self):
        return self.objet.get_absolute_url() if self.objet else reverse("entreprises:liste")

    def get_formulaires(self, data=None):
        entreprise = EntrepriseForm(data=data, instance=self.objet)
        formulaires = {"entreprise": entreprise}
        user = self.request.user
        if perms.peut_modifier_contacts(user):
            formset = contact_formset(
                extra=1 if self.objet else 2, can_delete=perms.peut_supprimer_contacts(user)
            )
            formulaires["contacts"] = formset(
                data=data, instance=entreprise.instance, prefix="contacts"
            )
        return formulaires

    def enregistrer(self, formulaires, version_lue):
        entreprise = formulaires["entreprise"].save(commit=False)
        contacts = formulaires.get("contacts")
        return services.enregistrer_entreprise(
            entreprise,
            version_lue,
            self.request.user,
            contacts=contacts.modifications() if contacts is not None else None,
        )

    def message_succes(self, objet):
        return f"Entreprise « {objet} » enregistrée."


class EntrepriseContactsView(EditionView):
    """The contacts alone, for who may edit contacts but not the company (assistant·e)."""

    template_name = "entreprises/entreprise_edition.html"

    def has_permission(self):
        return perms.peut_modifier_contacts(self.request.user)

    def get_objet(self):
        return get_object_or_404(Entreprise, pk=self.kwargs["pk"])

    def get_titre(self):
        return f"Contacts de « {self.objet} »"

    def get_fil(self):
        return [
            ("Entreprises", reverse("entreprises:liste")),
            (str(self.objet), self.objet.get_absolute_url()),
            ("Contacts", None),
        ]

    def get_formulaires(self, data=None):
        formset = contact_formset(can_delete=perms.peut_supprimer_contacts(self.request.user))
        return {"contacts": formset(data=data, instance=self.objet, prefix="contacts")}

    def enregistrer(self, formulaires, version_lue):
        return services.enregistrer_contacts(
            self.objet, version_lue, self.request.user, formulaires["contacts"].modifications()
        )

    def message_succes(self, objet):
        return f"Contacts de « {objet} » enregistrés."
