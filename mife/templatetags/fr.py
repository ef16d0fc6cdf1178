"""Template filters for the French formats of ``mife.core.formats``."""

from django import template

from mife.core import formats, grammaire, statuts

register = template.Library()

register.filter("heures", formats.heures)
register.filter("montant", formats.montant)
register.filter("date_fr", formats.date_fr)
register.filter("mois_fr", formats.mois_fr)
register.filter("de_mois", grammaire.de_mois)
register.filter("siret", formats.siret)
register.filter("nombre", formats.nombre)
register.filter("pourcentage", formats.pourcentage)
register.filter("largeur_barre", formats.largeur_barre)


@register.inclusion_tag("includes/statut.html")
def statut(valeur: str, libelle: str, icone: str = ""):
    """A coloured status badge; the text always says the status (colour is never alone).

    The colour comes from ``mife.core.statuts`` (one table for the whole application); the
    badge never wraps (``text-nowrap``), whatever the width of its column.
    """
    return {
        "valeur": valeur,
        "libelle": libelle,
        "couleur": statuts.couleur(valeur),
        "icone": icone,
    }


@register.simple_tag(takes_context=True)
def url_avec(context, **params):
    """The current URL's query string with some parameters replaced (filters kept)."""
    query = context["request"].GET.copy()
    for cle, valeur in params.items():
        if valeur is None or valeur == "":
            query.pop(cle, None)
        else:
            query[cle] = valeur
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"
