from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator
from django.views import View
from django.views.decorators.http import require_POST
from django.views.generic import DetailView

from entreprises.models import Entreprise
from heures import perms as heures_perms
from heures import selectors as heures_selectors
from marches import annexe, import_fond, perms, services
from marches import forms as forms_module
from marches.filters import (
    DonneurOrdreFilter,
    EchangeFilter,
    FileQualificationFilter,
    LotFilter,
    MarcheFilter,
    OperationFilter,
)
from marches.forms import (
    CalculForm,
    ClauseForm,
    DonneurOrdreForm,
    EchangeForm,
    LotForm,
    MarcheForm,
    OperationForm,
)
from marches.models import (
    DonneurOrdre,
    Echange,
    EtatAction,
    Lot,
    Marche,
    Operation,
    Qualification,
    RapportImport,
    StatutLot,
    StatutTache,
    TacheImportDecp,
)
from mife.core import excel, formats, grammaire
from mife.core.excel import Classeur, ColonneExcel
from mife.core.fiches import Action, Champ, FicheView, Section, Tableau, historique, limiter
from mife.core.formulaires import EditionView, PermissionAjoutOuModificationMixin
from mife.core.listes import Colonne, ListeView
from mife.core.televersement import Televersement, TeleversementIntrouvable


class MarcheListeView(ListeView):
    titre = "Marchés"
    message_vide = "Aucun marché pour l'instant."
    filterset_class = MarcheFilter
    queryset = Marche.objects.select_related("donneur_ordre", "operation")
    tri_defaut = "-date_notification"
    action_principale = (
        "Nouveau marché",
        reverse_lazy("marches:marche_creer"),
        "marches.add_marche",
    )
    colonnes = [
        Colonne("Référence", "reference", tri="reference", lien=True, reference=True),
        Colonne("Objet", "objet", tri="objet"),
        Colonne("Donneur d'ordre", "donneur_ordre.nom", tri="donneur_ordre__nom"),
        Colonne("Opération", "operation.nom"),
        Colonne("Nature", "get_nature_display", tri="nature"),
        Colonne("Notification", "date_notification", tri="date_notification", format="date"),
        Colonne("Montant HT", "montant_ht", tri="montant_ht", format="montant", numerique=True),
    ]

    def has_permission(self):
        return perms.peut_voir_marches(self.request.user)


class LotListeView(ListeView):
    titre = "Lots et clauses"
    message_vide = "Aucun lot pour l'instant."
    aide_vide = (
        "Un lot se crée depuis la fiche de son marché (Marchés › le marché › « Nouveau lot »)."
    )
    filterset_class = LotFilter
    tri_defaut = "-date_debut"

    def has_permission(self):
        return perms.peut_voir_lots(self.request.user)

    def get_colonnes(self):
        return [
            Colonne("Lot", str, lien=True),
            Colonne(
                "Donneur d'ordre", "marche.donneur_ordre.nom", tri="marche__donneur_ordre__nom"
            ),
            Colonne("Titulaire", "titulaire.raison_sociale", tri="titulaire__raison_sociale"),
            Colonne("Clause", "clause.type", tri="clause__type"),
            Colonne("Début", "date_debut", tri="date_debut", format="date"),
            Colonne("Fin", "date_fin", tri="date_fin", format="date"),
            Colonne(
                "Heures requises",
                "clause.heures_requises",
                tri="clause__heures_requises",
                format="heures",
                numerique=True,
            ),
            Colonne(
                "Heures réalisées",
                "heures_realisees",
                tri="heures_realisees",
                format="heures",
                numerique=True,
            ),
            Colonne(
                "Avancement", "avancement", tri="avancement", format="pourcentage", numerique=True
            ),
            Colonne(
                "Attendu",
                "avancement_attendu",
                tri="avancement_attendu",
                format="pourcentage",
                numerique=True,
            ),
            Colonne(
                "Statut",
                lambda lot: StatutLot(lot.statut_avancement).label,
                statut=lambda lot: lot.statut_avancement,
            ),
        ]

    def get_queryset(self):
        self.queryset = heures_selectors.annoter_avancement(
            Lot.objects.select_related("marche__donneur_ordre", "titulaire", "clause"),
            timezone.localdate(),
        )
        return super().get_queryset()


class DonneurOrdreListeView(ListeView):
    titre = "Donneurs d'ordre"
    message_vide = "Aucun donneur d'ordre pour l'instant."
    filterset_class = DonneurOrdreFilter
    queryset = DonneurOrdre.objects.all()
    tri_defaut = "nom"
    action_principale = (
        "Nouveau donneur d'ordre",
        reverse_lazy("marches:donneur_creer"),
        "marches.add_donneurordre",
    )
    colonnes = [
        Colonne("Nom", "nom", tri="nom", lien=True),
        Colonne("Type", "get_type_display", tri="type"),
        Colonne("SIRET", "siret"),
        Colonne("Commune", "commune", tri="commune"),
        Colonne("Contact", "contact_nom"),
    ]

    def has_permission(self):
        return perms.peut_voir_donneurs_ordre(self.request.user)


class OperationListeView(ListeView):
    titre = "Opérations"
    message_vide = "Aucune opération pour l'instant."
    filterset_class = OperationFilter
    queryset = Operation.objects.select_related("donneur_ordre").annotate(
        nb_marches=Count("marches")
    )
    tri_defaut = "-date_debut"
    action_principale = (
        "Nouvelle opération",
        reverse_lazy("marches:operation_creer"),
        "marches.add_operation",
    )
    colonnes = [
        Colonne("Opération", "nom", tri="nom", lien=True),
        Colonne("Donneur d'ordre", "donneur_ordre.nom", tri="donneur_ordre__nom"),
        Colonne("Commune", "commune", tri="commune"),
        Colonne("Renouvellement urbain", "renouvellement_urbain", format="booleen"),
        Colonne("Début", "date_debut", tri="date_debut", format="date"),
        Colonne("Fin prévue", "date_fin", tri="date_fin", format="date"),
        Colonne("Marchés", "nb_marches", tri="nb_marches", numerique=True),
    ]

    def has_permission(self):
        return perms.peut_voir_operations(self.request.user)


