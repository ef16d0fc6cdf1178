"""The month board (who had to declare, who did) and the reminders sent from it.

The rows come from one SQL query (``heures/selectors_mois.paires_du_mois``): the filters are a
plain form kept in the URL, the database filters, sorts and paginates (only the 50 rows shown
are read), the counts are restricted by the same filters, and the Excel export writes exactly
the filtered rows.
"""

import tempfile
from datetime import date

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods

from entreprises.models import Entreprise
from heures.forms.mois import TableauMoisForm
from heures.selectors_mois import NON_RECUE, ligne_mois, lignes_du_mois, paires_du_mois
from heures.services import relances
from marches.models import Lot
from mife.core import excel, formats
from mife.core.excel import Classeur, ColonneExcel
from mife.core.mois import lire_mois, mois_precedent


def _filtres(request):
    """The valid filters of the query string and the month shown (default: last month)."""
    form = TableauMoisForm(request.GET or None)
    donnees = form.cleaned_data if form.is_bound and form.is_valid() else {}
    mois = donnees.get("mois") or mois_precedent(timezone.localdate())
    criteres = {
        cle: donnees.get(cle) for cle in ("entreprise", "lot", "donneur_ordre") if donnees.get(cle)
    }
    criteres["statut"] = donnees.get("statut") or ""
    criteres["q"] = donnees.get("q") or ""
    return form, mois, criteres


def _url_tableau(mois: date) -> str:
    return f"{reverse('heures:tableau_mois')}?{urlencode({'mois': f'{mois:%Y-%m}'})}"


@permission_required("heures.view_declarationmensuelle", raise_exception=True)
def tableau(request):
    form, mois, criteres = _filtres(request)
    if request.GET.get("export") == "xlsx":
        return _export(lignes_du_mois(mois, **criteres), mois)
    paires = paires_du_mois(mois, **criteres)
    page = Paginator(paires, 50).get_page(request.GET.get("page"))
    page.object_list = [ligne_mois(mois, p) for p in page.object_list]
    non_recues = (
        0
        if criteres["statut"] not in ("", NON_RECUE)
        else paires_du_mois(mois, **{**criteres, "statut": NON_RECUE}).count()
    )
    titre = f"Tableau du mois — {formats.mois_fr(mois)}"
    return render(
        request,
        "heures/tableau_mois.html",
        {
            "form": form,
            "mois": mois,
            "mois_iso": f"{mois:%Y-%m}",
            "lignes": page.object_list,
            "page_obj": page,
            "is_paginated": page.has_other_pages(),
            "total": page.paginator.count,
            "non_recues": non_recues,
            "peut_relancer": request.user.has_perm("heures.add_relance"),
            "titre": titre,
            "fil": [("Tableau du mois", None)],
        },
    )


COLONNES_EXPORT = (
    "Entreprise",
    "Lot",
    "Donneur d'ordre",
    "Statut",
    ColonneExcel("Heures déclarées", excel.HEURES),
)


