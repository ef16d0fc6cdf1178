"""Holds an account that must use a second factor on the verification page until it has."""

from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.urls import reverse

from mife import double_facteur

# Pages reachable between the password and the second factor.
PAGES_LIBRES = frozenset(
    {
        "login",
        "logout",
        "double_facteur",
        "double_facteur_verifier",
        "verifier_attestation",
    }
)


class DoubleFacteurMiddleware:
    """After ``OTPMiddleware`` and ``LoginRequiredMiddleware`` (anonymous users are already
    sent to the login page): an account that must verify a second factor and has not yet
    goes to the verification page (or to enrolment if it has no device), then comes back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        match = request.resolver_match
        if match is not None and match.view_name in PAGES_LIBRES:
            return None
        if not double_facteur.exige(user, request.session):
            return None
        page = "double_facteur_verifier" if double_facteur.a_un_appareil(user) else "double_facteur"
        reponse = redirect_to_login(request.get_full_path(), reverse(page))
        if getattr(request, "htmx", False):
            # htmx would swap the verification page into a fragment: reload the whole page.
            reponse = HttpResponse(status=204, headers={"HX-Redirect": reponse["Location"]})
        return reponse
