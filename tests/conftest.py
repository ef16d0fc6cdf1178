import itertools
import os
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from mife import double_facteur, roles

# The key of the authenticator application of the test accounts (browser logins type the
# current code of this key at the second-factor step).
CLE_TOTP_TESTS = "3132333435363738393031323334353637383930"


def appareil_de_test(user) -> TOTPDevice:
    """A confirmed TOTP device of ``user`` with the tests' known key."""
    appareil, _ = TOTPDevice.objects.get_or_create(
        user=user,
        name="Téléphone de test",
        defaults={"confirmed": True, "key": CLE_TOTP_TESTS, "tolerance": 2},
    )
    return appareil


def debut_de_pas(marge: float = 5) -> None:
    """Wait for a fresh 30-second TOTP step if the current one ends within ``marge`` seconds
    (an enrolled device accepts the current step only: no flaky test at the boundary)."""
    import time

    reste = 30 - time.time() % 30
    if reste < marge:
        time.sleep(reste + 0.2)


def code_totp(appareil: TOTPDevice) -> str:
    return f"{totp(appareil.bin_key, appareil.step, appareil.t0, appareil.digits):06d}"


def marquer_verifiee(client, user) -> None:
    """The session of ``client`` has passed the second factor (as after a real code)."""
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = appareil_de_test(user).persistent_id
    session[double_facteur.CLE_APPAREIL] = True
    session.save()


@pytest.fixture(autouse=True)
def force_login_avec_double_facteur(monkeypatch):
    """``client.force_login`` stands for the whole login: password and, for the accounts that
    must use one (MFA_OBLIGATOIRE is on, as in production), the second factor. The tests of
    the second factor itself log in through the real pages, or use ``force_login_sans_otp``."""
    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        if double_facteur.exige(user):
            marquer_verifiee(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)
    monkeypatch.setattr(Client, "force_login_sans_otp", original, raising=False)


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
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(username=username).first()
        appareil = None
        if user is not None and double_facteur.exige(user):
            appareil = appareil_de_test(user)
        page.goto(f"{page.live_server_url}/connexion/")
        page.get_by_label("Identifiant").fill(username)
        page.get_by_label("Mot de passe").fill(password)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_load_state("domcontentloaded")
        if appareil is not None and "/connexion/verification/" in page.url:
            # The second factor, as typed from the authenticator application.
            page.get_by_label("Code").fill(code_totp(appareil))
            page.get_by_role("button", name="Vérifier").click()
            page.wait_for_load_state("domcontentloaded")
        return page

    return _connexion
