from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.generic import TemplateView

from heures import selectors as heures_selectors
from marches.models import Lot
from mife import bilan, fse, graphiques, indicateurs, selectors, ventilations
from mife import rapports as rapports_service
from mife import recherche as recherche_service
from mife.core.excel import Classeur, ColonneExcel
from mife.core.signaux import liste_exportee
from mife.forms import DemandeBilanForm, FiltresIndicateursForm, RapportDonneurForm
from mife.models import DemandeBilan, RapportDonneur, StatutDemandeBilan

TYPE_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def accueil(request):
    """Each role lands on a home made for its daily work."""
    role = request.user.role
    if role is None:
        return render(request, "mife/accueil_sans_role.html", {"titre": "Accueil"})
    template, selector = selectors.ACCUEILS[role.code]
    context = selector(request.user)
    context.update(titre="Accueil", aujourdhui=timezone.localdate())
    return render(request, template, context)


def recherche(request):
    texte = request.GET.get("q", "").strip()
    resultats = recherche_service.rechercher(request.user, texte) if len(texte) >= 2 else []
    return render(
        request,
        "mife/recherche.html",
        {
            "titre": "Recherche",
            "texte": texte,
            "resultats": resultats,
            "trop_court": 0 < len(texte) < 2,
            "fil": [("Recherche", None)],
        },
    )


# The page behind a row of a per-contract breakdown, and the permission to open it.
LIENS_VENTILATIONS = {
    "donneurs": ("marches.view_donneurordre", "marches:donneur_detail"),
    "operations": ("marches.view_operation", "marches:operation_detail"),
    "entreprises": ("entreprises.view_entreprise", "entreprises:detail"),
}


def _liens_ventilation(nom: str, lignes, user) -> None:
    """Link the rows shown of the breakdown ``nom`` (not the thousands left out) to their
    page, where the role may see it."""
    if nom not in LIENS_VENTILATIONS:
        return
    permission, url = LIENS_VENTILATIONS[nom]
    if user.has_perm(permission):
        for ligne in lignes:
            if ligne.code != "0":  # « Hors opération »
                ligne.lien = reverse(url, args=[ligne.code])


def _liens(resultat, user) -> None:
    """The list behind each figure of the bounded breakdowns, where the role may see it (no
    drill-down to people for a role without the right to see participants)."""
    if user.has_perm("heures.view_participant"):
        liste = reverse("heures:participant_liste")
        for ligne in resultat.par_niveau:
            ligne.lien = f"{liste}?niveau_qualification={ligne.code}" if ligne.code else ""
        for ligne in resultat.par_sexe:
            ligne.lien = f"{liste}?sexe={ligne.code}"
        for ligne in resultat.par_qpv:
            ligne.lien = f"{liste}?resident_qpv={'true' if ligne.code == 'qpv' else 'false'}"
    if user.has_perm("heures.view_mission"):
        liste = reverse("heures:mission_liste")
        for ligne in resultat.par_modalite:
            codes = [c for c, g in indicateurs.GROUPES_MODALITE.items() if g == ligne.code]
            ligne.lien = f"{liste}?modalite={codes[0]}" if len(codes) == 1 else ""
        for ligne in resultat.sorties:
            codes = [c for c, g in indicateurs.GROUPES_SORTIE.items() if g == ligne.code]
            ligne.lien = f"{liste}?sortie={codes[0]}" if len(codes) == 1 else ""


class IndicateursView(PermissionRequiredMixin, TemplateView):
    """Figures of a year or a date range, with filters, breakdowns and charts."""

    permission_required = "mife.voir_bilan"
    raise_exception = True
    template_name = "mife/indicateurs.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = FiltresIndicateursForm(self.request.GET or None)
        resultat = precedent = None
        if not self.request.GET or form.is_valid():
            if not self.request.GET:
                form = FiltresIndicateursForm({"annee": timezone.localdate().year})
                form.is_valid()
            filtres = form.filtres()
            resultat = indicateurs.calculer(filtres, self.request.user)
            # Last year: only its key figures are shown.
            precedent = indicateurs.calculer(
                filtres.annee_precedente(), self.request.user, detail=False
            )
            _liens(resultat, self.request.user)
        requete = self.request.GET.urlencode()
        # Per buyer, operation, company…: the first rows, then a link to the full list.
        tableaux = ventilations.tableaux_bornes(resultat, requete) if resultat else []
        for tableau in tableaux:
            _liens_ventilation(tableau.ventilation.nom, tableau.lignes, self.request.user)
        context.update(
            form=form,
            resultat=resultat,
            ventilations=tableaux,
            limite=ventilations.LIMITE,
            chiffres=indicateurs.chiffres_cles(resultat, precedent) if resultat else [],
            graphiques=[
                (nom, titre, reverse("indicateurs_graphique", args=[nom]))
                for nom, (titre, _) in graphiques.GRAPHIQUES.items()
            ],
            requete=requete,
            titre="Indicateurs",
            fil=[("Indicateurs", None)],
        )
        return context


