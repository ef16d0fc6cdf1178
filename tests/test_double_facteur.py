"""Second factor (TOTP, django-otp) and recovery codes: who must use it, enrolment,
verification after the password, recovery codes, reset by the administrator."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from journal.models import Action, EntreeJournal
from mife import double_facteur, roles
from tests.conftest import appareil_de_test, code_totp, debut_de_pas

pytestmark = pytest.mark.django_db
RACINE = Path(__file__).resolve().parent.parent
MOT_DE_PASSE = "mot-de-passe-de-test"


def connexion(client, username, **extra):
    return client.post(reverse("login"), {"username": username, "password": MOT_DE_PASSE, **extra})


def code_courant(appareil: TOTPDevice, decalage: int = 0) -> str:
    return f"{totp(appareil.bin_key, appareil.step, appareil.t0, appareil.digits, decalage):06d}"


# --- the setting ---------------------------------------------------------------------------


def _reglage(**env) -> str:
    environnement = {
        k: v for k, v in os.environ.items() if k not in {"MFA_OBLIGATOIRE", "DEBUG"}
    } | {"SECRET_KEY": "x" * 60, "DJANGO_SETTINGS_MODULE": "mife.settings", **env}
    resultat = subprocess.run(
        [sys.executable, "-c", "from mife import settings; print(settings.MFA_OBLIGATOIRE)"],
        cwd=RACINE,
        env=environnement,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return resultat.stdout.strip()


def test_obligatoire_par_defaut_hors_debug():
    assert _reglage(DEBUG="0") == "True"
    assert _reglage(DEBUG="1") == "False"  # the demo of `make run`: one-step logins
    assert _reglage(DEBUG="0", MFA_OBLIGATOIRE="0") == "False"
    assert _reglage(DEBUG="1", MFA_OBLIGATOIRE="1") == "True"


def test_les_tests_tournent_avec_le_reglage_de_production(settings):
    assert settings.MFA_OBLIGATOIRE is True


@pytest.mark.parametrize(
    ("role", "exige"),
    [
        (roles.ADMIN, True),
        (roles.FACILITATEUR, True),  # may see protected criteria
        (roles.SUIVI, False),
        (roles.ANIMATEUR, False),
        (roles.DIRECTION, False),
        (None, False),
    ],
)
def test_qui_doit_utiliser_le_second_facteur(make_user, role, exige):
    user = make_user(role)
    assert double_facteur.exige(user) is exige
    # Every role that may see the protected criteria is covered (not a list of role names).
    assert double_facteur.exige_par_le_role(user) == (
        user.has_perm("heures.voir_donnees_sensibles") or user.has_perm("mife.administrer")
    )


def test_un_superutilisateur_sans_role_doit_l_utiliser(make_user):
    assert double_facteur.exige(make_user(None, is_superuser=True))


# --- login in two steps --------------------------------------------------------------------


def test_sans_appareil_envoye_a_l_activation_puis_page_demandee(client, make_user):
    make_user(roles.ADMIN, username="alice")
    response = connexion(client, "alice", next="/heures/participants/")
    assert response.status_code == 302
    suite = client.get(response["Location"])
    assert suite.status_code == 302
    assert suite["Location"].startswith(reverse("double_facteur") + "?next=")
    # Every page waits for the second factor, the admin too.
    for url in ("/heures/participants/", reverse("admin:index"), reverse("journal:liste")):
        refus = client.get(url)
        assert refus.status_code == 302 and refus["Location"].startswith("/compte/"), url


def test_activation_qr_code_cle_manuelle_et_codes_de_secours(client, make_user):
    user = make_user(roles.FACILITATEUR, username="fanny")
    connexion(client, "fanny")
    page = client.get(reverse("double_facteur"), {"next": "/heures/participants/"})
    texte = page.content.decode()
    assert page.status_code == 200
    assert "Activer la double authentification" in texte
    assert "<svg" in texte and "QR code" in texte  # the QR code, inline
    appareil = TOTPDevice.objects.get(user=user, confirmed=False)
    cle = re.search(r'id="cle-manuelle">([A-Z2-7 ]+)<', texte).group(1)
    assert cle.replace(" ", "") == double_facteur.cle_manuelle(appareil).replace(" ", "")
    assert "otpauth://totp/Clauses%20%26%20Label%3Afanny" in appareil.config_url
    # A wrong code: nothing activated.
    faux = client.post(reverse("double_facteur"), {"code": "000000"})
    assert "Code incorrect" in faux.content.decode()
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    appareil.refresh_from_db()
    appareil.throttle_reset()
    debut_de_pas()
    reponse = client.post(
        reverse("double_facteur"),
        {"code": code_courant(appareil), "next": "/heures/participants/"},
    )
    assert "no-store" in reponse["Cache-Control"]  # the codes are never cached
    texte = reponse.content.decode()
    assert "Vos codes de secours" in texte
    codes = re.findall(r"<li>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</li>", texte)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert 'href="/heures/participants/"' in texte
    assert TOTPDevice.objects.get(user=user).confirmed
    assert StaticToken.objects.filter(device__user=user).count() == 10
    # The session is verified: the pages open.
    assert client.get("/heures/participants/").status_code == 200
    assert EntreeJournal.objects.filter(
        action=Action.DOUBLE_FACTEUR_ACTIVE, utilisateur=user
    ).exists()


def test_verification_apres_le_mot_de_passe(client, make_user):
    user = make_user(roles.ADMIN, username="alice")
    appareil = appareil_de_test(user)
    connexion(client, "alice")
    avant = client.session.session_key
    assert client.get(reverse("accueil"))["Location"].startswith(reverse("double_facteur_verifier"))
    page = client.get(reverse("double_facteur_verifier"), {"next": "/indicateurs/"})
    assert "Vérification en deux étapes" in page.content.decode()
    assert 'name="next" value="/indicateurs/"' in page.content.decode()
    # Navigation is hidden until verified.
    assert "Navigation principale" not in page.content.decode()
    response = client.post(
        reverse("double_facteur_verifier"), {"code": code_totp(appareil), "next": "/indicateurs/"}
    )
    assert response.status_code == 302 and response["Location"] == "/indicateurs/"
    assert client.session[DEVICE_ID_SESSION_KEY] == appareil.persistent_id
    assert client.session.session_key != avant  # the key changes with the privilege
    assert client.get(reverse("accueil")).status_code == 200
    # The same code cannot be used twice (replay).
    client2 = Client()
    connexion(client2, "alice")
    rejeu = client2.post(reverse("double_facteur_verifier"), {"code": code_totp(appareil)})
    assert rejeu.status_code == 200 and "Code incorrect ou expiré" in rejeu.content.decode()
    assert EntreeJournal.objects.filter(
        action=Action.DOUBLE_FACTEUR_ECHOUE, utilisateur=user
    ).exists()


def test_code_faux_puis_attente(client, make_user):
    user = make_user(roles.FACILITATEUR, username="fanny")
    appareil_de_test(user)
    connexion(client, "fanny")
    premier = client.post(reverse("double_facteur_verifier"), {"code": "123456"})
    assert "Code incorrect" in premier.content.decode()
    second = client.post(reverse("double_facteur_verifier"), {"code": "654321"})
    assert "Trop de codes erronés" in second.content.decode()
    assert client.get(reverse("accueil")).status_code == 302
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_la_page_demandee_garde_ses_filtres(client, make_user):
    make_user(roles.FACILITATEUR, username="fanny")
    connexion(client, "fanny")
    suite = "/heures/participants/?commune=Delle&sexe=F"
    response = client.get(reverse("double_facteur_verifier"), {"next": suite})
    assert response["Location"] == (
        reverse("double_facteur") + "?next=%2Fheures%2Fparticipants%2F%3Fcommune%3DDelle%26sexe%3DF"
    )
    page = client.get(response["Location"])
    assert f'name="next" value="{suite.replace("&", "&amp;")}"' in page.content.decode()


def test_redirection_vers_une_autre_adresse_refusee(client, make_user):
    user = make_user(roles.ADMIN, username="alice")
    appareil = appareil_de_test(user)
    connexion(client, "alice")
    response = client.post(
        reverse("double_facteur_verifier"),
        {"code": code_totp(appareil), "next": "https://pirate.example/"},
    )
    assert response["Location"] == reverse("accueil")


def test_code_de_secours_une_seule_fois(client, make_user):
    user = make_user(roles.ADMIN, username="alice")
    appareil_de_test(user)
    codes = double_facteur.nouveaux_codes_de_secours(user)
    connexion(client, "alice")
    response = client.post(
        reverse("double_facteur_verifier"), {"code": codes[0].upper()}, follow=True
    )
    assert response.status_code == 200
    assert "Code de secours utilisé : il vous en reste 9" in response.content.decode()
    assert client.get(reverse("accueil")).status_code == 200
    autre = Client()
    connexion(autre, "alice")
    refus = autre.post(reverse("double_facteur_verifier"), {"code": codes[0]})
    assert "Code de secours inconnu ou déjà utilisé" in refus.content.decode()
    assert EntreeJournal.objects.filter(
        action=Action.CODES_SECOURS, objet="Code de secours utilisé (reste 9)"
    ).exists()


def test_codes_de_secours_stockes_en_empreinte(make_user):
    """A dump of the database gives no usable recovery code (ASVS 6.5.2)."""
    user = make_user(roles.ADMIN, username="bob")
    codes = [c.replace("-", "") for c in double_facteur.nouveaux_codes_de_secours(user)]
    stockes = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(stockes) == 10 and not stockes & set(codes)
    assert stockes == {double_facteur.empreinte_code(c) for c in codes}
    assert all(len(s) == 16 for s in stockes)  # fits django-otp's column


def test_nouveaux_codes_de_secours_apres_nouvelle_authentification(client_for):
    client = client_for(roles.FACILITATEUR)
    appareil = appareil_de_test(client.user)
    page = client.get(reverse("double_facteur")).content.decode()
    assert "La double authentification est active" in page
    assert "Codes de secours restants : <strong>0</strong>" in page
    # Password and a current code again (ASVS 7.5.1): a stolen open session is not enough.
    sans = client.post(reverse("double_facteur_codes"), {"code": code_totp(appareil)})
    assert "Ce champ est obligatoire." in sans.content.decode()
    faux = client.post(
        reverse("double_facteur_codes"), {"mot_de_passe": "faux", "code": code_totp(appareil)}
    )
    assert "Mot de passe incorrect." in faux.content.decode()
    assert not StaticToken.objects.filter(device__user=client.user).exists()
    response = client.post(
        reverse("double_facteur_codes"),
        {"mot_de_passe": MOT_DE_PASSE, "code": code_totp(appareil)},
    )
    codes = re.findall(r"<li>([a-z2-9-]{19})</li>", response.content.decode())
    assert len(codes) == 10
    assert StaticToken.objects.filter(device__user=client.user).count() == 10
    # The same code a second time: refused (single use).
    rejeu = client.post(
        reverse("double_facteur_codes"),
        {"mot_de_passe": MOT_DE_PASSE, "code": code_totp(appareil)},
    )
    assert "Code incorrect ou expiré" in rejeu.content.decode()
    appareil.refresh_from_db()
    appareil.last_t -= 1  # as if the next code had come
    appareil.throttle_reset()
    again = client.post(
        reverse("double_facteur_codes"),
        {"mot_de_passe": MOT_DE_PASSE, "code": code_totp(appareil)},
    )
    nouveaux = re.findall(r"<li>([a-z2-9-]{19})</li>", again.content.decode())
    assert len(nouveaux) == 10 and not set(codes) & set(nouveaux)  # old ones stop working
    assert StaticToken.objects.filter(device__user=client.user).count() == 10


def test_un_code_ne_vaut_que_30_secondes(make_user):
    """ASVS 6.5.5: the enrolled device accepts the code of the current step only."""
    appareil = double_facteur.appareil_en_attente(make_user(roles.ADMIN))
    assert appareil.tolerance == 0 and appareil.step == 30
    assert not appareil.verify_token(code_courant(appareil, -1))
    appareil.throttle_reset()
    debut_de_pas()
    assert appareil.verify_token(code_courant(appareil))


def test_pas_d_activation_d_un_nouvel_appareil_avec_le_seul_mot_de_passe(client, make_user):
    """Someone who only knows the password cannot replace the victim's authenticator."""
    user = make_user(roles.ADMIN, username="alice")
    appareil_de_test(user)
    connexion(client, "alice")
    response = client.get(reverse("double_facteur"))
    assert response["Location"].startswith(reverse("double_facteur_verifier"))
    assert client.post(reverse("double_facteur_codes")).status_code == 302
    assert TOTPDevice.objects.filter(user=user).count() == 1


