"""French error pages. 500 renders a static page (no database or context needed)."""

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader

from journal import services as journal
from journal.models import Action


def acces_refuse(request, exception=None):
    """Every refused access (PermissionDenied) is written to the security journal."""
    journal.securite(
        request,
        Action.ACCES_REFUSE,
        objet=f"{request.method} {request.path}"[:250],
        details={"motif": str(exception or "")[:500]},
    )
    return render(request, "403.html", {"titre": "Accès refusé"}, status=403)


def page_introuvable(request, exception=None):
    return render(request, "404.html", {"titre": "Page introuvable"}, status=404)


def erreur_serveur(request):
    return HttpResponseServerError(loader.get_template("500.html").render())


def csrf_refuse(request, reason=""):
    journal.securite(
        request,
        Action.ACCES_REFUSE,
        objet=f"{request.method} {request.path}"[:250],
        details={"motif": f"Jeton CSRF : {reason}"[:500]},
    )
    return render(request, "403_csrf.html", {"titre": "Formulaire expiré"}, status=403)
