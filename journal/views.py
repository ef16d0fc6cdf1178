"""The journal for the data-protection officer: a filterable list with its Excel export."""

import json

from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from journal.filters import EntreeJournalFilter
from journal.models import EntreeJournal
from mife.core.listes import Colonne, ListeView


def _details(entree: EntreeJournal) -> str:
    if not entree.details:
        return ""
    return json.dumps(entree.details, ensure_ascii=False, sort_keys=True)


def _utilisateur(entree: EntreeJournal) -> str:
    """The account's name; « système » for what no one typed (a command, a scheduled job);
    empty for a failed login with an unknown name (the typed name is in « Identifiant »)."""
    if entree.utilisateur is not None:
        return str(entree.utilisateur)
    return "" if entree.identifiant else "système"


@method_decorator(never_cache, name="dispatch")
class JournalListeView(ListeView):
    """Reads and exports of personal data, security events: admin role only."""

    titre = "Journal des accès et de la sécurité"
    message_vide = "Le journal est vide."
    permission_required = "journal.view_entreejournal"
    filterset_class = EntreeJournalFilter
    queryset = EntreeJournal.objects.select_related("utilisateur")
    tri_defaut = "-moment"
    nom_export = "journal-acces"
    paginate_by = 50
    colonnes = [
        Colonne("Date et heure (Paris)", "moment", tri="moment", format="date"),
        Colonne("Catégorie", "get_categorie_display", tri="categorie"),
        Colonne("Action", "get_action_display", tri="action"),
        Colonne("Utilisateur", _utilisateur, tri="utilisateur__last_name"),
        Colonne("Identifiant", "identifiant", tri="identifiant"),
        Colonne("Adresse IP", "adresse_ip", tri="adresse_ip"),
        Colonne("Participant n°", "participant_id", tri="participant_id", numerique=True),
        Colonne("Objet", "objet"),
        Colonne("Détails", _details),
    ]