class OperationFicheView(FicheView):
    queryset = Operation.objects.select_related("donneur_ordre")

    def has_permission(self):
        return perms.peut_voir_operations(self.request.user)

    def get_fil(self):
        return [("Opérations", reverse("marches:operation_liste")), (str(self.object), None)]

    def get_actions(self):
        actions = []
        if perms.peut_creer_marche(self.request.user):
            url = reverse("marches:marche_creer") + f"?operation={self.object.pk}"
            actions.append(Action("Nouveau marché", url, principale=True))
        if perms.peut_modifier_operation(self.request.user):
            actions.append(
                Action("Modifier", reverse("marches:operation_modifier", args=[self.object.pk]))
            )
        return actions

    def get_sections(self):
        o = self.object
        return [
            Section(
                "Opération",
                [
                    Champ(
                        "Donneur d'ordre", o.donneur_ordre, url=o.donneur_ordre.get_absolute_url()
                    ),
                    Champ("Commune", o.commune),
                    Champ("Renouvellement urbain (ANRU/QPV)", o.renouvellement_urbain, "booleen"),
                    Champ("Début", o.date_debut, "date"),
                    Champ("Fin prévue", o.date_fin, "date"),
                    Champ("Description", o.description),
                ],
            )
        ]

    def get_tableaux(self):
        marches = self.object.marches.order_by("reference")
        return [
            Tableau(
                "Marchés",
                ["Référence", "Objet", "Nature", "Notification", "Montant HT"],
                [
                    [
                        (m.reference, m.get_absolute_url()),
                        (m.objet[:80], ""),
                        (m.get_nature_display(), ""),
                        (formats.date_fr(m.date_notification), ""),
                        (formats.montant(m.montant_ht), ""),
                    ]
                    for m in marches
                ],
            )
        ]


def tableaux_donnees_publiees(marche: Marche) -> list[Tableau]:
    """The marché page's published modifications (amount and duration history) and
    sub-contracting acts."""
    modifications = list(marche.modifications.all())
    actes = list(marche.actes_sous_traitance.select_related("sous_traitant"))
    return [
        Tableau(
            "Modifications publiées (montant et durée)",
            ["N°", "Notifiée le", "Montant avant", "Montant après", "Durée avant", "Durée après"],
            [
                [
                    (str(m.rang), ""),
                    (formats.date_fr(m.date_notification) or "—", ""),
                    (formats.montant(m.montant_avant) if m.montant_avant is not None else "—", ""),
                    (formats.montant(m.montant_ht) if m.montant_ht is not None else "—", ""),
                    (f"{m.duree_avant} mois" if m.duree_avant is not None else "—", ""),
                    (f"{m.duree_mois} mois" if m.duree_mois is not None else "—", ""),
                ]
                for m in modifications
            ],
            vide="Aucune modification publiée.",
        ),
        Tableau(
            "Sous-traitance publiée",
            ["Sous-traitant", "Montant HT", "Notifié le"],
            [
                [
                    (str(a.sous_traitant), a.sous_traitant.get_absolute_url()),
                    (formats.montant(a.montant_ht) if a.montant_ht is not None else "—", ""),
                    (formats.date_fr(a.date_notification) or "—", ""),
                ]
                for a in actes
            ],
            vide="Aucun acte de sous-traitance publié.",
        ),
    ]


class MarcheFicheView(FicheView):
    queryset = Marche.objects.select_related("donneur_ordre", "operation")

    def has_permission(self):
        return perms.peut_voir_marches(self.request.user)

    def get_titre(self):
        return f"Marché {self.object.reference}"

    def get_actions(self):
        actions = []
        qualifiable = self.object.qualification != Qualification.SUIVI
        if qualifiable and perms.peut_qualifier_marche(self.request.user):
            url = reverse("marches:marche_qualifier", args=[self.object.pk])
            actions.append(Action("Qualifier (suivre ou écarter)", url, principale=True))
        if perms.peut_creer_lot(self.request.user) and not qualifiable:
            url = reverse("marches:lot_creer", args=[self.object.pk])
            actions.append(Action("Nouveau lot", url, principale=True))
        if perms.peut_modifier_marche(self.request.user):
            actions.append(
                Action("Modifier", reverse("marches:marche_modifier", args=[self.object.pk]))
            )
        return actions

    def get_fil(self):
        return [("Marchés", reverse("marches:marche_liste")), (self.object.reference, None)]

    def get_sections(self):
        m = self.object
        return [
            Section(
                "Marché",
                [
                    Champ("Objet", m.objet),
                    Champ(
                        "Donneur d'ordre", m.donneur_ordre, url=m.donneur_ordre.get_absolute_url()
                    ),
                    Champ("Opération", m.operation),
                    Champ("Nature", m.get_nature_display()),
                    Champ("Procédure", m.get_procedure_display()),
                ],
            ),
            Section(
                "Repérage (données publiées)",
                [
                    Champ("Identifiant DECP", m.decp_id),
                    Champ("Qualification", m.get_qualification_display()),
                    Champ("Pourquoi", " ; ".join(m.raisons_qualification)),
                    Champ("Motif de l'écart", m.motif_ecart),
                    Champ("Clause sociale publiée", m.clause_sociale, format="booleen"),
                    Champ("Critère social publié", m.critere_social, format="booleen"),
                    Champ("Marché réservé publié", m.marche_reserve, format="booleen"),
                ],
            ),
            Section(
                "Chiffres",
                [
                    Champ("Notification", m.date_notification, "date"),
                    Champ("Durée (mois)", m.duree_mois),
                    Champ("Montant HT", m.montant_ht, "montant"),
                    Champ("Code CPV", m.code_cpv),
                    Champ("Identifiant DECP", m.decp_id),
                ],
            ),
        ]

    def get_tableaux(self):
        lots = heures_selectors.annoter_heures_realisees(
            self.object.lots.select_related("titulaire", "clause", "marche")
        )
        return [
            Tableau(
                "Lots",
                ["Lot", "Titulaire", "Heures requises", "Heures réalisées", "Statut"],
                [
                    [
                        (f"{lot.numero} — {lot.intitule}", lot.get_absolute_url()),
                        (str(lot.titulaire or "—"), ""),
                        (
                            formats.heures(
                                getattr(getattr(lot, "clause", None), "heures_requises", 0)
                            ),
                            "",
                        ),
                        (formats.heures(lot.heures_realisees), ""),
                        (lot.statut_libelle, ""),
                    ]
                    for lot in lots
                ],
            ),
            *tableaux_donnees_publiees(self.object),
        ]


