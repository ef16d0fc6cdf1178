"""Month arithmetic. A month is the ``date`` of its first day (2026-11-01 for November 2026)."""

import re
from datetime import date, timedelta

MOIS_INVALIDE = "Mois invalide : saisissez-le sous la forme AAAA-MM (2026-11) ou MM/AAAA."


def premier_jour(jour: date) -> date:
    """The month of ``jour`` (its first day)."""
    return jour.replace(day=1)


def ajouter_mois(jour: date, n: int) -> date:
    """The first day of the month ``n`` months after (``n`` < 0: before) ``jour``'s month."""
    annee, mois = divmod(jour.month - 1 + n, 12)
    return date(jour.year + annee, mois + 1, 1)


def mois_precedent(jour: date) -> date:
    """The first day of the month before ``jour``'s month."""
    return ajouter_mois(jour, -1)


def dernier_jour(jour: date) -> date:
    """The last day of ``jour``'s month."""
    return ajouter_mois(jour, 1) - timedelta(days=1)


def lire_mois(texte: str) -> date:
    """``2026-11`` or ``11/2026`` → 1 November 2026; ValueError (French message) otherwise."""
    texte = (texte or "").strip()
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})", texte):
        annee, mois = int(m[1]), int(m[2])
    elif m := re.fullmatch(r"(\d{1,2})/(\d{4})", texte):
        mois, annee = int(m[1]), int(m[2])
    else:
        raise ValueError(MOIS_INVALIDE)
    if not 1 <= mois <= 12 or annee < 1900:
        raise ValueError(MOIS_INVALIDE)
    return date(annee, mois, 1)