@permission_required("mife.voir_bilan", raise_exception=True)
def ventilation(request, nom: str):
    """A complete breakdown of the indicators (every company, buyer…), with the page's filters:
    paginated like every list, or as an Excel workbook (``?export=xlsx``)."""
    v = ventilations.VENTILATIONS.get(nom)
    if v is None:
        raise Http404("Ventilation inconnue.")
    parametres = request.GET.copy()
    export = parametres.pop("export", [""])[-1] == "xlsx"
    parametres.pop("page", None)
    form = FiltresIndicateursForm(parametres or {"annee": timezone.localdate().year})
    if not form.is_valid():
        messages.error(request, "Filtres invalides : corrigez-les sur la page des indicateurs.")
        return redirect(f"{reverse('indicateurs')}?{parametres.urlencode()}")
    filtres = form.filtres()
    resultat = indicateurs.calculer(filtres, request.user)
    lignes = v.lignes(resultat)
    titre = f"{v.titre_complet} — {filtres.libelle_periode}"
    if export:
        return _exporter_ventilation(request, v, lignes, titre, filtres)
    page = Paginator(lignes, 25).get_page(request.GET.get("page"))
    _liens_ventilation(v.nom, page.object_list, request.user)
    retour = f"{reverse('indicateurs')}?{parametres.urlencode()}"
    return render(
        request,
        "mife/ventilation.html",
        {
            "v": v,
            "lignes": page.object_list,
            "page_obj": page,
            "is_paginated": page.has_other_pages(),
            "total": len(lignes),
            "heures": sum((ligne.heures for ligne in lignes), indicateurs.ZERO),
            "retour": retour,
            "titre": titre,
            "fil": [("Indicateurs", retour), (v.titre_complet, None)],
        },
    )


def _exporter_ventilation(request, v, lignes, titre, filtres) -> HttpResponse:
    liste_exportee.send(sender=ventilation, request=request, titre=titre)
    wb = Classeur()
    ws = wb.feuille(v.titre_complet)
    ws.tableau(
        [ColonneExcel(v.entete), ColonneExcel("Personnes"), ColonneExcel("Heures", "heures")],
        (
            [
                ligne.libelle,
                ligne.personnes_affichees if v.masquer else ligne.personnes,
                indicateurs.MASQUE if v.masquer and ligne.masque else ligne.heures,
            ]
            for ligne in lignes
        ),
    )
    reponse = HttpResponse(wb.octets(), content_type=TYPE_XLSX)
    nom = f"{slugify(v.titre_complet)}-{filtres.debut:%Y%m%d}-{filtres.fin:%Y%m%d}.xlsx"
    reponse["Content-Disposition"] = f'attachment; filename="{nom}"'
    return reponse


@permission_required("mife.voir_bilan", raise_exception=True)
def graphique_indicateurs(request, nom: str):
    """One chart of the indicators as an SVG image (same filters as the page)."""
    if nom not in graphiques.GRAPHIQUES:
        raise Http404("Graphique inconnu.")
    form = FiltresIndicateursForm(request.GET or {"annee": timezone.localdate().year})
    if not form.is_valid():
        return HttpResponseBadRequest("Filtres invalides.", content_type="text/plain")
    resultat = indicateurs.calculer(form.filtres(), request.user)
    return HttpResponse(graphiques.dessiner(nom, resultat), content_type="image/svg+xml")