class LotFicheView(FicheView):
    template_name = "marches/lot_fiche.html"

    def has_permission(self):
        return perms.peut_voir_lots(self.request.user)

    def get_queryset(self):
        return heures_selectors.annoter_avancement(
            Lot.objects.select_related(
                "marche__donneur_ordre", "marche__operation", "titulaire", "clause", "facilitateur"
            ),
            timezone.localdate(),
        )

    def get_statut(self):
        statut = self.object.statut_avancement
        return (statut, StatutLot(statut).label)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        lot = self.object
        context["avancement"] = {
            "realise": lot.avancement,
            "realise_texte": formats.pourcentage(lot.avancement),
            "attendu": lot.avancement_attendu,
            "attendu_texte": formats.pourcentage(lot.avancement_attendu),
            "en_retard": lot.en_retard,
            "heures": lot.heures_realisees,
            "requises": getattr(getattr(lot, "clause", None), "heures_requises", None),
        }
        clause = getattr(lot, "clause", None)
        if clause is not None:
            # The clause is edited with the lot: its changes (hours, kind…) belong to its history.
            lignes = context["historique"] + [
                dict(ligne, type=f"{ligne['type']} de la clause") for ligne in historique(clause)
            ]
            context["historique"] = sorted(lignes, key=lambda ligne: ligne["date"], reverse=True)
        return context

    def get_actions(self):
        actions = []
        pk = self.object.pk
        if perms.peut_modifier_lot(self.request.user):
            actions.append(
                Action(
                    "Modifier le lot et la clause",
                    reverse("marches:lot_modifier", args=[pk]),
                    principale=True,
                )
            )
        if heures_perms.peut_creer_mission(self.request.user):
            url = reverse("heures:mission_creer") + f"?lot={pk}"
            actions.append(Action("Nouvelle mission", url))
        if heures_perms.peut_creer_besoin(self.request.user):
            url = reverse("heures:besoin_creer") + f"?lot={pk}"
            actions.append(Action("Nouveau besoin de recrutement", url))
        if heures_perms.peut_emettre_attestation(self.request.user):
            url = reverse("heures:attestation_realisation", args=[pk])
            actions.append(Action("Attestation de réalisation", url, methode="post"))
        if getattr(self.object, "clause", None) is not None:
            actions.append(
                Action("Annexe clause (Word)", reverse("marches:lot_annexe", args=[pk, "docx"]))
            )
            actions.append(
                Action("Annexe clause (PDF)", reverse("marches:lot_annexe", args=[pk, "pdf"]))
            )
        return actions

    def get_fil(self):
        return [("Lots et clauses", reverse("marches:lot_liste")), (str(self.object), None)]

    def get_sections(self):
        lot = self.object
        clause = getattr(lot, "clause", None)
        realisees = lot.heures_realisees
        sections = [
            Section(
                "Lot",
                [
                    Champ("Marché", lot.marche, url=lot.marche.get_absolute_url()),
                    Champ("Donneur d'ordre", lot.marche.donneur_ordre),
                    Champ(
                        "Titulaire",
                        lot.titulaire,
                        url=lot.titulaire.get_absolute_url() if lot.titulaire else "",
                    ),
                    Champ("Montant HT", lot.montant_ht, "montant"),
                    Champ("Début d'exécution", lot.date_debut, "date"),
                    Champ("Fin d'exécution", lot.date_fin, "date"),
                    Champ("Facilitateur·rice", lot.facilitateur),
                ],
            )
        ]
        if clause:
            sections.append(
                Section(
                    "Clause d'insertion",
                    [
                        Champ("Type", clause.get_type_display()),
                        Champ("Heures requises", clause.heures_requises, "heures"),
                        Champ("Heures calculées", clause.heures_calculees, "heures"),
                        Champ("Heures réalisées (validées)", realisees, "heures"),
                        Champ("Pondération du critère", clause.ponderation_critere, "pourcentage"),
                        Champ("Pénalité par heure manquante", clause.penalite_horaire, "montant"),
                        Champ("Motif de l'ajustement", clause.motif_derogation),
                    ],
                )
            )
        return sections

    def get_tableaux(self):
        voir_personnes = heures_perms.peut_voir_participants(self.request.user)
        missions, titre, suite = limiter(
            self.object.missions.select_related("participant", "employeur").order_by(
                "-date_debut", "-pk"
            ),
            "Missions",
            reverse("heures:mission_liste") + f"?lot={self.object.pk}"
            if heures_perms.peut_voir_missions(self.request.user)
            else "",
            "Voir toutes les missions du lot",
            feminin=True,
        )
        return [
            Tableau(
                titre,
                ["Référence", "Participant", "Employeur", "Modalité", "Début", "Fin"],
                [
                    [
                        (m.reference, m.get_absolute_url() if voir_personnes else ""),
                        # No initials without the right to see participants (direction,
                        # animation): aggregates only, docs/autorisations.md.
                        (str(m.participant) if voir_personnes else "—", ""),
                        (str(m.employeur), ""),
                        (m.get_modalite_display(), ""),
                        (formats.date_fr(m.date_debut), ""),
                        (formats.date_fr(m.date_fin), ""),
                    ]
                    for m in missions
                ]
                + ([suite] if suite else []),
            ),
            *tableaux_echanges_du_lot(self.object, self.request.user),
        ]


