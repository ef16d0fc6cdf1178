"""Logins: throttling per account and address and per address (django-axes with
mife/core/tentatives.py), client address behind the reverse proxy, the admin's « Débloquer »
action; refused passwords; the public address checked by ``check --deploy``."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.checks import run_checks
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse

from mife import roles
from mife.core.models import Parametres
from mife.core.mots_de_passe import MotsDePasseRefusesValidator
from mife.core.verifications import verifier_url_publique

pytestmark = pytest.mark.django_db

BON = "mot-de-passe-de-test"
PROXY = "10.0.0.1"  # the reverse proxy: REMOTE_ADDR of every request


def _essai(client, username, password="faux", ip="203.0.113.7"):
    """A login attempt from client address ``ip``, through one reverse proxy."""
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=f"{ip}",
    )


@pytest.fixture(autouse=True)
def un_proxy(settings):
    settings.PROXY_COUNT = 1


# --- throttling ----------------------------------------------------------------------------------


def test_un_compte_bloque_depuis_une_adresse_reste_ouvert_depuis_les_autres(client, make_user):
    make_user(roles.ADMIN, username="admin")
    statuts = [_essai(client, "admin", ip="198.51.100.66").status_code for _ in range(5)]
    assert statuts == [200, 200, 200, 200, 429]  # locked at the 5th failure
    # The attacker's address is locked out of this account, even with the right password…
    assert _essai(client, "admin", BON, ip="198.51.100.66").status_code == 429
    # …but behind the same proxy, the administrator at another address still logs in: the
    # client address is read from X-Forwarded-For, not the proxy's.
    reponse = _essai(client, "admin", BON, ip="192.0.2.10")
    assert reponse.status_code == 302
    assert AccessAttempt.objects.get().ip_address == "198.51.100.66"


def test_pulverisation_48_echecs_sur_12_comptes_depuis_une_adresse_bloquee(client, make_user):
    noms = [f"agent{i}" for i in range(12)]
    for nom in noms:
        make_user(roles.SUIVI, username=nom)
    statuts = [_essai(client, nom).status_code for _ in range(4) for nom in noms]
    # 4 failures per account never reach the per-account limit (5); the address is locked
    # at its 20th failure, whatever the accounts.
    assert statuts[:19] == [200] * 19
    assert set(statuts[19:]) == {429}
    # Locked even for a right password of an account it never tried, from that address only.
    make_user(roles.SUIVI, username="nouvelle")
    assert _essai(client, "nouvelle", BON).status_code == 429
    assert _essai(client, "nouvelle", BON, ip="192.0.2.10").status_code == 302


def test_quelques_fautes_de_frappe_au_bureau_ne_bloquent_pas_l_adresse(client, make_user):
    for i in range(6):
        make_user(roles.SUIVI, username=f"collegue{i}")
    for i in range(6):
        for _ in range(3):
            _essai(client, f"collegue{i}", ip="192.0.2.50")
    # 18 failures from the office: under the per-address limit (20).
    assert _essai(client, "collegue0", BON, ip="192.0.2.50").status_code == 302


def test_une_connexion_reussie_n_efface_que_les_echecs_du_compte(client, make_user):
    make_user(roles.SUIVI, username="suzanne")
    for i in range(19):
        _essai(client, f"inconnu{i}")
    assert _essai(client, "suzanne", BON).status_code == 302
    client.post(reverse("logout"))
    # The address's 19 failures on other accounts remain: one more locks it.
    _essai(client, "inconnu-encore")
    assert _essai(client, "suzanne", BON).status_code == 429


@override_settings(AXES_IP_FAILURE_LIMIT=8, AXES_FAILURE_LIMIT=3)
def test_limites_reglables(client, make_user):
    make_user(roles.SUIVI, username="suzanne")
    for _ in range(3):
        _essai(client, "suzanne")
    assert _essai(client, "suzanne", BON).status_code == 429
    for i in range(5):
        assert _essai(client, f"autre{i}", ip="192.0.2.99").status_code == 200
    assert [_essai(client, f"x{i}", ip="192.0.2.99").status_code for i in range(4)] == [
        200,
        200,
        429,
        429,
    ]


# --- the admin's « Débloquer » action ------------------------------------------------------------


def _debloquer(client, lignes):
    return client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "debloquer", "_selected_action": [str(a.pk) for a in lignes]},
        follow=True,
    )


def test_l_administrateur_debloque_un_compte(client, client_for, make_user):
    make_user(roles.SUIVI, username="suzanne")
    for _ in range(5):
        _essai(client, "suzanne")
    assert _essai(client, "suzanne", BON).status_code == 429
    admin = client_for(roles.ADMIN, is_staff=True, username="administrateur")
    liste = admin.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert "Débloquer : effacer les échecs de connexion sélectionnés" in liste
    reponse = _debloquer(admin, AccessAttempt.objects.filter(username="suzanne"))
    assert "1 ligne(s) d&#x27;échecs effacée(s) : suzanne" in reponse.content.decode()
    assert not AccessAttempt.objects.exists()
    admin.post(reverse("logout"))
    assert _essai(client, "suzanne", BON).status_code == 302


def test_debloquer_un_compte_signale_l_adresse_encore_bloquee(client, client_for, make_user):
    make_user(roles.SUIVI, username="suzanne")
    for i in range(22):
        _essai(client, f"cible{i}")
    admin = client_for(roles.ADMIN, is_staff=True, username="administrateur")
    reponse = _debloquer(admin, AccessAttempt.objects.filter(username="cible0"))
    texte = reponse.content.decode().replace("&#x27;", "'")
    assert "encore bloquée(s) par les échecs sur d'autres comptes : 203.0.113.7" in texte
    _debloquer(admin, AccessAttempt.objects.filter(ip_address="203.0.113.7"))
    admin.post(reverse("logout"))
    assert _essai(client, "suzanne", BON).status_code == 302


@pytest.mark.parametrize("role", [roles.SUIVI, roles.FACILITATEUR, roles.DIRECTION])
def test_seul_l_administrateur_peut_debloquer(client, client_for, role):
    for _ in range(5):
        _essai(client, "suzanne")
    autre = client_for(role, is_staff=True)
    reponse = _debloquer(autre, AccessAttempt.objects.all())
    assert reponse.status_code == 403
    assert AccessAttempt.objects.count() == 1


# --- refused passwords ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mot_de_passe",
    [
        "motdepasse123",
        "MotDePasse123",
        "mot-de-passe-123",
        "mife90belfort",
        "MIFE90Belfort!",
        "belfort90belfort90",
        "clauses2026!!",
        "Clauses&Label2026",
        "MesClausesSociales",
        "Azerty2024!!!",
        "azertyuiop123",
        "Soleil-1234567",
        "Jetaime123456",
        "emplitudes-2026",
    ],
)
def test_mots_de_passe_refuses(mot_de_passe):
    with pytest.raises(ValidationError) as erreur:
        validate_password(mot_de_passe)
    texte = " ".join(erreur.value.messages)
    assert "liste des mots de passe trop courants" in texte or "le nom du projet" in texte


def test_nom_de_la_structure_refuse():
    parametres = Parametres.get()
    parametres.nom_structure = "Maison de l'Emploi Nord Franche-Comté"
    parametres.save()
    with pytest.raises(ValidationError) as erreur:
        validate_password("ComtoisFrancheComte2026")
    assert "« franche »" in erreur.value.messages[0] or "« comte »" in erreur.value.messages[0]
    validate_password("Une maison au bord de la mer")  # « maison »: too common to refuse


@pytest.mark.parametrize(
    "mot_de_passe",
    ["Une phrase de passe assez longue", "cheval-agrafe-correct-batterie", "Tr0mb0ne-Lun@ire"],
)
def test_mots_de_passe_acceptes(mot_de_passe):
    validate_password(mot_de_passe)


def test_aide_en_francais_et_validateur_en_place():
    from django.contrib.auth.password_validation import password_validators_help_texts

    aides = " ".join(password_validators_help_texts())
    assert "ne peut pas être un mot de passe courant (azerty, motdepasse…)" in aides
    assert MotsDePasseRefusesValidator().get_help_text() in aides


def test_changement_de_mot_de_passe_refuse_un_mot_de_passe_de_la_liste(client_for):
    client = client_for(roles.SUIVI)
    reponse = client.post(
        reverse("password_change"),
        {"old_password": BON, "new_password1": "mife90belfort", "new_password2": "mife90belfort"},
    )
    assert reponse.status_code == 200
    assert "le nom du projet ou de la structure" in reponse.content.decode().replace("&#x27;", "'")


# --- SITE_URL: check --deploy --------------------------------------------------------------------


def _erreurs():
    return [e.id for e in verifier_url_publique()]


@override_settings(DEBUG=False)
@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000", "http://clauses.mife90.fr", "https://localhost", "", "clauses.fr"],
)
def test_adresse_publique_non_https_refusee(settings, url):
    settings.SITE_URL = url
    assert _erreurs() == ["mife.E101"]
    assert "mife.E101" in [e.id for e in run_checks(include_deployment_checks=True)]


@override_settings(DEBUG=False, SITE_URL="https://clauses.mife90.fr")
def test_adresse_publique_https_acceptee():
    assert _erreurs() == []
    assert "mife.E101" not in [e.id for e in run_checks(include_deployment_checks=True)]


@override_settings(DEBUG=False, SITE_URL="https://clauses.mife90.fr")
def test_adresse_des_parametres_prioritaire():
    parametres = Parametres.get()
    parametres.url_publique = "http://clauses.mife90.fr"
    parametres.save()
    (erreur,) = verifier_url_publique()
    assert "Paramètres" in erreur.msg and "http://clauses.mife90.fr" in erreur.msg


@override_settings(DEBUG=True, SITE_URL="http://127.0.0.1:8000")
def test_pas_de_verification_en_developpement():
    assert _erreurs() == []
