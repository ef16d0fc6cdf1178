"""Labels: list with their state, detail, dates changed by the administrator with a reason,
renewal, certificate; the public directory and the certificate's verification (no login)."""

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views import View

from label import perms, selectors
from label.forms import DATE
from label.models import Label
from label.selectors import EtatLabel, etat_label_le
from label.services import documents
from label.services import labels as labels_service
from label.views.dossiers import _ActionPost, message_erreur
from label.views.sessions import reponse_pdf
from mife.core.fiches import Action, Champ, FicheView, Section
from mife.core.filtres import recherche_texte
from mife.core.formulaires import EditionView
from mife.core.listes import Colonne, ListeView

A_RENOUVELER = "a_renouveler"
ETATS_FILTRE = [
    *EtatLabel.choices,
    (A_RENOUVELER, f"À renouveler (expire dans les {selectors.DELAI_RENOUVELLEMENT_MOIS} mois)"),
]


def _filtrer_etat(queryset, name, value):
    jour = timezone.localdate()
    if value == A_RENOUVELER:
        return queryset.filter(pk__in=selectors.labels_a_renouveler(jour).values("pk"))
    if value in EtatLabel.values:
        return queryset.filter(etat=value)
    return queryset


class LabelFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Entreprise ou numéro",
        method=recherche_texte(["entreprise__raison_sociale", "numero", "entreprise__commune"]),
    )
    etat = django_filters.ChoiceFilter(label="État", choices=ETATS_FILTRE, method=_filtrer_etat)
    annee = django_filters.NumberFilter(
        label="Année d'obtention", field_name="date_obtention", lookup_expr="year"
    )

    class Meta:
        model = Label
        fields = ["q", "etat", "annee"]


class LabelListeView(ListeView):
    titre = "Labels Empl'itudes"
    message_vide = "Aucun label Empl'itudes pour l'instant."
    aide_vide = "Un label est accordé par la décision « labellisé » d'une session de jury."
    filterset_class = LabelFilter
    tri_defaut = "date_expiration"
    nom_export = "labels-emplitudes"
    permission_required = "label.view_label"
    colonnes = [
        Colonne(
            "Entreprise", "entreprise.raison_sociale", tri="entreprise__raison_sociale", lien=True
        ),
        Colonne("Commune", "entreprise.commune", tri="entreprise__commune"),
        Colonne("Numéro", "numero", tri="numero", reference=True),
        Colonne("Obtenu le", "date_obtention", tri="date_obtention", format="date"),
        Colonne("Expire le", "date_expiration", tri="date_expiration", format="date"),
        Colonne(
            "État",
            lambda label: EtatLabel(label.etat).label,
            tri="etat",
            statut=lambda label: label.etat,
        ),
        Colonne("Rappel envoyé le", "relance_renouvellement_le", format="date"),
    ]

    def get_queryset(self):
        self.queryset = selectors.annoter_etat(
            Label.objects.select_related("entreprise"), timezone.localdate()
        )
        return super().get_queryset()


class LabelFicheView(FicheView):
    queryset = Label.objects.select_related("entreprise", "dossier", "modifie_par")
    permission_required = "label.view_label"

    def get_titre(self):
        return f"Label {self.object.numero or ''} — {self.object.entreprise}".replace("  ", " ")

    @property
    def etat(self) -> EtatLabel:
        return etat_label_le(self.object, timezone.localdate())

    def get_statut(self):
        return (self.etat, self.etat.label)

    def get_fil(self):
        return [("Labels Empl'itudes", reverse("label:label_liste")), (self.get_titre(), None)]

    def renouvellement(self):
        return self.object.dossier.renouvellements.order_by("-annee").first()

    def get_actions(self):
        user, label = self.request.user, self.object
        actions = [Action("Certificat (PDF)", reverse("label:label_certificat", args=[label.pk]))]
        if (
            perms.peut_renouveler(user)
            and self.renouvellement() is None
            and label.date_expiration <= selectors.limite_renouvellement(timezone.localdate())
        ):
            actions.insert(
                0,
                Action(
                    "Préparer le renouvellement",
                    reverse("label:label_renouveler", args=[label.pk]),
                    principale=True,
                    methode="post",
                ),
            )
        if perms.peut_modifier_dates_label(user):
            actions.append(
                Action("Modifier les dates", reverse("label:label_dates", args=[label.pk]))
            )
        return actions

    def get_sections(self):
        label = self.object
        renouvellement = self.renouvellement()
        return [
            Section(
                "Label",
                [
                    Champ("Entreprise", label.entreprise, url=label.entreprise.get_absolute_url()),
                    Champ("Numéro", label.numero),
                    Champ("Obtenu le", label.date_obtention, "date"),
                    Champ("Expire le", label.date_expiration, "date"),
                    Champ("État", self.etat.label),
                    Champ("Dossier", label.dossier.annee, url=label.dossier.get_absolute_url()),
                ],
            ),
            Section(
                "Renouvellement",
                [
                    Champ("Rappel envoyé le", label.relance_renouvellement_le, "date"),
                    Champ(
                        "Dossier de renouvellement",
                        f"{renouvellement.annee} — {renouvellement.get_statut_display()}"
                        if renouvellement
                        else "",
                        url=renouvellement.get_absolute_url() if renouvellement else "",
                    ),
                ],
            ),
        ]