class DonneurOrdreFicheView(FicheView):
    model = DonneurOrdre

    def has_permission(self):
        return perms.peut_voir_donneurs_ordre(self.request.user)

    def get_fil(self):
        return [("Donneurs d'ordre", reverse("marches:donneur_liste")), (str(self.object), None)]

    def get_actions(self):
        actions = []
        pk = self.object.pk
        if perms.peut_creer_operation(self.request.user):
            url = reverse("marches:operation_creer") + f"?donneur_ordre={pk}"
            actions.append(Action("Nouvelle opération", url, principale=True))
        if perms.peut_creer_marche(self.request.user):
            url = reverse("marches:marche_creer") + f"?donneur_ordre={pk}"
            actions.append(Action("Nouveau marché", url))
        if perms.peut_modifier_donneur_ordre(self.request.user):
            actions.append(Action("Modifier", reverse("marches:donneur_modifier", args=[pk])))
        return actions

    def get_sections(self):
        d = self.object
        return [
            Section(
                "Donneur d'ordre",
                [
                    Champ("Type", d.get_type_display()),
                    Champ("SIRET", d.siret),
                    Champ("Adresse", f"{d.adresse}\n{d.code_postal} {d.commune}".strip()),
                ],
            ),
            Section(
                "Contact",
                [
                    Champ("Nom", d.contact_nom),
                    Champ("E-mail", d.contact_email),
                    Champ("Téléphone", d.contact_telephone),
                ],
            ),
        ]

    def get_tableaux(self):
        marches = self.object.marches.select_related("operation").order_by("-date_notification")
        return [
            Tableau(
                "Marchés",
                ["Référence", "Objet", "Opération", "Notification"],
                [
                    [
                        (m.reference, m.get_absolute_url()),
                        (m.objet[:80], ""),
                        (str(m.operation or "—"), ""),
                        (formats.date_fr(m.date_notification), ""),
                    ]
                    for m in marches
                ],
            )
        ]


# --- Editing -------------------------------------------------------------------------------


class _EditionSimple(PermissionAjoutOuModificationMixin, EditionView):
    """Create or edit one buyer / operation / contract through ``services.enregistrer``."""

    form_class = None
    liste = ""  # URL name of the list, for the breadcrumbs
    libelle_liste = ""

    def get_objet(self):
        if "pk" in self.kwargs:
            return get_object_or_404(self.model, pk=self.kwargs["pk"])
        return None

    def get_titre(self):
        if self.objet is not None:
            return f"Modifier « {self.objet} »"
        return grammaire.nouveau(self.model)

    def get_fil(self):
        return [(self.libelle_liste, reverse(self.liste)), (self.get_titre(), None)]

    def get_initial(self):
        return {}

    def get_formulaires(self, data=None):
        # Pre-filled values (?donneur_ordre=…) are for a new record only: on an edit they would
        # replace the stored values (an empty buyer shown, then "champ obligatoire").
        initial = self.get_initial() if data is None and self.objet is None else None
        return {"principal": self.form_class(data=data, instance=self.objet, initial=initial)}

    def enregistrer(self, formulaires, version_lue):
        instance = formulaires["principal"].save(commit=False)
        return services.enregistrer(instance, version_lue, self.request.user)


class DonneurOrdreEditionView(_EditionSimple):
    model = DonneurOrdre
    form_class = DonneurOrdreForm
    liste, libelle_liste = "marches:donneur_liste", "Donneurs d'ordre"


class OperationEditionView(_EditionSimple):
    model = Operation
    form_class = OperationForm
    liste, libelle_liste = "marches:operation_liste", "Opérations"

    def get_initial(self):
        return {"donneur_ordre": self.request.GET.get("donneur_ordre")}


class MarcheEditionView(_EditionSimple):
    model = Marche
    form_class = MarcheForm
    liste, libelle_liste = "marches:marche_liste", "Marchés"

    def get_initial(self):
        initial = {"donneur_ordre": self.request.GET.get("donneur_ordre")}
        operation_id = self.request.GET.get("operation", "")
        if operation_id.isdigit():
            operation = Operation.objects.filter(pk=operation_id).first()
            if operation:
                initial.update(operation=operation.pk, donneur_ordre=operation.donneur_ordre_id)
        return initial


