"""Settings of Clauses & Label, read from the environment (12-factor).

Variables: DATABASE_URL, SECRET_KEY, DEBUG, ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS,
EMAIL_URL-like settings (EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD,
EMAIL_USE_TLS, DEFAULT_FROM_EMAIL), MEDIA_ROOT, STATIC_ROOT, SECURE_SSL_REDIRECT, SITE_URL,
PROXY_COUNT, AXES_FAILURE_LIMIT, AXES_IP_FAILURE_LIMIT, AXES_COOLOFF_HOURS,
SESSION_IDLE_MINUTES, REQUEST_MAX_MB, UPLOAD_MAX_MB (see README's configuration table).
Defaults are safe for production: DEBUG is off unless DEBUG=1.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "oui"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "dev-insecure-" + "x" * 50  # local development only
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY doit être défini (variable d'environnement) quand DEBUG est désactivé."
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Public address of the app, printed in documents (QR code of attestations) when the
# administrator has not set one in Paramètres. ``make run`` sets it from HOST and PORT; in
# production it has no default (never a localhost address: check --deploy fails, mife.E101).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000" if DEBUG else "")

INSTALLED_APPS = [
    "mife.apps.MifeConfig",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_htmx",
    "csp",
    # Third-party apps under a French name (mife/apps_tierces.py).
    "mife.apps_tierces.HistoriqueConfig",
    "mife.apps_tierces.AxesConfig",
    "mife.apps_tierces.OtpConfig",
    "mife.apps_tierces.OtpTotpConfig",
    "mife.apps_tierces.OtpStaticConfig",
    "mife.apps_tierces.TachesConfig",
    "mife.apps_tierces.TachesBaseConfig",
    "entreprises.apps.EntreprisesConfig",
    "marches.apps.MarchesConfig",
    "heures.apps.HeuresConfig",
    "label.apps.LabelConfig",
    "journal.apps.JournalConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files: cached, no session
    # HTTP protections of mife/core/http.py (see docs/securite-http.md).
    "mife.core.http.PasDeCacheMiddleware",
    "mife.core.http.LimiteCorpsMiddleware",  # before anything reads the body (CSRF)
    "mife.core.http.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "mife.core.http.DeconnexionMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # After the two above: an account that must use a second factor waits for it.
    "mife.middleware.DoubleFacteurMiddleware",
    "journal.middleware.SessionsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "mife.core.http.InactiviteMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # AxesMiddleware must be last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mife.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mife.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "mife.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # PostgreSQL's JIT compiles any query whose estimated cost passes a threshold: 100 to
    # 200 ms spent on each request of a page whose SQL itself runs in 1 ms (a count over a
    # correlated subquery, measured at national scale by `make bench`). Off, as usually
    # advised for a web application's short queries.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")

AUTH_USER_MODEL = "mife.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # French and project-specific refused passwords (mife/core/mots_de_passe_refuses.txt).
    {"NAME": "mife.core.mots_de_passe.MotsDePasseRefusesValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "accueil"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes, mife/core/tentatives.py): AXES_FAILURE_LIMIT failures of an
# account from one client address lock that account from that address; AXES_IP_FAILURE_LIMIT
# failures from one address, whatever the accounts, lock the address (password spraying).
# Locks last AXES_COOLOFF_HOURS; the administrator can lift them (« Débloquer » in the admin).
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_IP_FAILURE_LIMIT = int(os.environ.get("AXES_IP_FAILURE_LIMIT", "20"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.5"))  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "mife.core.tentatives.AxesHandler"
AXES_RESET_ON_SUCCESS = True
# Client address behind PROXY_COUNT reverse proxies that each append to X-Forwarded-For
# (mife.core.http.adresse_client); 0 = no proxy, REMOTE_ADDR is the client.
PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "mife.core.http.adresse_client"
AXES_LOCKOUT_TEMPLATE = "registration/verrouille.html"

# Second factor (django-otp, TOTP + recovery codes): required for the accounts that may see
# protected criteria or administer, whenever DEBUG is off (MFA_OBLIGATOIRE=0 to disable it,
# e.g. the local demo of `make run`, which runs with DEBUG=1). See mife/double_facteur.py.
MFA_OBLIGATOIRE = env_bool("MFA_OBLIGATOIRE", not DEBUG)
OTP_TOTP_ISSUER = "Clauses & Label"

# Access and security log (journal app): entries older than this are deleted by
# `manage.py purger_journaux` (also run by `anonymiser_participants`).
JOURNAL_CONSERVATION_MOIS = int(os.environ.get("JOURNAL_CONSERVATION_MOIS", "12"))

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]  # the interface is French only, whatever the browser says
TIME_ZONE = "Europe/Paris"
USE_I18N = True
# Project translations: French names of third-party models and fields (mife/apps_tierces.py).
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True
# Raw numbers in templates (ids, versions in forms) must stay machine-readable: grouping is
# applied explicitly by the display filters of mife.core.formats (force_grouping).
USE_THOUSAND_SEPARATOR = False

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Files uploaded for an import and never confirmed are removed after this time
# (mife.core.televersement, manage.py purger_televersements).
TELEVERSEMENTS_DUREE_ATTENTE = timedelta(
    hours=float(os.environ.get("TELEVERSEMENTS_DUREE_HEURES", "24"))
)
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or env_bool("TESTING")
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
FILTERS_EMPTY_CHOICE_LABEL = "Tous"

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# E-mail (relances, invitations). Console backend unless a host is configured.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "clauses@mife90.fr")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security: safe by default, relaxed only in DEBUG (local http).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 10  # one working day
# A session idle longer is logged out (mife.core.http.InactiviteMiddleware); 0 = never.
SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "mife.erreurs.csrf_refuse"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp), on HTML pages (mife.core.http.CSPMiddleware): scripts,
# styles, fonts and images from the application only; no inline script or style (the
# templates load static/js/ files), no plugin, no framing, forms posted to the app only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],  # Bootstrap draws its form controls with data: SVG
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # « __Host- » cookies: sent over HTTPS only, for this very host and the whole site (no
    # Domain, Path=/), so a sibling subdomain can neither read nor plant them.
    if SESSION_COOKIE_SECURE:
        SESSION_COOKIE_NAME = "__Host-sessionid"
    if CSRF_COOKIE_SECURE:
        CSRF_COOKIE_NAME = "__Host-csrftoken"

# Request bodies: refused (413) from their Content-Length, before anything reads them
# (mife.core.http.LimiteCorpsMiddleware). Only a signed-in user on an upload page (imports,
# attachments in the admin) may send more; each import then has its own, smaller limit.
MEGAOCTET = 1024 * 1024
REQUEST_MAX_SIZE = int(float(os.environ.get("REQUEST_MAX_MB", "5")) * MEGAOCTET)
UPLOAD_MAX_SIZE = int(float(os.environ.get("UPLOAD_MAX_MB", "25")) * MEGAOCTET)
UPLOAD_VIEWS = [
    "marches:import_decp",
    "heures:declaration_excel",
    "label:piece_ajouter",
    "admin:*_add",
    "admin:*_change",
]
# Upload pages reached through a company's personal link (no account): same larger cap.
UPLOAD_VIEWS_LIEN = ["label:espace_piece_ajouter"]
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_SIZE  # form fields, files excluded
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * MEGAOCTET

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # WeasyPrint and fontTools narrate every PDF step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
