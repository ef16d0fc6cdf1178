import itertools
import os
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission

from mife import roles


@pytest.fixture
def make_user(db, django_user_model):
    """Create a user with one of the roles of ``mife.roles`` (or none)."""

    def _make(role: str | None = None, username: str | None = None, **extra):
        username = username or f"user-{role or 'sans-role'}"
        user = django_user_model.objects.create_user(
            username=username,
            password="mot-de-passe-de-test",
            first_name=extra.pop("first_name", username.capitalize()),
            **extra,
        )
        if role:
            user.groups.add(Group.objects.get(name=roles.ROLES_PAR_CODE[role].groupe))
        return user

    return _make


@pytest.fixture
def client_for(client, make_user):
    """A test client logged in with the given role."""

    def _client(role: str | None, **extra):
        user = make_user(role, **extra)
        client.force_login(user)
        client.user = user
        return client

    return _client


@pytest.fixture
def client_avec_permissions(client, make_user):
    """A test client logged in with a new user holding exactly the given permissions."""
    numeros = itertools.count()

    def _client(*permissions: str):
        user = make_user(None, username=f"utilisateur-{next(numeros)}")
        for nom in permissions:
            app_label, codename = nom.split(".")
            user.user_permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        client.force_login(user)
        return client

    return _client


# --- Browser tests: Playwright driving Debian's Chromium (never a downloaded build) ---------
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def navigateur():
    if not Path(CHROMIUM).exists():
        message = (
            f"Chromium introuvable ({CHROMIUM}) : installez-le avec "
            "`apt-get install -y chromium` pour lancer les tests navigateur."
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API runs an event loop; Django's ORM refuses to run under one.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(navigateur, live_server):
    context = navigateur.new_context(locale="fr-FR", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.live_server_url = live_server.url
    yield page
    context.close()


@pytest.fixture
def connexion(page):
    """Log in through the real login form."""

    def _connexion(username: str, password: str = "mot-de-passe-de-test"):
        page.goto(f"{page.live_server_url}/connexion/")
        page.get_by_label("Identifiant").fill(username)
        page.get_by_label("Mot de passe").fill(password)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_load_state("domcontentloaded")
        return page

    return _connexion
