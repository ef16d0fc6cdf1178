"""Second factor (TOTP with django-otp) and its recovery codes.

Who must use it (``exige``): with ``MFA_OBLIGATOIRE`` (on by default whenever ``DEBUG`` is
off), every account that may see protected criteria (``heures.voir_donnees_sensibles``) or
administer (``mife.administrer``, superusers); and, whatever the setting, every account that
has enrolled a device (opting in counts). After the password, such an account is held on the
verification page (``DoubleFacteurMiddleware``) until it types a code from its authenticator
application, or one of its single-use recovery codes. Without a device yet, it is sent to
enrolment: QR code and manual key, one code to confirm, then ten recovery codes shown once.

django-otp does the cryptography, the replay refusal (a code is accepted once) and the
throttling (each failure doubles the wait); this module only says who, and where to go.
A lost phone: the administrator resets the second factor from the user's admin page
(action « Réinitialiser la double authentification »), the person enrols again.
"""

import hashlib
import secrets
from base64 import b32encode

from django.conf import settings
from django.db import transaction
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from journal import services as journal
from journal import sessions
from journal.models import Action

CLE_APPAREIL = "double_facteur_appareil"  # session: the account had a device at login
NOM_APPLICATION = "Application d'authentification"
NOM_CODES = "Codes de secours"
NOMBRE_CODES = 10
ALPHABET_CODES = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: easy to copy by hand
LONGUEUR_CODE = 16  # 16 characters of a 32-letter alphabet: 80 bits


def exige_par_le_role(user) -> bool:
    """The account's rights call for a second factor (when ``MFA_OBLIGATOIRE`` is on)."""
    return (
        user.is_superuser
        or user.has_perm("heures.voir_donnees_sensibles")
        or user.has_perm("mife.administrer")
    )


def exige(user, session=None) -> bool:
    """This account must verify a second factor in this session."""
    if session is not None and session.get(CLE_APPAREIL):
        return True
    return bool(settings.MFA_OBLIGATOIRE) and exige_par_le_role(user)


