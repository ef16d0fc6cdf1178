"""System checks of the production configuration (``manage.py check --deploy``)."""

import contextlib
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import DatabaseError, connection

HOTES_LOCAUX = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}


def url_publique() -> tuple[str, str]:
    """The public address printed in documents, and where it comes from."""
    from mife.core.models import Parametres

    enregistree = None
    if not _fichier_sqlite_absent():  # reading would create an empty database file
        # Database not migrated or not reachable: the setting decides.
        with contextlib.suppress(DatabaseError):
            enregistree = (
                Parametres.objects.filter(pk=1).values_list("url_publique", flat=True).first()
            )
    if enregistree:
        return enregistree, "Paramètres › adresse publique de l'application"
    return settings.SITE_URL, "la variable d'environnement SITE_URL"


def _fichier_sqlite_absent() -> bool:
    reglages = connection.settings_dict
    nom = str(reglages["NAME"])
    return (
        reglages["ENGINE"].endswith("sqlite3")
        and not nom.startswith("file:")
        and nom != ":memory:"
        and not Path(nom).exists()
    )


@register(Tags.security, deploy=True)
def verifier_url_publique(app_configs=None, **kwargs):
    """In production the QR codes of attestations must point to the public https address."""
    if settings.DEBUG:
        return []
    url, origine = url_publique()
    morceaux = urlsplit(url or "")
    if morceaux.scheme == "https" and morceaux.hostname and morceaux.hostname not in HOTES_LOCAUX:
        return []
    return [
        Error(
            f"L'adresse publique de l'application ({url or 'vide'}, tirée de {origine}) n'est "
            "pas une adresse https publique : les QR codes des attestations pointeraient "
            "ailleurs que vers l'application.",
            hint="Définissez SITE_URL=https://… (l'adresse servie par le proxy HTTPS), ou "
            "l'adresse publique dans Administration › Paramètres.",
            id="mife.E101",
        )
    ]