def _export(lignes, mois: date) -> FileResponse:
    """The filtered rows of the board, streamed (one pass, no read-back of the sheet)."""
    wb = Classeur()
    ws = wb.feuille(f"Heures {mois:%m-%Y}")
    ws.tableau(
        [*COLONNES_EXPORT, ColonneExcel("Dernière relance", excel.DATE)],
        (
            [
                li.entreprise,
                li.lot,
                li.donneur_ordre,
                li.statut_libelle,
                li.total_heures,
                timezone.localtime(li.derniere_relance).date() if li.derniere_relance else None,
            ]
            for li in lignes
        ),
    )
    fichier = tempfile.TemporaryFile()  # noqa: SIM115 — closed by FileResponse
    wb.save(fichier)
    fichier.seek(0)
    return FileResponse(
        fichier,
        as_attachment=True,
        filename=f"tableau-du-mois-{mois:%Y-%m}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _lire_mois(valeur: str) -> date | None:
    try:
        return lire_mois(valeur or "")
    except ValueError:
        return None


def _message(request, bilan: relances.Bilan) -> None:
    if bilan.echecs:
        messages.warning(
            request,
            f"Relance : {bilan}. Un échec est enregistré avec sa cause (souvent : aucun "
            "destinataire) ; complétez les contacts de l'entreprise.",
        )
    elif bilan.envoyees:
        messages.success(request, f"Relance : {bilan}.")
    else:
        messages.info(request, f"Aucune relance envoyée : {bilan} (déjà relancé aujourd'hui).")


def _confirmer_ou_envoyer(request, mois: date, lignes, titre: str, champs_caches=()):
    """GET: the confirmation page, which lists each reminder exactly as it will be sent
    (recipients, subject, body) and sends nothing. POST (from that page): send the reminders
    of the pairs it listed, and only those: a pair that became due since is not included, a
    pair reminded by someone else meanwhile is skipped (once a day)."""
    if request.method == "POST":
        confirmees = set(request.POST.getlist("paire"))
        choisies = [
            li for li in lignes if relances.cle_paire(li.entreprise_id, li.lot_id) in confirmees
        ]
        if not choisies:
            messages.error(request, "Aucune relance n'a été confirmée : rien n'a été envoyé.")
        else:
            _message(request, relances.relancer_lignes(choisies, request.user))
        return redirect(_url_tableau(mois))
    prevues = relances.preparer(lignes)
    return render(
        request,
        "heures/relances_confirmation.html",
        {
            "titre": titre,
            "mois": mois,
            "mois_iso": f"{mois:%Y-%m}",
            "a_envoyer": [p for p in prevues if p.resultat == relances.ENVOYEE],
            "sans_destinataire": [p for p in prevues if p.resultat == relances.ECHEC],
            "ignorees": [p for p in prevues if p.resultat == relances.IGNOREE],
            "expediteur": settings.DEFAULT_FROM_EMAIL,
            "url_tableau": _url_tableau(mois),
            "champs_caches": champs_caches,
            "fil": [("Tableau du mois", _url_tableau(mois)), (titre, None)],
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required("heures.add_relance", raise_exception=True)
def relancer(request):
    """Remind one company × lot for one month (button on a row of the board)."""
    donnees = request.POST if request.method == "POST" else request.GET
    mois = _lire_mois(donnees.get("mois"))
    entreprise = get_object_or_404(Entreprise, pk=_entier(donnees.get("entreprise")))
    lot = get_object_or_404(Lot, pk=_entier(donnees.get("lot")))
    if mois is None:
        messages.error(request, "Mois invalide : la relance n'a pas été envoyée.")
        return redirect("heures:tableau_mois")
    lignes = lignes_du_mois(mois, entreprise=entreprise, lot=lot)
    if not lignes:
        messages.error(request, "Cette entreprise n'a aucune mission active sur ce lot ce mois-là.")
        return redirect(_url_tableau(mois))
    if not lignes[0].a_relancer:
        messages.info(
            request,
            f"Pas de relance : la déclaration est « {lignes[0].statut_libelle.lower()} ».",
        )
        return redirect(_url_tableau(mois))
    titre = f"Relancer {entreprise} — {formats.mois_fr(mois)}"
    caches = (("entreprise", entreprise.pk), ("lot", lot.pk))
    return _confirmer_ou_envoyer(request, mois, lignes, titre, caches)


@require_http_methods(["GET", "POST"])
@permission_required("heures.add_relance", raise_exception=True)
def relancer_non_recues(request):
    """Remind every company × lot of the month whose declaration was not received."""
    donnees = request.POST if request.method == "POST" else request.GET
    mois = _lire_mois(donnees.get("mois"))
    if mois is None:
        messages.error(request, "Mois invalide : aucune relance n'a été envoyée.")
        return redirect("heures:tableau_mois")
    titre = f"Relancer les déclarations non reçues — {formats.mois_fr(mois)}"
    return _confirmer_ou_envoyer(request, mois, relances.lignes_non_recues(mois), titre)


def _entier(valeur) -> int:
    """A primary key from the query string (0, which matches nothing, when it is not one)."""
    try:
        return int(valeur)
    except (TypeError, ValueError):
        return 0