class LotEditionView(PermissionAjoutOuModificationMixin, EditionView):
    """A lot and its clause on one page, with the hours calculator."""

    model = Lot
    template_name = "marches/lot_edition.html"

    def get_objet(self):
        if "pk" in self.kwargs:
            lot = get_object_or_404(Lot.objects.select_related("marche"), pk=self.kwargs["pk"])
            self.marche = lot.marche
            return lot
        self.marche = get_object_or_404(Marche, pk=self.kwargs["marche_pk"])
        return None

    def get_titre(self):
        if self.objet is not None:
            return f"Modifier le lot {self.objet.numero} — {self.marche.reference}"
        return f"Nouveau lot — marché {self.marche.reference}"

    def get_fil(self):
        return [
            ("Marchés", reverse("marches:marche_liste")),
            (self.marche.reference, self.marche.get_absolute_url()),
            (self.get_titre(), None),
        ]

    def get_annulation(self):
        return self.objet.get_absolute_url() if self.objet else self.marche.get_absolute_url()

    def get_formulaires(self, data=None):
        clause = getattr(self.objet, "clause", None) if self.objet else None
        initial_clause = None
        if clause is None and data is None:
            initial_clause = services.valeurs_par_defaut_calcul(self.marche)
        lot_form = LotForm(
            data=data,
            instance=self.objet,
            marche=self.marche,
            initial=None if self.objet or data else {"facilitateur": self.request.user.pk},
        )
        return {
            "lot": lot_form,
            "clause": ClauseForm(
                data=data, instance=clause, initial=initial_clause, lot_form=lot_form
            ),
        }

    def enregistrer(self, formulaires, version_lue):
        lot_form, clause_form = formulaires["lot"], formulaires["clause"]
        lot = lot_form.save(commit=False)
        clause = clause_form.save(commit=False)
        clause.heures_requises = clause_form.cleaned_data["heures_requises"]
        return services.enregistrer_lot(
            lot,
            clause,
            version_lue,
            self.request.user,
            cotraitants=lot_form.cleaned_data["cotraitants"],
            sous_traitants=lot_form.cleaned_data["sous_traitants"],
        )

    def message_succes(self, objet):
        return (
            f"Lot enregistré : {formats.heures(objet.clause.heures_requises)} d'insertion requises."
        )


def calcul_heures(request):
    """htmx: the calculator's result while the user types (nothing is saved)."""
    if not perms.peut_voir_lots(request.user):
        raise PermissionDenied
    form = CalculForm(request.GET)
    heures = form.heures() if form.is_valid() else None
    return render(request, "marches/_calcul.html", {"form": form, "heures": heures})


def annexe_clause(request, pk: int, format: str):
    """The clause annex of a lot, as Word (.docx) or PDF."""
    if not perms.peut_voir_lots(request.user):
        raise PermissionDenied
    lot = get_object_or_404(
        Lot.objects.select_related(
            "marche__donneur_ordre", "marche__operation", "clause", "facilitateur"
        ),
        pk=pk,
    )
    if getattr(lot, "clause", None) is None:
        raise Http404("Ce lot n'a pas de clause d'insertion.")
    if format == "docx":
        contenu = annexe.docx(lot)
        type_mime = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    elif format == "pdf":
        contenu = annexe.pdf(lot)
        type_mime = "application/pdf"
    else:
        raise Http404("Format inconnu : docx ou pdf.")
    reponse = HttpResponse(contenu, content_type=type_mime)
    reponse["Content-Disposition"] = f'attachment; filename="{annexe.nom_fichier(lot, format)}"'
    return reponse


class ImportDecpView(PermissionRequiredMixin, View):
    """Upload a DECP file, preview exactly what the import will do, then confirm it."""

    raise_exception = True
    template_name = "marches/import_decp.html"
    televersement = Televersement("decp", ".json")

    def has_permission(self):
        return perms.peut_importer_decp(self.request.user)

    def _rendre(self, request, **contexte):
        contexte.setdefault("form", forms_module.ImportDecpForm())
        contexte.update(
            titre="Importer des marchés publiés (DECP)",
            fil=[("Marchés", reverse("marches:marche_liste")), ("Import DECP", None)],
        )
        return render(request, self.template_name, contexte)

    def get(self, request):
        return self._rendre(request)

    def post(self, request):
        if "confirmer" in request.POST:
            return self._confirmer(request)
        if "annuler" in request.POST:
            self.televersement.oublier(request, request.POST.get("jeton", ""))
            messages.info(request, "Import annulé : rien n'a été enregistré.")
            return redirect("marches:import_decp")
        form = forms_module.ImportDecpForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._rendre(request, form=form)
        nom = form.cleaned_data["fichier"].name
        contenu = form.cleaned_data["fichier"].read()
        departement = form.cleaned_data["departement"] or None
        acheteur = form.cleaned_data["acheteur"] or None
        jeton = self.televersement.garder(
            request, nom, contenu, departement=departement, acheteur=acheteur
        )
        attente = self.televersement.reprendre(request, jeton)
        tache = import_fond.demander(
            TacheImportDecp.APERCU,
            nom,
            self.televersement.chemin(attente),
            attente.jeton,
            request.user,
            departement,
            acheteur,
        )
        return redirect("marches:import_decp_tache", tache.pk)

    def _confirmer(self, request):
        try:
            attente = self.televersement.reprendre(request, request.POST.get("jeton", ""))
        except TeleversementIntrouvable as erreur:
            messages.error(request, str(erreur))
            return redirect("marches:import_decp")
        donnees = attente.donnees
        self.televersement.detacher(request)  # the worker now owns the file
        tache = import_fond.demander(
            TacheImportDecp.IMPORT,
            attente.nom,
            self.televersement.chemin(attente),
            attente.jeton,
            request.user,
            donnees["departement"],
            donnees["acheteur"],
        )
        return redirect("marches:import_decp_tache", tache.pk)