@pytest.mark.parametrize("role", [roles.SUIVI, roles.DIRECTION, roles.ANIMATEUR])
def test_les_autres_roles_se_connectent_en_une_etape(client, make_user, role):
    make_user(role, username="sam")
    response = connexion(client, "sam")
    assert client.get(response["Location"]).status_code == 200


def test_un_compte_qui_a_choisi_le_second_facteur_le_garde(client, make_user):
    user = make_user(roles.SUIVI, username="sam")
    appareil_de_test(user)
    response = connexion(client, "sam")
    assert client.get(response["Location"])["Location"].startswith(
        reverse("double_facteur_verifier")
    )


def test_demo_sans_second_facteur(client, make_user, settings):
    """`make run` (DEBUG=1 → MFA_OBLIGATOIRE off): the demo accounts log in in one step."""
    settings.MFA_OBLIGATOIRE = False
    make_user(roles.ADMIN, username="admin")
    response = connexion(client, "admin")
    assert client.get(response["Location"]).status_code == 200


def test_htmx_recharge_la_page_entiere(client, make_user):
    make_user(roles.ADMIN, username="alice")
    connexion(client, "alice")
    response = client.get(reverse("accueil"), HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse("double_facteur"))


def test_l_administrateur_reinitialise_le_second_facteur(client_for, make_user):
    victime = make_user(roles.FACILITATEUR, username="fanny")
    appareil_de_test(victime)
    double_facteur.nouveaux_codes_de_secours(victime)
    telephone_perdu = Client()
    telephone_perdu.force_login(victime)
    admin = client_for(roles.ADMIN, is_staff=True)
    response = admin.post(
        reverse("admin:mife_user_changelist"),
        {"action": "reinitialiser_double_facteur", "_selected_action": [victime.pk]},
        follow=True,
    )
    assert "Double authentification réinitialisée pour 1 compte(s)" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=victime).exists()
    assert not StaticToken.objects.filter(device__user=victime).exists()
    # Its sessions are ended: the next login asks for the password, then enrolment.
    assert telephone_perdu.get(reverse("accueil"))["Location"].startswith(reverse("login"))
    e = EntreeJournal.objects.get(action=Action.DOUBLE_FACTEUR_REINITIALISE)
    assert e.utilisateur == admin.user and e.details["compte"] == "fanny"


def test_pas_de_page_d_administration_des_secrets(client_for):
    admin = client_for(roles.ADMIN, is_staff=True)
    assert admin.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert admin.get("/admin/otp_static/staticdevice/").status_code == 404
