"""The HTML of a status badge, as ``{% statut code libelle %}`` writes it."""

from mife.core.statuts import couleur


def badge(code: str, libelle: str) -> str:
    return f'<span class="badge text-nowrap statut-{code} couleur-{couleur(code)}">{libelle}</span>'
