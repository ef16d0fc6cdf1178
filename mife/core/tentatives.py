"""Failed logins (django-axes): one limit per account and address, another per address.

``AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]`` makes axes count the
failures of an account from one client address, and the failures of one address across all
accounts. Axes compares both counts with the same limit; this handler gives the per-address
count its own, higher limit (``AXES_IP_FAILURE_LIMIT``): a colleague's typos do not lock the
whole office, but trying a few passwords on many accounts (password spraying) locks the
address. The client address comes from ``mife.core.http.adresse_client`` (reverse proxies).

A successful login forgets the failures of that account from that address only: the count
of the address (other accounts tried from there) stays.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off, get_failure_limit, get_lockout_parameters
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone


def _par_adresse_seule(parametre) -> bool:
    return parametre == "ip_address" or parametre == ["ip_address"]


class AxesHandler(AxesDatabaseHandler):
    def _comptes(self, request, credentials):
        parametres = get_lockout_parameters(request, credentials)
        tentatives = self.get_user_attempts(request, credentials)
        for parametre, qs in zip(parametres, tentatives, strict=True):
            total = qs.aggregate(total=Sum("failures_since_start"))["total"] or 0
            yield parametre, total

    def get_failures(self, request, credentials=None) -> int:
        """The highest count, the per-address one scaled to the per-account limit."""
        limite = get_failure_limit(request, credentials)
        limite_adresse = max(settings.AXES_IP_FAILURE_LIMIT, 1)
        plus_haut = 0
        for parametre, total in self._comptes(request, credentials):
            if _par_adresse_seule(parametre):
                # floor(total × limite / limite_adresse) reaches limite exactly when total
                # reaches limite_adresse.
                total = total * limite // limite_adresse
            plus_haut = max(plus_haut, total)
        return plus_haut

    def reset_user_attempts(self, request, credentials=None) -> int:
        parametres = get_lockout_parameters(request, credentials)
        tentatives = self.filter_user_attempts(request, credentials)
        effacees = 0
        for parametre, qs in zip(parametres, tentatives, strict=True):
            if not _par_adresse_seule(parametre):
                effacees += qs.delete()[0]
        return effacees


def adresses_bloquees(adresses) -> list[str]:
    """Those of ``adresses`` that still reach the per-address limit (for the unlock action)."""
    from axes.models import AccessAttempt

    qs = AccessAttempt.objects.filter(ip_address__in=set(adresses))
    duree = get_cool_off()
    if duree is not None:
        qs = qs.filter(attempt_time__gte=timezone.now() - duree)
    totaux = qs.values("ip_address").annotate(total=Sum("failures_since_start"))
    return sorted(t["ip_address"] for t in totaux if t["total"] >= settings.AXES_IP_FAILURE_LIMIT)