def _tache_decp(request, pk: int) -> TacheImportDecp:
    """One's own upload (another user's is not found)."""
    if not perms.peut_importer_decp(request.user):
        raise PermissionDenied
    return get_object_or_404(TacheImportDecp, pk=pk, par=request.user)


def _contexte_tache(request, tache: TacheImportDecp) -> dict:
    attente = request.session.get(ImportDecpView.televersement.cle_session) or {}
    refuse = tache.statut == StatutTache.ECHEC or tache.resultat.get("erreurs")
    if refuse and attente.get("jeton") == tache.jeton:
        ImportDecpView.televersement.oublier(request, tache.jeton)  # nothing to confirm
        attente = {}
    confirmable = (
        tache.etape == TacheImportDecp.APERCU
        and tache.statut == StatutTache.TERMINEE
        and not tache.resultat.get("erreurs")
        and attente.get("jeton") == tache.jeton
    )
    return {"tache": tache, "jeton": tache.jeton if confirmable else ""}


def import_decp_tache(request, pk: int):
    """The preview or the import of an uploaded file, followed while the worker runs it."""
    tache = _tache_decp(request, pk)
    return render(
        request,
        "marches/import_decp.html",
        {
            "form": forms_module.ImportDecpForm(),
            "titre": "Importer des marchés publiés (DECP)",
            "fil": [
                ("Marchés", reverse("marches:marche_liste")),
                ("Import DECP", reverse("marches:import_decp")),
                (str(tache), None),
            ],
            **_contexte_tache(request, tache),
        },
    )


def import_decp_progression(request, pk: int):
    """The progress partial, polled by htmx every 2 s while the worker runs."""
    tache = _tache_decp(request, pk)
    return render(request, "marches/_import_decp_tache.html", _contexte_tache(request, tache))


class RapportImportView(PermissionRequiredMixin, DetailView):
    """What one DECP import did: counts by reason, records set aside, warnings by kind."""

    raise_exception = True
    model = RapportImport
    template_name = "marches/rapport_import.html"

    def has_permission(self):
        return perms.peut_importer_decp(self.request.user)

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "xlsx":
            return rapport_excel(self.get_object())
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            titre=str(self.object),
            fil=[
                ("Marchés", reverse("marches:marche_liste")),
                ("Import DECP", reverse("marches:import_decp")),
                (f"Rapport n° {self.object.pk}", None),
            ],
            ecartes_affiches=self.object.ecartes[:LIGNES_RAPPORT],
            limite=LIGNES_RAPPORT,
            **kwargs,
        )


LIGNES_RAPPORT = 200


class FileQualificationView(ListeView):
    """Contracts found in the DECP, waiting to be followed or set aside, most promising first."""

    titre = "Marchés à qualifier"
    message_vide = "Aucun marché à qualifier."
    aide_vide = (
        "Les marchés importés des données ouvertes (Import DECP) arrivent ici "
        "avant d'être suivis ou écartés."
    )
    filterset_class = FileQualificationFilter
    queryset = Marche.objects.filter(qualification=Qualification.A_QUALIFIER).select_related(
        "donneur_ordre"
    )
    tri_defaut = "-score_qualification"
    nom_export = "marches-a-qualifier"
    colonnes = [
        Colonne("Intérêt", "score_qualification", tri="score_qualification", numerique=True),
        Colonne("Pourquoi", lambda m: " ; ".join(m.raisons_qualification) or "—"),
        Colonne("Référence", "reference", tri="reference", lien=True, reference=True),
        Colonne("Objet", lambda m: Truncator(m.objet).chars(120)),
        Colonne("Donneur d'ordre", "donneur_ordre.nom", tri="donneur_ordre__nom"),
        Colonne("Notification", "date_notification", tri="date_notification", format="date"),
        Colonne("Durée (mois)", "duree_mois", tri="duree_mois", numerique=True),
        Colonne("Montant HT", "montant_ht", tri="montant_ht", format="montant", numerique=True),
    ]

    def has_permission(self):
        return perms.peut_voir_marches(self.request.user)


class QualifierMarcheView(PermissionRequiredMixin, View):
    """Follow a contract found in the DECP (opération, lot, clause) or set it aside."""

    raise_exception = True

    def has_permission(self):
        return perms.peut_qualifier_marche(self.request.user)

    def _rendre(self, request, marche, form_suivre=None, form_ecarter=None):
        return render(
            request,
            "marches/qualifier.html",
            {
                "marche": marche,
                "form_suivre": form_suivre or forms_module.SuivreMarcheForm(marche=marche),
                "form_ecarter": form_ecarter or forms_module.EcarterMarcheForm(),
                "titre": f"Qualifier le marché {marche.reference}",
                "fil": [
                    ("Marchés à qualifier", reverse("marches:file_qualification")),
                    (marche.reference, marche.get_absolute_url()),
                    ("Qualifier", None),
                ],
            },
        )

    def _marche(self, pk):
        return get_object_or_404(Marche.objects.select_related("donneur_ordre"), pk=pk)

    def get(self, request, pk):
        return self._rendre(request, self._marche(pk))

    def post(self, request, pk):
        marche = self._marche(pk)
        if "ecarter" in request.POST:
            form = forms_module.EcarterMarcheForm(request.POST)
            if form.is_valid():
                try:
                    services.ecarter_marche(marche, request.user, form.cleaned_data["motif"])
                except ValidationError as erreur:
                    form.add_error(None, erreur)
                else:
                    messages.success(request, f"Marché {marche.reference} écarté.")
                    return redirect("marches:file_qualification")
            return self._rendre(request, marche, form_ecarter=form)
        form = forms_module.SuivreMarcheForm(request.POST, marche=marche)
        if form.is_valid():
            try:
                lot = services.accepter_marche(marche, request.user, form.cleaned_data["operation"])
            except ValidationError as erreur:
                form.add_error(None, erreur)
            else:
                messages.success(
                    request,
                    f"Marché {marche.reference} suivi : lot 1 et clause créés, heures calculées "
                    "à partir du montant. Ajustez la clause si besoin.",
                )
                return redirect("marches:lot_modifier", lot.pk)
        return self._rendre(request, marche, form_suivre=form)


