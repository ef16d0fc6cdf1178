"""The endpoints of the search-as-you-type fields (``mife/core/autocomplete.py``): one per
family of models, ``GET /choix/<famille>/?q=…&page=…``, answering JSON::

    {"resultats": [{"id": 12, "libelle": "…", "detail": "…"}], "suite": true}

20 results a page, every word of ``q`` found without accents nor case (``__contient``), and
only what the user may see (each family asks its app's ``perms.py``; anonymised participants
are never offered). The forms validate the chosen id again on the server.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, JsonResponse
from django.views.decorators.http import require_GET

from entreprises import perms as perms_entreprises
from entreprises.models import Entreprise
from heures import perms as perms_heures
from heures import selectors as heures_selectors
from heures.models import Mission, Participant
from marches import perms as perms_marches
from marches.models import DonneurOrdre, Lot, Marche, Operation

PAR_PAGE = 20


@dataclass(frozen=True)
class Famille:
    peut_voir: Callable
    base: Callable[[], QuerySet]
    champs: tuple[str, ...]  # searched word by word, accents and case ignored
    references: tuple[str, ...]  # also searched whole, spaces and separators ignored
    libelle: Callable
    detail: Callable


def _filtre_entreprise(qs: QuerySet, request) -> QuerySet:
    if request.GET.get("actives") == "1":
        qs = qs.filter(active=True)
    if request.GET.get("employeurs") == "1":  # companies with hours to declare
        qs = qs.filter(pk__in=Mission.objects.values("employeur"))
    return qs


def _filtre_lot(qs: QuerySet, request) -> QuerySet:
    entreprise = request.GET.get("entreprise", "")
    if entreprise.isdigit():
        qs = heures_selectors.lots_ou_travaille(qs, int(entreprise))
    return qs


def _filtre_operation(qs: QuerySet, request) -> QuerySet:
    donneur = request.GET.get("donneur_ordre", "")
    if donneur.isdigit():
        qs = qs.filter(donneur_ordre=int(donneur))
    return qs


FAMILLES = {
    "donneurs": Famille(
        perms_marches.peut_voir_donneurs_ordre,
        lambda: DonneurOrdre.objects.order_by("nom", "pk"),
        ("nom", "commune"),
        ("siret",),
        str,
        lambda d: " — ".join(x for x in (d.siret, d.commune) if x),
    ),
    "operations": Famille(
        perms_marches.peut_voir_operations,
        lambda: Operation.objects.select_related("donneur_ordre").order_by("nom", "pk"),
        ("nom", "commune"),
        (),
        str,
        lambda o: o.donneur_ordre.nom,
    ),
    "entreprises": Famille(
        perms_entreprises.peut_voir,
        lambda: Entreprise.objects.order_by("raison_sociale", "pk"),
        ("raison_sociale", "nom_commercial"),
        ("identifiant",),
        str,
        lambda e: " — ".join(x for x in (e.identifiant, e.commune) if x),
    ),
    "lots": Famille(
        perms_marches.peut_voir_lots,
        lambda: Lot.objects.select_related("marche__donneur_ordre").order_by(
            "marche__reference", "numero", "pk"
        ),
        ("intitule", "numero", "marche__reference", "marche__objet"),
        ("marche__reference",),
        str,
        lambda lot: lot.marche.donneur_ordre.nom,
    ),
    "marches": Famille(
        perms_marches.peut_voir_marches,
        lambda: Marche.objects.select_related("donneur_ordre").order_by("reference", "pk"),
        ("reference", "objet"),
        ("reference",),
        str,
        lambda m: m.donneur_ordre.nom,
    ),
    "missions": Famille(
        lambda user: (
            perms_heures.peut_voir_missions(user) and perms_heures.peut_voir_participants(user)
        ),
        lambda: Mission.objects.select_related("participant", "lot__marche").order_by("-reference"),
        ("participant__nom", "participant__prenom", "poste"),
        ("reference",),
        str,
        lambda m: str(m.lot),
    ),
    "participants": Famille(
        perms_heures.peut_voir_participants,
        lambda: Participant.objects.filter(anonymise_le__isnull=True).order_by(
            "nom", "prenom", "pk"
        ),
        ("nom", "prenom"),
        (),
        str,
        lambda p: p.commune,
    ),
}
FILTRES = {
    "entreprises": _filtre_entreprise,
    "lots": _filtre_lot,
    "operations": _filtre_operation,
}


def rechercher(famille: Famille, texte: str) -> QuerySet:
    qs = famille.base()
    mots = texte.split()
    if not mots:
        return qs
    chaque_mot = Q()
    for mot in mots:
        un_champ = Q()
        for champ in famille.champs:
            un_champ |= Q(**{f"{champ}__contient": mot})
        chaque_mot &= un_champ
    for champ in famille.references:
        chaque_mot |= Q(**{f"{champ}__contient_compact": texte})
    return qs.filter(chaque_mot)


@require_GET
def choix(request, famille: str):
    definition = FAMILLES.get(famille)
    if definition is None:
        raise Http404("Famille inconnue.")
    if not definition.peut_voir(request.user):
        raise PermissionDenied
    qs = rechercher(definition, request.GET.get("q", "").strip()[:100])
    if filtre := FILTRES.get(famille):
        qs = filtre(qs, request)
    page = request.GET.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) < 1000 else 1
    debut = (page - 1) * PAR_PAGE
    objets = list(qs[debut : debut + PAR_PAGE + 1])
    return JsonResponse(
        {
            "resultats": [
                {"id": o.pk, "libelle": definition.libelle(o), "detail": definition.detail(o)}
                for o in objets[:PAR_PAGE]
            ],
            "suite": len(objets) > PAR_PAGE,
            "page": page,
        }
    )
