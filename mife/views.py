from django.contrib.auth.mixins import PermissionRequiredMixin
from django.shortcuts import render
from django.utils import timezone
from django.views.generic import TemplateView

from mife import recherche as recherche_service
from mife import selectors


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


class IndicateursView(PermissionRequiredMixin, TemplateView):
    permission_required = "mife.voir_bilan"
    raise_exception = True
    template_name = "mife/indicateurs.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(selectors.accueil_direction(self.request.user))
        context.update(titre="Indicateurs", fil=[("Indicateurs", None)])
        return context
