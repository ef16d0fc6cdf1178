"""HTTP protections shared by every page: middlewares and the client's address.

- ``LimiteCorpsMiddleware``: a request body bigger than ``REQUEST_MAX_SIZE`` is refused
  (413) from its ``Content-Length``, before anything reads it; the upload pages
  (``UPLOAD_VIEWS``) accept up to ``UPLOAD_MAX_SIZE`` from a signed-in user.
- ``PasDeCacheMiddleware``: no response built by Django (pages, PDF, Excel, JSON) may be kept
  by the browser or a proxy (``Cache-Control: no-store``); static files, served before it by
  WhiteNoise, keep their long caching.
- ``DeconnexionMiddleware``: the response that ends a session asks the browser to forget
  what it kept of the site (``Clear-Site-Data``; the cookies stay after an idle logout, to
  carry its explanation to the login page).
- ``InactiviteMiddleware``: a session left idle longer than ``SESSION_IDLE_MINUTES`` is
  logged out; background polling (header ``X-Sondage``) does not count as activity.
- ``CSPMiddleware``: django-csp's, for HTML pages only (a PDF shown by the browser's viewer
  must not get the page policy).
- ``adresse_client``: the client's address behind ``PROXY_COUNT`` reverse proxies (used by
  django-axes to count failed logins).
"""

import ipaddress
from fnmatch import fnmatchcase
from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware as _CSPMiddleware
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

EN_TETE_SONDAGE = "X-Sondage"
CLE_ACTIVITE = "_derniere_activite"
EFFACER_TOUT = '"cache", "cookies", "storage"'
EFFACER_SAUF_COOKIES = '"cache", "storage"'


def _mo(octets: int) -> str:
    return f"{octets / 1024 / 1024:.1f}".removesuffix(".0").replace(".", ",") + " Mo"


def _taille_annoncee(request) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def _trop_volumineuse(taille: int) -> HttpResponse:
    return HttpResponse(
        f"Requête trop volumineuse ({_mo(taille)}) : refusée sans être lue, rien n'a été "
        f"enregistré. Limites : {_mo(settings.REQUEST_MAX_SIZE)} pour un formulaire, "
        f"{_mo(settings.UPLOAD_MAX_SIZE)} pour un fichier déposé.",
        status=413,
        content_type="text/plain; charset=utf-8",
    )


class LimiteCorpsMiddleware:
    """413 for a body larger than allowed, decided from ``Content-Length`` alone.

    Must come before any middleware that reads the body (CSRF reads the POST data): the
    size check of ``__call__`` runs before all of them, the per-page one in ``process_view``
    before CSRF's own ``process_view`` (and after authentication: only a signed-in user gets
    the larger limit of the upload pages).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        taille = _taille_annoncee(request)
        if taille > max(settings.REQUEST_MAX_SIZE, settings.UPLOAD_MAX_SIZE):
            return _trop_volumineuse(taille)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        taille = _taille_annoncee(request)
        if taille <= settings.REQUEST_MAX_SIZE:
            return None
        vue = request.resolver_match.view_name if request.resolver_match else ""
        if request.user.is_authenticated and any(
            fnmatchcase(vue, motif) for motif in settings.UPLOAD_VIEWS
        ):
            return None
        # Pages reached with a personal link (a company filling its label dossier): the link
        # itself is checked by the view, which also limits each file's size.
        if any(fnmatchcase(vue, motif) for motif in settings.UPLOAD_VIEWS_LIEN):
            return None
        return _trop_volumineuse(taille)


class PasDeCacheMiddleware:
    """``Cache-Control: no-store, private`` (and ``max-age=0``) on every Django response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response


class DeconnexionMiddleware:
    """``Clear-Site-Data`` on the response of the request that logged the user out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        connecte = request.user.is_authenticated
        response = self.get_response(request)
        if connecte and not request.user.is_authenticated:
            # After an idle logout the cookies stay: they carry the message that explains it
            # to the login page (the session itself was already replaced by the logout).
            inactivite = getattr(request, "_deconnexion_pour_inactivite", False)
            response["Clear-Site-Data"] = EFFACER_SAUF_COOKIES if inactivite else EFFACER_TOUT
        return response


def est_un_sondage(request) -> bool:
    """A background refresh (htmx polling) rather than something the user did."""
    return request.headers.get(EN_TETE_SONDAGE) == "1"


def debut_d_activite(sender, request, user, **kwargs):
    """``user_logged_in`` receiver: the session's activity starts at login."""
    if request is not None and hasattr(request, "session"):
        request.session[CLE_ACTIVITE] = int(timezone.now().timestamp())


class InactiviteMiddleware:
    """Log out a session idle for more than ``SESSION_IDLE_MINUTES`` (0 = never).

    The time of the last activity is kept in the session (set at login by
    ``debut_d_activite``), rewritten at most once a minute (not one session write per
    request). After the logout, a page request goes on as an anonymous one (the login page,
    with the address to come back to); an htmx request gets a full-page redirect to the login
    page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limite = settings.SESSION_IDLE_MINUTES * 60
        if limite and request.user.is_authenticated:
            maintenant = int(timezone.now().timestamp())
            derniere = request.session.get(CLE_ACTIVITE)
            if derniere is not None and maintenant - derniere > limite:
                logout(request)
                request._deconnexion_pour_inactivite = True
                messages.info(
                    request,
                    f"Session fermée après {settings.SESSION_IDLE_MINUTES} minutes sans "
                    "activité : reconnectez-vous pour continuer.",
                )
                if request.headers.get("HX-Request") == "true":
                    return _redirection_htmx(request)
            elif derniere is None or (maintenant - derniere >= 60 and not est_un_sondage(request)):
                request.session[CLE_ACTIVITE] = maintenant
        return self.get_response(request)


def _redirection_htmx(request) -> HttpResponse:
    """Full-page redirect (``HX-Redirect``) to the login page, back to the page shown."""
    adresse = urlsplit(request.headers.get("HX-Current-URL", ""))
    page = (adresse.path or "/") + (f"?{adresse.query}" if adresse.query else "")
    response = HttpResponse(status=200)
    response["HX-Redirect"] = redirect_to_login(page)["Location"]
    return response


class CSPMiddleware(_CSPMiddleware):
    """django-csp's policy on HTML responses only.

    Chrome shows a PDF through an internal ``<embed>`` that ``object-src 'none'`` blocks;
    Excel, JSON and PDF files are not pages and run no script.
    """

    def process_response(self, request, response):
        if not response.get("Content-Type", "").startswith("text/html"):
            response._csp_exempt = True
            response._csp_exempt_ro = True
        return super().process_response(request, response)


def adresse_client(request) -> str | None:
    """The client's IP address, given ``PROXY_COUNT`` trusted reverse proxies in front.

    Each proxy appends the address it received the request from to ``X-Forwarded-For``;
    with N proxies the client is therefore the N-th address from the right (what the
    client wrote itself, further left, is ignored). Without a proxy, or with a header that
    did not cross all of them, it is ``REMOTE_ADDR``.
    """
    distante = request.META.get("REMOTE_ADDR")
    nombre = settings.PROXY_COUNT
    if nombre <= 0:
        return distante
    chaine = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    chaine = [a for a in chaine if a]
    if len(chaine) < nombre:
        return distante
    candidate = chaine[-nombre]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return distante