RANG_DECP = ColonneExcel("N° d'enregistrement", excel.ENTIER)


def rapport_excel(rapport: RapportImport) -> HttpResponse:
    """The import report as a workbook: set-aside records, reasons, warnings, conflicts."""
    classeur = Classeur()
    feuilles = [
        (
            "Écartés",
            [RANG_DECP, "Identifiant DECP", "Champ", "Motif", "Sorte"],
            [[e["rang"], e["id"], e["champ"], e["motif"], e["genre"]] for e in rapport.ecartes],
        ),
        (
            "Motifs",
            ["Motif", ColonneExcel("Lignes", excel.ENTIER)],
            [list(m) for m in rapport.motifs_ecart()],
        ),
        (
            "Avertissements",
            ["Champ", "Sorte", ColonneExcel("Nombre", excel.ENTIER), "Exemple"],
            [
                [g["champ"], g["genre"], g["nombre"], (g["exemples"] or [""])[0]]
                for g in rapport.avertissements
            ],
        ),
        (
            "Conflits",
            [RANG_DECP, "Identifiant DECP", "Champ", "Motif"],
            [[c["rang"], c["id"], c["champ"], c["motif"]] for c in rapport.conflits],
        ),
    ]
    for titre, entetes, lignes in feuilles:
        classeur.feuille(titre).tableau(entetes, lignes)
    response = HttpResponse(
        classeur.octets(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="rapport-import-decp-{rapport.pk}.xlsx"'
    )
    return response


# --- Accompagnement des entreprises: exchanges and their next actions ----------------------

# One colour per state of a next action (the badge also says it in words).


def _lot_court(lot) -> str:
    return f"{lot.marche.reference} lot {lot.numero}" if lot else ""


def tableaux_echanges_du_lot(lot, user) -> list[Tableau]:
    """The lot page's companies (with a link to log an exchange) and exchanges about it."""
    peut_noter = perms.peut_noter_echange(user)
    entreprises = []
    if lot.titulaire:
        entreprises.append((lot.titulaire, "Titulaire"))
    entreprises += [(e, "Cotraitant") for e in lot.cotraitants.order_by("raison_sociale")]
    entreprises += [(e, "Sous-traitant") for e in lot.sous_traitants.order_by("raison_sociale")]
    lignes_entreprises = []
    for entreprise, role in entreprises:
        ligne = [(str(entreprise), entreprise.get_absolute_url()), (role, "")]
        if peut_noter:
            url = reverse("marches:echange_creer", args=[entreprise.pk]) + f"?lot={lot.pk}"
            ligne.append(("Noter un échange", url))
        lignes_entreprises.append(ligne)
    tableaux = [
        Tableau(
            "Entreprises du lot",
            ["Entreprise", "Rôle", *(["Accompagnement"] if peut_noter else [])],
            lignes_entreprises,
            vide="Aucune entreprise n'est encore désignée sur ce lot.",
        )
    ]
    if not perms.peut_voir_echanges(user):
        return tableaux
    jour = timezone.localdate()
    echanges, titre, suite = limiter(
        lot.echanges.select_related("entreprise", "auteur"),
        "Échanges avec les entreprises",
        reverse("marches:echange_liste") + f"?lot={lot.pk}",
        "Voir tous les échanges sur ce lot",
    )
    lignes = []
    for echange in echanges:
        etat = echange.etat_action_le(jour)
        lignes.append(
            [
                (formats.date_fr(echange.date), echange.get_absolute_url()),
                (str(echange.entreprise), echange.entreprise.get_absolute_url()),
                (echange.get_type_display(), ""),
                (str(echange.auteur or "—"), ""),
                (Truncator(echange.note).chars(80), ""),
                (echange.prochaine_action or "—", ""),
                (formats.date_fr(echange.echeance) or "—", ""),
                ("—" if etat == EtatAction.AUCUNE else EtatAction(etat).label, ""),
            ]
        )
    if suite:
        lignes.append(suite)
    tableaux.append(
        Tableau(
            titre,
            [
                "Date",
                "Entreprise",
                "Type",
                "Auteur",
                "Compte rendu",
                "Prochaine action",
                "Échéance",
                "Action",
            ],
            lignes,
            vide="Aucun échange noté sur ce lot.",
        )
    )
    return tableaux


class EchangeListeView(ListeView):
    titre = "Échanges avec les entreprises"
    message_vide = "Aucun échange pour l'instant."
    aide_vide = "Un échange s'enregistre depuis la fiche de l'entreprise."
    filterset_class = EchangeFilter
    queryset = Echange.objects.select_related("entreprise", "lot__marche", "auteur")
    tri_defaut = "-date"
    nom_export = "echanges-entreprises"

    def has_permission(self):
        return perms.peut_voir_echanges(self.request.user)

    def get_colonnes(self):
        jour = timezone.localdate()
        return [
            Colonne("Date", "date", tri="date", format="date", lien=True),
            Colonne("Entreprise", "entreprise.raison_sociale", tri="entreprise__raison_sociale"),
            Colonne("Lot", lambda e: _lot_court(e.lot), tri="lot__marche__reference"),
            Colonne("Type", "get_type_display", tri="type"),
            Colonne("Auteur", lambda e: str(e.auteur or ""), tri="auteur__last_name"),
            Colonne("Compte rendu", lambda e: Truncator(e.note).chars(120)),
            Colonne("Prochaine action", "prochaine_action"),
            Colonne("Échéance", "echeance", tri="echeance", format="date"),
            Colonne(
                "Action",
                lambda e: EtatAction(e.etat_action_le(jour)).label,
                statut=lambda e: e.etat_action_le(jour),
            ),
        ]


class EchangeFicheView(FicheView):
    queryset = Echange.objects.select_related(
        "entreprise", "lot__marche", "auteur", "action_faite_par", "modifie_par"
    )

    def has_permission(self):
        return perms.peut_voir_echanges(self.request.user)

    def get_statut(self):
        etat = self.object.etat_action
        if etat == EtatAction.AUCUNE:
            return None
        return (etat, f"Action {EtatAction(etat).label.lower()}")

    def get_fil(self):
        entreprise = self.object.entreprise
        return [
            ("Entreprises", reverse("entreprises:liste")),
            (str(entreprise), entreprise.get_absolute_url()),
            (f"Échange du {formats.date_fr(self.object.date)}", None),
        ]

    def get_actions(self):
        echange = self.object
        actions = []
        if not perms.peut_modifier_echange(self.request.user):
            return actions
        if echange.etat_action in (EtatAction.A_FAIRE, EtatAction.EN_RETARD):
            actions.append(
                Action(
                    "Marquer l'action comme faite",
                    reverse("marches:echange_action_faite", args=[echange.pk]),
                    principale=True,
                    methode="post",
                )
            )
        actions.append(Action("Modifier", reverse("marches:echange_modifier", args=[echange.pk])))
        return actions

    def get_sections(self):
        e = self.object
        lot = e.lot
        return [
            Section(
                "Échange",
                [
                    Champ("Entreprise", e.entreprise, url=e.entreprise.get_absolute_url()),
                    Champ("Lot", lot, url=lot.get_absolute_url() if lot else ""),
                    Champ("Type", e.get_type_display()),
                    Champ("Date", e.date, "date"),
                    Champ("Auteur", e.auteur),
                    Champ("Compte rendu", e.note),
                ],
            ),
            Section(
                "Prochaine action",
                [
                    Champ("Action", e.prochaine_action),
                    Champ("Échéance", e.echeance, "date"),
                    Champ("Faite le", e.action_faite_le, "date"),
                    Champ("Faite par", e.action_faite_par),
                ],
            ),
        ]


class EchangeEditionView(PermissionAjoutOuModificationMixin, EditionView):
    """Log an exchange with a company (optionally about one of its lots), or edit it."""

    model = Echange

    def get_objet(self):
        if "pk" in self.kwargs:
            echange = get_object_or_404(
                Echange.objects.select_related("entreprise", "lot__marche"), pk=self.kwargs["pk"]
            )
            self.entreprise = echange.entreprise
            return echange
        self.entreprise = get_object_or_404(Entreprise, pk=self.kwargs["entreprise_pk"])
        return None

    def _lot_demande(self) -> int | None:
        valeur = self.request.GET.get("lot", "")
        return int(valeur) if valeur.isdigit() else None

    def get_titre(self):
        if self.objet is not None:
            return f"Modifier l'échange du {formats.date_fr(self.objet.date)}"
        return f"Noter un échange avec {self.entreprise}"

    def get_fil(self):
        return [
            ("Entreprises", reverse("entreprises:liste")),
            (str(self.entreprise), self.entreprise.get_absolute_url()),
            (self.get_titre(), None),
        ]

    def get_annulation(self):
        if self.objet is not None:
            return self.objet.get_absolute_url()
        if lot := self._lot_demande():
            return reverse("marches:lot_detail", args=[lot])
        return self.entreprise.get_absolute_url()

    def get_formulaires(self, data=None):
        initial = None
        if self.objet is None and data is None:
            initial = {"date": timezone.localdate(), "lot": self._lot_demande()}
        return {
            "echange": EchangeForm(
                data=data, instance=self.objet, initial=initial, entreprise=self.entreprise
            )
        }

    def enregistrer(self, formulaires, version_lue):
        echange = formulaires["echange"].save(commit=False)
        self.enregistre = services.enregistrer_echange(echange, version_lue, self.request.user)
        return self.enregistre

    def message_succes(self, objet):
        message = f"Échange avec « {objet.entreprise} » enregistré."
        if objet.echeance and not objet.action_faite_le:
            message += f" Prochaine action à faire pour le {formats.date_fr(objet.echeance)}."
        return message

    def post(self, request, *args, **kwargs):
        reponse = super().post(request, *args, **kwargs)
        if reponse.status_code == 302 and self.objet is None:
            # A new exchange: back to where it was logged from (the lot or the company).
            lot = self._lot_demande()
            if lot and self.enregistre.lot_id == lot:
                return redirect("marches:lot_detail", pk=lot)
            return redirect(self.entreprise)
        return reponse


@require_POST
def echange_action_faite(request, pk: int):
    """Mark the next action of an exchange as done, then go back where the user was."""
    if not perms.peut_modifier_echange(request.user):
        raise PermissionDenied
    echange = get_object_or_404(Echange, pk=pk)
    try:
        services.marquer_action_faite(echange, request.user)
    except ValidationError as erreur:
        messages.error(request, " ".join(erreur.messages))
    else:
        messages.success(
            request,
            f"Action « {echange.prochaine_action} » ({echange.entreprise}) marquée comme faite.",
        )
    suivant = request.POST.get("suivant", "")
    if not url_has_allowed_host_and_scheme(
        suivant, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        suivant = echange.get_absolute_url()
    return redirect(suivant)