@permission_required("mife.voir_bilan", raise_exception=True)
def bilan_demander(request):
    """Ask for an annual bilan (PDF or workbook), built in the background."""
    form = DemandeBilanForm(
        request.POST or None, initial={"annee": timezone.localdate().year - 1, "format": "pdf"}
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        demande = bilan.demander(d["annee"], d["donneur_ordre"], d["format"], request.user)
        messages.success(
            request,
            "Bilan demandé : vous pouvez quitter cette page et le retrouver dans la liste.",
        )
        return redirect("bilan_detail", pk=demande.pk)
    return render(
        request,
        "mife/bilan.html",
        {
            "form": form,
            "recentes": DemandeBilan.objects.select_related("donneur_ordre", "demandee_par")[:20],
            "titre": "Bilan annuel",
            "fil": [("Indicateurs", reverse("indicateurs")), ("Bilan annuel", None)],
        },
    )


def _contexte_bilan(demande) -> dict:
    return {
        "d": demande,
        "en_marche": demande.statut in (StatutDemandeBilan.EN_ATTENTE, StatutDemandeBilan.EN_COURS),
    }


@permission_required("mife.voir_bilan", raise_exception=True)
def bilan_detail(request, pk: int):
    demande = get_object_or_404(
        DemandeBilan.objects.select_related("donneur_ordre", "demandee_par"), pk=pk
    )
    return render(
        request,
        "mife/bilan_detail.html",
        {
            **_contexte_bilan(demande),
            "titre": str(demande),
            "fil": [
                ("Indicateurs", reverse("indicateurs")),
                ("Bilan annuel", reverse("bilan")),
                (str(demande), None),
            ],
        },
    )


@permission_required("mife.voir_bilan", raise_exception=True)
def bilan_progression(request, pk: int):
    """The progress partial, polled by htmx every 2 s while the bilan is being built."""
    demande = get_object_or_404(DemandeBilan.objects.select_related("donneur_ordre"), pk=pk)
    return render(request, "mife/_bilan_progression.html", _contexte_bilan(demande))


@permission_required("mife.voir_bilan", raise_exception=True)
def bilan_telecharger(request, pk: int):
    demande = get_object_or_404(DemandeBilan.objects.select_related("donneur_ordre"), pk=pk)
    if not demande.fichier:
        raise Http404("Bilan pas encore prêt.")
    types = {"pdf": "application/pdf", "xlsx": TYPE_XLSX}
    return FileResponse(
        demande.fichier.open("rb"),
        as_attachment=True,
        filename=bilan.nom_fichier(demande.annee, demande.donneur_ordre, demande.format),
        content_type=types[demande.format],
    )


PREVISIONS_PAR_PAGE = 50


@permission_required("mife.voir_bilan", raise_exception=True)
def previsions(request):
    """Lot forecast at the current pace; by default only the lots at risk of a shortfall."""
    jour = timezone.localdate()
    tous = request.GET.get("tous") == "1"
    lots = Lot.objects.all() if tous else Lot.objects.actifs_le(jour)
    toutes = heures_selectors.previsions_lots(lots, jour)
    lignes = toutes if tous else [p for p in toutes if p.a_risque]
    lignes.sort(key=lambda p: (-p.exposition, -p.manque, str(p.lot)))
    # The totals cover every lot; the table shows a page (thousands of lots nationally).
    page = Paginator(lignes, PREVISIONS_PAR_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "mife/previsions.html",
        {
            "lignes": page.object_list,
            "page_obj": page,
            "is_paginated": page.has_other_pages(),
            "tous": tous,
            "jour": jour,
            "exposition_totale": sum((p.exposition for p in lignes if p.a_risque), Decimal(0)),
            "nb_a_risque": sum(1 for p in lignes if p.a_risque),
            "titre": "Prévision des lots",
            "fil": [("Indicateurs", reverse("indicateurs")), ("Prévision des lots", None)],
        },
    )


@permission_required("mife.voir_bilan", raise_exception=True)
def export_fse(request):
    """The pseudonymised FSE+ workbook of the period and perimeter chosen on the page."""
    form = FiltresIndicateursForm(request.GET or {"annee": timezone.localdate().year})
    if not form.is_valid():
        messages.error(request, "Filtres invalides : corrigez-les avant d'exporter.")
        return redirect(f"{reverse('indicateurs')}?{request.GET.urlencode()}")
    filtres = form.filtres()
    reponse = HttpResponse(fse.classeur(filtres), content_type=TYPE_XLSX)
    nom = f"fse-participants-{filtres.debut:%Y%m%d}-{filtres.fin:%Y%m%d}.xlsx"
    reponse["Content-Disposition"] = f'attachment; filename="{nom}"'
    return reponse


@permission_required("mife.view_rapportdonneur", raise_exception=True)
def rapports(request):
    """Reports sent to buyers (the log) and, for those allowed, the form to send one."""
    peut_envoyer = request.user.has_perm("mife.add_rapportdonneur")
    form = RapportDonneurForm(request.POST or None) if peut_envoyer else None
    if request.method == "POST":
        if not peut_envoyer:
            raise PermissionDenied
        if form.is_valid():
            d = form.cleaned_data
            rapport = rapports_service.envoyer(
                d["marche"], d["operation"], d["periode"], d["message"], request.user
            )
            if rapport.erreur:
                messages.error(request, rapport.erreur)
            else:
                messages.success(request, f"Rapport envoyé à {rapport.destinataires}.")
            return redirect("rapports")
    envoyes = RapportDonneur.objects.select_related(
        "donneur_ordre", "marche", "operation", "envoye_par"
    )[:50]
    return render(
        request,
        "mife/rapports.html",
        {
            "form": form,
            "envoyes": envoyes,
            "titre": "Rapports aux donneurs d'ordre",
            "fil": [("Indicateurs", reverse("indicateurs")), ("Rapports", None)],
        },
    )


@permission_required("mife.view_rapportdonneur", raise_exception=True)
def rapport_fichier(request, pk: int, format: str):
    """A report's file exactly as it was sent."""
    rapport = get_object_or_404(RapportDonneur, pk=pk)
    fichiers = {
        "pdf": (rapport.fichier_pdf, "application/pdf"),
        "xlsx": (rapport.fichier_xlsx, TYPE_XLSX),
    }
    if format not in fichiers:
        raise Http404("Format inconnu.")
    champ, type_mime = fichiers[format]
    return FileResponse(
        champ.open("rb"),
        as_attachment=True,
        filename=champ.name.rsplit("/", 1)[-1],
        content_type=type_mime,
    )