def a_un_appareil(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def memoriser_appareil(request, user) -> None:
    """At login: remember in the session whether the account has opted in (no query later)."""
    request.session[CLE_APPAREIL] = a_un_appareil(user)


def appareil_en_attente(user) -> TOTPDevice:
    """The unconfirmed TOTP device of an enrolment in progress (created if needed).

    A code is valid during its 30-second step only (``tolerance=0``: ASVS 6.5.5)."""
    appareil = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if appareil is None:
        appareil = TOTPDevice.objects.create(
            user=user, name=NOM_APPLICATION, confirmed=False, tolerance=0
        )
    return appareil


def cle_manuelle(appareil: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing it into the application."""
    cle = b32encode(appareil.bin_key).decode().rstrip("=")
    return " ".join(cle[i : i + 4] for i in range(0, len(cle), 4))


def qr_code_svg(appareil: TOTPDevice) -> str:
    import segno

    return segno.make(appareil.config_url, error="m").svg_inline(
        scale=5, title="QR code à scanner avec l'application d'authentification"
    )


def _normaliser(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


def _nouveau_code() -> str:
    return "".join(secrets.choice(ALPHABET_CODES) for _ in range(LONGUEUR_CODE))


def empreinte_code(code: str) -> str:
    """What is stored of a recovery code: 80 bits of its SHA-256, in base 32 (the 16 characters
    of django-otp's column). A code is 80 random bits, so a plain hash cannot be reversed by
    trying codes; a database dump no longer gives usable codes (ASVS 6.5.2)."""
    condensat = hashlib.sha256(b"clauses-label:code-de-secours:" + code.encode()).digest()
    return b32encode(condensat[:10]).decode().lower()


def afficher_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


@transaction.atomic
def nouveaux_codes_de_secours(user, request=None) -> list[str]:
    """Replace the recovery codes of ``user`` by ten new ones (shown once, then only used)."""
    appareil, _ = StaticDevice.objects.get_or_create(
        user=user, name=NOM_CODES, defaults={"confirmed": True}
    )
    appareil.token_set.all().delete()
    codes = [_nouveau_code() for _ in range(NOMBRE_CODES)]
    StaticToken.objects.bulk_create(
        StaticToken(device=appareil, token=empreinte_code(c)) for c in codes
    )
    journal.securite(
        request,
        Action.CODES_SECOURS,
        utilisateur=user,
        objet=f"{NOMBRE_CODES} nouveaux codes de secours",
    )
    return [afficher_code(c) for c in codes]


def codes_restants(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def _entrer(request, appareil) -> None:
    """The session is verified by ``appareil``; its key changes (privilege raised)."""
    otp_login(request, appareil)
    ancienne = request.session.session_key
    request.session.cycle_key()
    sessions.renommer(ancienne, request.session.session_key)
    request.session[CLE_APPAREIL] = True


@transaction.atomic
def confirmer(request, appareil: TOTPDevice, code: str) -> list[str] | None:
    """Enrolment: the first code proves the application is set up. Returns the recovery
    codes to show (None if the code is wrong)."""
    appareil = TOTPDevice.objects.select_for_update().get(pk=appareil.pk)
    if appareil.user_id != request.user.pk or not appareil.verify_token(_normaliser(code)):
        return None
    appareil.confirmed = True
    appareil.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=request.user, confirmed=False).delete()
    journal.securite(request, Action.DOUBLE_FACTEUR_ACTIVE, objet="Application d'authentification")
    codes = nouveaux_codes_de_secours(request.user, request)
    _entrer(request, appareil)
    return codes


class Refus(Exception):
    """A second-factor code refused (the message says why, in French)."""


def verifier(request, code: str):
    """Check ``code`` (6 digits of the application, or a recovery code) for the request's
    user; on success the session is verified. Returns the device; raises ``Refus``."""
    user = request.user
    code = _normaliser(code)
    if not code:
        raise Refus("Saisissez le code affiché par votre application.")
    secours = not (code.isdigit() and len(code) == 6)
    types = (StaticDevice,) if secours else (TOTPDevice,)
    with transaction.atomic():
        appareils = [
            a for a in devices_for_user(user, confirmed=True, for_verify=True) if type(a) in types
        ]
        # Each failure doubles the wait before the next try (django-otp's throttling).
        bloque = bool(appareils) and not any(a.verify_is_allowed()[0] for a in appareils)
        for appareil in appareils:
            if bloque:
                break
            if appareil.verify_token(empreinte_code(code) if secours else code):
                _entrer(request, appareil)
                if secours:
                    journal.securite(
                        request,
                        Action.CODES_SECOURS,
                        objet=f"Code de secours utilisé (reste {codes_restants(user)})",
                    )
                return appareil
    journal.securite(
        request,
        Action.DOUBLE_FACTEUR_ECHOUE,
        objet="Code de secours refusé" if secours else "Code refusé",
    )
    if bloque:
        raise Refus("Trop de codes erronés : patientez quelques secondes avant de réessayer.")
    if secours:
        raise Refus("Code de secours inconnu ou déjà utilisé.")
    raise Refus("Code incorrect ou expiré : saisissez le code affiché maintenant.")


@transaction.atomic
def verifier_code_application(request, code: str) -> TOTPDevice:
    """A current code of the application, to confirm a change (no new login)."""
    code = _normaliser(code)
    for appareil in devices_for_user(request.user, confirmed=True, for_verify=True):
        if isinstance(appareil, TOTPDevice) and appareil.verify_token(code):
            return appareil
    raise Refus("Code incorrect ou expiré : saisissez le code affiché maintenant.")


def est_verifiee(request) -> bool:
    return bool(request.session.get(DEVICE_ID_SESSION_KEY)) and request.user.is_verified()


@transaction.atomic
def reinitialiser(user, request=None) -> int:
    """Remove every device of ``user`` (lost phone): the person enrols again at next login."""
    nombre = 0
    for modele in (TOTPDevice, StaticDevice):
        supprimes, _ = modele.objects.filter(user=user).delete()
        nombre += supprimes
    journal.securite(
        request,
        Action.DOUBLE_FACTEUR_REINITIALISE,
        objet=f"{user.get_username()} : double authentification réinitialisée",
        details={"compte": user.get_username()},
    )
    return nombre
