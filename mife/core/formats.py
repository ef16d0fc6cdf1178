"""French display formats shared by pages, PDFs and exports (DESIGN.md §6)."""

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils import formats, timezone

MOIS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def _decimal(valeur) -> Decimal:
    return valeur if isinstance(valeur, Decimal) else Decimal(str(valeur))


def _arrondi(valeur: Decimal, decimales: int) -> Decimal:
    """Round half up (Django's number_format truncates)."""
    return valeur.quantize(Decimal(1).scaleb(-decimales), rounding=ROUND_HALF_UP)


def nombre(valeur, decimales: int = 1) -> str:
    """``1 234,5`` (no trailing ``,0`` for whole numbers)."""
    if valeur is None or valeur == "":
        return ""
    valeur = _arrondi(_decimal(valeur), decimales)
    # Up to ``decimales`` digits, without trailing zeros: 12,5 — 12,25 — 12.
    while decimales > 0 and valeur == _arrondi(valeur, decimales - 1):
        decimales -= 1
    return formats.number_format(valeur, decimales, use_l10n=True, force_grouping=True)


def heures(valeur) -> str:
    return f"{nombre(valeur or 0, 2)} h"


def montant(valeur) -> str:
    if valeur is None:
        return ""
    arrondi = _arrondi(_decimal(valeur), 2)
    return f"{formats.number_format(arrondi, 2, use_l10n=True, force_grouping=True)} €"


def date_fr(valeur) -> str:
    if not valeur:
        return ""
    if isinstance(valeur, datetime):
        valeur = timezone.localtime(valeur) if timezone.is_aware(valeur) else valeur
        return valeur.strftime("%d/%m/%Y %H:%M")
    return valeur.strftime("%d/%m/%Y")


def mois_fr(valeur: date | None) -> str:
    """``novembre 2026``."""
    if not valeur:
        return ""
    return f"{MOIS[valeur.month - 1]} {valeur.year}"


def siret(valeur) -> str:
    """``123 456 789 00012`` (SIREN in groups of three, then the NIC); any other identifier is
    returned as is."""
    chiffres = "".join((valeur or "").split())
    if len(chiffres) != 14 or not chiffres.isdigit():
        return valeur or ""
    return f"{chiffres[:3]} {chiffres[3:6]} {chiffres[6:9]} {chiffres[9:]}"


def pourcentage(valeur) -> str:
    if valeur is None:
        return ""
    return f"{nombre(valeur)} %"


def largeur_barre(valeur) -> int:
    """Width of a progress bar for a percentage: rounded, kept between 0 and 100."""
    if valeur is None:
        return 0
    return max(0, min(100, round(float(valeur))))