class DatesForm(forms.Form):
    legende = "Dates du label"
    date_obtention = forms.DateField(label="Obtenu le", widget=DATE)
    date_expiration = forms.DateField(label="Expire le", widget=DATE)
    motif = forms.CharField(
        label="Motif de la modification",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Conservé dans l'historique du label et le journal du dossier.",
    )

    def clean(self):
        donnees = super().clean()
        debut, fin = donnees.get("date_obtention"), donnees.get("date_expiration")
        if debut and fin and fin <= debut:
            self.add_error(
                "date_expiration",
                "Le label ne peut pas se terminer avant d'avoir commencé : la date de fin doit "
                "suivre la date d'obtention.",
            )
        return donnees


class LabelDatesView(EditionView):
    """The administrator alone changes a label's dates, always with a reason."""

    def has_permission(self):
        return perms.peut_modifier_dates_label(self.request.user)

    def get_objet(self):
        return get_object_or_404(Label.objects.select_related("entreprise"), pk=self.kwargs["pk"])

    def get_titre(self):
        return f"Dates du label {self.objet.numero} — {self.objet.entreprise}"

    def get_fil(self):
        return [
            ("Labels Empl'itudes", reverse("label:label_liste")),
            (str(self.objet), self.objet.get_absolute_url()),
            ("Dates", None),
        ]

    def get_formulaires(self, data=None):
        return {
            "dates": DatesForm(
                data=data,
                initial={
                    "date_obtention": self.objet.date_obtention,
                    "date_expiration": self.objet.date_expiration,
                },
            )
        }

    def enregistrer(self, formulaires, version_lue):
        d = formulaires["dates"].cleaned_data
        return labels_service.modifier_dates(
            self.objet,
            d["date_obtention"],
            d["date_expiration"],
            d["motif"],
            version_lue,
            self.request.user,
        )

    def message_succes(self, objet):
        return f"Dates du label {objet.numero} modifiées ; le motif est conservé."


class RenouvelerView(_ActionPost):
    def has_permission(self):
        return perms.peut_renouveler(self.request.user)

    def post(self, request, pk):
        label = get_object_or_404(Label.objects.select_related("entreprise", "dossier"), pk=pk)
        try:
            dossier = labels_service.preparer_renouvellement(label, request.user)
        except ValidationError as erreur:
            messages.error(request, message_erreur(erreur))
            return redirect(label.get_absolute_url())
        messages.success(
            request,
            f"Dossier de renouvellement {dossier.annee} ouvert, repris du dossier "
            f"{label.dossier.annee} : mettez à jour les actions avec l'entreprise.",
        )
        return redirect(dossier.get_absolute_url())


class CertificatView(PermissionRequiredMixin, View):
    raise_exception = True
    permission_required = "label.view_label"

    def get(self, request, pk):
        label = get_object_or_404(Label.objects.select_related("entreprise"), pk=pk)
        nom = f"certificat-emplitudes-{slugify(label.entreprise.raison_sociale)}.pdf"
        return reponse_pdf(documents.certificat_pdf(label), nom)


# --- public pages (no login) -------------------------------------------------------------------

PAR_PAGE_ANNUAIRE = 30


def annuaire(request):
    """Labelled companies today: name, commune, sector, label dates, nothing else."""
    jour = timezone.localdate()
    recherche = request.GET.get("q", "").strip()[:100]
    commune = request.GET.get("commune", "").strip()[:120]
    secteur = request.GET.get("secteur", "").strip()[:120]
    labels = selectors.annuaire(jour, recherche, commune, secteur)
    page = Paginator(labels, PAR_PAGE_ANNUAIRE).get_page(request.GET.get("page"))
    return render(
        request,
        "label/annuaire.html",
        {
            "titre": "Annuaire des entreprises labellisées Empl'itudes",
            "fiches": [selectors.fiche_annuaire(label) for label in page.object_list],
            "page_obj": page,
            "is_paginated": page.has_other_pages(),
            "total": page.paginator.count,
            "communes": selectors.communes_annuaire(jour),
            "secteurs": [libelle for _, _, libelle in selectors.SECTIONS_NAF],
            "recherche": recherche,
            "commune": commune,
            "secteur": secteur,
            "jour": jour,
        },
    )


def verifier(request, code: str):
    """The certificate's QR code leads here: the same facts as the directory, and its state."""
    infos = selectors.verification_label(code, timezone.localdate())
    return render(
        request,
        "label/verifier.html",
        {"titre": "Vérification d'un certificat Empl'itudes", "infos": infos},
        status=200 if infos else 404,
    )
