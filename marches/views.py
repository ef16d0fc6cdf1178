import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator
from django.views import View
from django.views.decorators.http import require_POST

from entreprises.models import Entreprise
from heures import selectors as heures_selectors
from marches import annexe, decp, services
from marches import forms as forms_module
from marches.filters import (
    DonneurOrdreFilter,
    EchangeFilter,
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
    StatutLot,
)
from mife.core import formats
from mife.core.fiches import Action, Champ, FicheView, Section, Tableau, historique
from mife.core.formulaires import EditionView
from mife.core.listes import Colonne, ListeView


class MarcheListeView(ListeView):
    permission_required = "marches.view_marche"
    titre = "Marchés"
    filterset_class = MarcheFilter
    queryset = Marche.objects.select_related("donneur_ordre", "operation")
    tri_defaut = "-date_notification"
    action_principale = (
        "Nouveau marché",
        reverse_lazy("marches:marche_creer"),
        "marches.add_marche",
    )
    colonnes = [
        Colonne("Référence", "reference", tri="reference", lien=True),
        Colonne("Objet", "objet", tri="objet"),
        Colonne("Donneur d'ordre", "donneur_ordre.nom", tri="donneur_ordre__nom"),
        Colonne("Opération", "operation.nom"),
        Colonne("Nature", "get_nature_display", tri="nature"),
        Colonne("Notification", "date_notification", tri="date_notification", format="date"),
        Colonne("Montant HT", "montant_ht", tri="montant_ht", format="montant", numerique=True),
    ]


class LotListeView(ListeView):
    permission_required = "marches.view_lot"
    titre = "Lots et clauses"
    filterset_class = LotFilter
    tri_defaut = "-date_debut"

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
    permission_required = "marches.view_donneurordre"
    titre = "Donneurs d'ordre"
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


class OperationListeView(ListeView):
    permission_required = "marches.view_operation"
    titre = "Opérations"
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


class OperationFicheView(FicheView):
    permission_required = "marches.view_operation"
    queryset = Operation.objects.select_related("donneur_ordre")

    def get_fil(self):
        return [("Opérations", reverse("marches:operation_liste")), (str(self.object), None)]

    def get_actions(self):
        actions = []
        if self.request.user.has_perm("marches.add_marche"):
            url = reverse("marches:marche_creer") + f"?operation={self.object.pk}"
            actions.append(Action("Nouveau marché", url, principale=True))
        if self.request.user.has_perm("marches.change_operation"):
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


class MarcheFicheView(FicheView):
    permission_required = "marches.view_marche"
    queryset = Marche.objects.select_related("donneur_ordre", "operation")

    def get_titre(self):
        return f"Marché {self.object.reference}"

    def get_actions(self):
        actions = []
        if self.request.user.has_perm("marches.add_lot"):
            url = reverse("marches:lot_creer", args=[self.object.pk])
            actions.append(Action("Nouveau lot", url, principale=True))
        if self.request.user.has_perm("marches.change_marche"):
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
            )
        ]


class LotFicheView(FicheView):
    permission_required = "marches.view_lot"
    template_name = "marches/lot_fiche.html"

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
        if self.request.user.has_perm("marches.change_lot"):
            actions.append(
                Action(
                    "Modifier le lot et la clause",
                    reverse("marches:lot_modifier", args=[pk]),
                    principale=True,
                )
            )
        if self.request.user.has_perm("heures.add_mission"):
            url = reverse("heures:mission_creer") + f"?lot={pk}"
            actions.append(Action("Nouvelle mission", url))
        if self.request.user.has_perm("heures.add_besoinrecrutement"):
            url = reverse("heures:besoin_creer") + f"?lot={pk}"
            actions.append(Action("Nouveau besoin de recrutement", url))
        if self.request.user.has_perm("heures.emettre_attestation"):
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
        missions = self.object.missions.select_related("participant", "employeur")
        voir_personnes = self.request.user.has_perm("heures.view_participant")
        return [
            Tableau(
                "Missions",
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
                ],
            ),
            *tableaux_echanges_du_lot(self.object, self.request.user),
        ]


