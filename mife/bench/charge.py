"""Sessions of the bench accounts for ``make load``: the Locust users start logged in.

A real login hashes the password (PBKDF2, about a second of CPU on purpose): 50 users logging in
at the same second would measure the password hasher, not the pages. Each account gets a session
opened as a login does (``django.contrib.auth.login``: signals, journal, session tracking),
written to a JSON file {username: session cookie value} that ``bench/locustfile.py`` reads.
"""

import json
from pathlib import Path

from django.conf import settings
from django.test import Client

from mife.bench import donnees
from mife.models import User


def ecrire_sessions(fichier: str) -> int:
    comptes = {}
    for code, nombre in donnees.COMPTES.items():
        for i in range(nombre):
            user = User.objects.filter(username=f"bench-{code}-{i:03d}").first()
            if user is None:
                continue
            client = Client()
            client.force_login(user)
            comptes[user.username] = client.cookies[settings.SESSION_COOKIE_NAME].value
    sortie = Path(fichier)
    sortie.parent.mkdir(parents=True, exist_ok=True)
    sortie.write_text(
        json.dumps({"cookie": settings.SESSION_COOKIE_NAME, "sessions": comptes}, indent=1)
    )
    return len(comptes)