class DonneurOrdreFicheView(FicheView):
    permission_required = "marches.view_donneurordre"
    model = DonneurOrdre

    def get_fil(self):
        return [("Donneurs d'ordre", reverse("marches:donneur_liste")), (str(self.object), None)]

    def get_actions(self):
        actions = []
        pk = self.object.pk
        if self.request.user.has_perm("marches.add_operation"):
            url = reverse("marches:operation_creer") + f"?donneur_ordre={pk}"
            actions.append(Action("Nouvelle opération", url, principale=True))
        if self.request.user.has_perm("marches.add_marche"):
            url = reverse("marches:marche_creer") + f"?donneur_ordre={pk}"
            actions.append(Action("Nouveau marché", url))
        if self.request.user.has_perm("marches.change_donneurordre"):
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


class _EditionSimple(EditionView):
    """Create or edit one buyer / operation / contract through ``services.enregistrer``."""

    model = None
    form_class = None
    liste = ""  # URL name of the list, for the breadcrumbs
    libelle_liste = ""

    def get_permission_required(self):
        action = "change" if "pk" in self.kwargs else "add"
        return [f"marches.{action}_{self.model._meta.model_name}"]

    def get_objet(self):
        if "pk" in self.kwargs:
            return get_object_or_404(self.model, pk=self.kwargs["pk"])
        return None

    def get_titre(self):
        if self.objet is not None:
            return f"Modifier « {self.objet} »"
        return (
            f"Nouveau {self.model._meta.verbose_name}"
            if self.model is not Operation
            else ("Nouvelle opération")
        )

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


class LotEditionView(EditionView):
    """A lot and its clause on one page, with the hours calculator."""

    template_name = "marches/lot_edition.html"

    def get_permission_required(self):
        return ["marches.change_lot" if "pk" in self.kwargs else "marches.add_lot"]

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
        return {
            "lot": LotForm(
                data=data,
                instance=self.objet,
                marche=self.marche,
                initial=None if self.objet or data else {"facilitateur": self.request.user.pk},
            ),
            "clause": ClauseForm(data=data, instance=clause, initial=initial_clause),
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


@permission_required("marches.view_lot", raise_exception=True)
def calcul_heures(request):
    """htmx: the calculator's result while the user types (nothing is saved)."""
    form = CalculForm(request.GET)
    heures = form.heures() if form.is_valid() else None
    return render(request, "marches/_calcul.html", {"form": form, "heures": heures})


@permission_required("marches.view_lot", raise_exception=True)
def annexe_clause(request, pk: int, format: str):
    """The clause annex of a lot, as Word (.docx) or PDF."""
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

    permission_required = "marches.importer_decp"
    raise_exception = True
    template_name = "marches/import_decp.html"
    CLE_SESSION = "import_decp"

    def _rendre(self, request, **contexte):
        contexte.setdefault("form", forms_module.ImportDecpForm())
        contexte.update(
            titre="Importer des marchés publiés (DECP)",
            fil=[("Marchés", reverse("marches:marche_liste")), ("Import DECP", None)],
        )
        return render(request, self.template_name, contexte)

    def _chemin(self, jeton: str) -> Path:
        return Path(settings.MEDIA_ROOT) / "imports" / "decp" / f"{jeton}.json"

    def get(self, request):
        return self._rendre(request)

    def post(self, request):
        if "confirmer" in request.POST:
            return self._confirmer(request)
        form = forms_module.ImportDecpForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._rendre(request, form=form)
        contenu = form.cleaned_data["fichier"].read()
        departement = form.cleaned_data["departement"] or None
        acheteur = form.cleaned_data["acheteur"] or None
        rapport = decp.importer(contenu, departement, acheteur, dry_run=True)
        jeton = ""
        if not rapport.erreurs:
            jeton = uuid.uuid4().hex
            chemin = self._chemin(jeton)
            chemin.parent.mkdir(parents=True, exist_ok=True)
            chemin.write_bytes(contenu)
            request.session[self.CLE_SESSION] = {
                "jeton": jeton,
                "departement": departement,
                "acheteur": acheteur,
                "nom": form.cleaned_data["fichier"].name,
            }
        return self._rendre(
            request, form=form, rapport=rapport, jeton=jeton, nom=form.cleaned_data["fichier"].name
        )

    def _confirmer(self, request):
        attente = request.session.get(self.CLE_SESSION)
        if not attente or attente["jeton"] != request.POST.get("jeton", ""):
            messages.error(request, "Aucun import en attente : déposez de nouveau le fichier.")
            return redirect("marches:import_decp")
        chemin = self._chemin(attente["jeton"])
        try:
            contenu = chemin.read_bytes()
        except FileNotFoundError:
            messages.error(
                request, "Le fichier déposé n'est plus disponible : déposez-le de nouveau."
            )
            return redirect("marches:import_decp")
        rapport = decp.importer(
            contenu, attente["departement"], attente["acheteur"], user=request.user
        )
        if rapport.erreurs:
            return self._rendre(request, rapport=rapport, nom=attente["nom"])
        chemin.unlink(missing_ok=True)
        del request.session[self.CLE_SESSION]
        messages.success(request, "Import DECP terminé. " + " ".join(rapport.resume()[1:3]))
        return redirect("marches:marche_liste")


# --- Accompagnement des entreprises: exchanges and their next actions ----------------------

# One colour per state of a next action (the badge also says it in words).
BADGE_ACTION = {
    EtatAction.A_FAIRE: "en_cours",
    EtatAction.EN_RETARD: "en_retard",
    EtatAction.FAITE: "termine",
    EtatAction.AUCUNE: "archivee",
}


def _lot_court(lot) -> str:
    return f"{lot.marche.reference} lot {lot.numero}" if lot else ""


def tableaux_echanges_du_lot(lot, user) -> list[Tableau]:
    """The lot page's companies (with a link to log an exchange) and exchanges about it."""
    peut_noter = user.has_perm("marches.add_echange")
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
    if not user.has_perm("marches.view_echange"):
        return tableaux
    jour = timezone.localdate()
    echanges = lot.echanges.select_related("entreprise", "auteur")
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
    tableaux.append(
        Tableau(
            "Échanges avec les entreprises",
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
    permission_required = "marches.view_echange"
    titre = "Échanges avec les entreprises"
    filterset_class = EchangeFilter
    queryset = Echange.objects.select_related("entreprise", "lot__marche", "auteur")
    tri_defaut = "-date"
    nom_export = "echanges-entreprises"

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
                statut=lambda e: BADGE_ACTION[e.etat_action_le(jour)],
            ),
        ]


class EchangeFicheView(FicheView):
    permission_required = "marches.view_echange"
    queryset = Echange.objects.select_related(
        "entreprise", "lot__marche", "auteur", "action_faite_par", "modifie_par"
    )

    def get_statut(self):
        etat = self.object.etat_action
        if etat == EtatAction.AUCUNE:
            return None
        return (BADGE_ACTION[etat], f"Action {EtatAction(etat).label.lower()}")

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
        if not self.request.user.has_perm("marches.change_echange"):
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


class EchangeEditionView(EditionView):
    """Log an exchange with a company (optionally about one of its lots), or edit it."""

    def get_permission_required(self):
        return ["marches.change_echange" if "pk" in self.kwargs else "marches.add_echange"]

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
@permission_required("marches.change_echange", raise_exception=True)
def echange_action_faite(request, pk: int):
    """Mark the next action of an exchange as done, then go back where the user was."""
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
