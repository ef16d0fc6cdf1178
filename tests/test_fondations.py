"""Accounts, roles, homes, navigation, security defaults and error pages."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from mife import roles
from mife.navigation import navigation_pour

RACINE = Path(__file__).resolve().parent.parent
ACCUEILS = {
    roles.FACILITATEUR: "Facilitateur·rice — vos lots en cours",
    roles.SUIVI: "Assistant·e de suivi — les déclarations",
    roles.ANIMATEUR: "Animateur·rice du label Empl'itudes",
    roles.DIRECTION: "Direction — l'activité de l'année",
    roles.ADMIN: "Administrateur — utilisateurs, rôles",
}


def _entrees(user):
    return {e["libelle"] for s in navigation_pour(user) for e in s["entrees"]}


@pytest.mark.django_db
class TestConnexion:
    def test_page_de_connexion_en_francais(self, client):
        response = client.get(reverse("login"))
        assert response.status_code == 200
        assert "Connexion" in response.content.decode()
        assert 'lang="fr"' in response.content.decode()

    def test_anonyme_redirige_vers_la_connexion(self, client):
        response = client.get(reverse("marches:lot_liste"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_connexion_reussie_fait_tourner_la_session(self, client, make_user):
        make_user(roles.SUIVI, username="suzanne")
        client.get(reverse("login"))
        avant = client.session.session_key
        response = client.post(
            reverse("login"), {"username": "suzanne", "password": "mot-de-passe-de-test"}
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("accueil")
        assert client.session.session_key != avant
        assert "_auth_user_id" in client.session

    def test_mauvais_mot_de_passe_message_francais_sans_indice(self, client, make_user):
        make_user(roles.SUIVI, username="suzanne")
        response = client.post(reverse("login"), {"username": "suzanne", "password": "faux"})
        texte = response.content.decode()
        assert response.status_code == 200
        assert "Saisissez un nom d’utilisateur et un mot de passe valides" in texte
        assert "_auth_user_id" not in client.session
        # Same message for an unknown user: nothing tells which part was wrong.
        autre = client.post(reverse("login"), {"username": "inconnu", "password": "faux"})
        assert "Saisissez un nom d’utilisateur et un mot de passe valides" in autre.content.decode()

    def test_sixieme_echec_bloque_meme_avec_le_bon_mot_de_passe(self, client, make_user):
        make_user(roles.SUIVI, username="suzanne")
        for _ in range(5):
            client.post(reverse("login"), {"username": "suzanne", "password": "faux"})
        response = client.post(
            reverse("login"), {"username": "suzanne", "password": "mot-de-passe-de-test"}
        )
        assert response.status_code == 429
        assert "Connexion temporairement bloquée" in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_deconnexion_par_post_seulement(self, client_for):
        client = client_for(roles.SUIVI)
        assert client.get(reverse("logout")).status_code == 405
        assert "_auth_user_id" in client.session
        response = client.post(reverse("logout"))
        assert response.status_code == 302
        assert "_auth_user_id" not in client.session

    def test_formulaire_sans_jeton_csrf_refuse(self, make_user):
        make_user(roles.SUIVI, username="suzanne")
        client = Client(enforce_csrf_checks=True)
        response = client.post(
            reverse("login"), {"username": "suzanne", "password": "mot-de-passe-de-test"}
        )
        assert response.status_code == 403
        assert "Formulaire expiré ou invalide" in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_mot_de_passe_de_moins_de_12_caracteres_refuse(self):
        with pytest.raises(ValidationError) as erreur:
            validate_password("Court-1234")
        assert "au minimum 12 caractères" in " ".join(erreur.value.messages)
        validate_password("Une phrase de passe assez longue")


@pytest.mark.django_db
class TestRoles:
    def test_chaque_permission_des_roles_existe(self):
        assert roles.permissions_inconnues() == []

    @pytest.mark.parametrize("code", list(ACCUEILS))
    def test_chaque_role_a_son_accueil(self, client_for, code):
        client = client_for(code)
        response = client.get(reverse("accueil"))
        assert response.status_code == 200
        assert ACCUEILS[code] in response.content.decode()
        assert client.user.role.code == code

    def test_navigation_limitee_au_role(self, make_user):
        direction = _entrees(make_user(roles.DIRECTION, username="dir"))
        assert "Indicateurs" in direction
        assert "Marchés" in direction
        assert "Participants" not in direction
        assert "Administration" not in direction
        facilitateur = _entrees(make_user(roles.FACILITATEUR, username="fac"))
        assert {"Marchés", "Lots et clauses", "Entreprises"} <= facilitateur
        assert "Indicateurs" in facilitateur  # the indicators page serves facilitators too
        assert "Administration" not in facilitateur
        animateur = _entrees(make_user(roles.ANIMATEUR, username="ani"))
        assert "Participants" not in animateur
        assert "Administration" in _entrees(make_user(roles.ADMIN, username="adm"))

    def test_navigation_affichee_dans_la_page(self, client_for):
        client = client_for(roles.DIRECTION)
        texte = client.get(reverse("accueil")).content.decode()
        assert reverse("indicateurs") in texte
        assert reverse("admin:index") not in texte

    def test_compte_sans_role(self, client_for):
        client = client_for(None)
        response = client.get(reverse("accueil"))
        assert "pas encore de rôle" in response.content.decode()
        assert client.get(reverse("marches:lot_liste")).status_code == 403

    def test_page_d_un_autre_role_donne_403_en_francais(self, client_for):
        client = client_for(roles.SUIVI)
        response = client.get(reverse("indicateurs"))
        assert response.status_code == 403
        assert "Accès refusé" in response.content.decode()

    def test_direction_ne_modifie_rien(self, make_user):
        user = make_user(roles.DIRECTION)
        assert user.has_perm("marches.view_lot")
        assert not user.has_perm("marches.change_lot")
        assert not user.has_perm("heures.view_participant")
        assert user.has_perm("mife.voir_bilan")

    def test_seul_le_suivi_valide(self, make_user):
        assert make_user(roles.SUIVI).has_perm("heures.valider_declaration")
        assert not make_user(roles.FACILITATEUR).has_perm("heures.valider_declaration")

    def test_donnees_sensibles_reservees(self, make_user):
        assert make_user(roles.FACILITATEUR).has_perm("heures.voir_donnees_sensibles")
        for code in (roles.SUIVI, roles.ANIMATEUR, roles.DIRECTION):
            assert not make_user(code).has_perm("heures.voir_donnees_sensibles")


@pytest.mark.django_db
class TestPagesErreur:
    def test_404_en_francais(self, client_for):
        client = client_for(roles.FACILITATEUR)
        response = client.get(reverse("marches:lot_detail", args=[999999]))
        assert response.status_code == 404
        assert "Page introuvable" in response.content.decode()

    def test_500_statique(self, rf):
        from mife.erreurs import erreur_serveur

        response = erreur_serveur(rf.get("/"))
        assert response.status_code == 500
        assert "Une erreur est survenue" in response.content.decode()


@pytest.mark.django_db
def test_recherche_globale_respecte_les_droits(client_for):
    from entreprises.models import Entreprise

    Entreprise.objects.create(identifiant="73282932000074", raison_sociale="Bâtiments Comtois")
    client = client_for(roles.DIRECTION)
    texte = client.get(reverse("recherche"), {"q": "comtois"}).content.decode()
    assert "Bâtiments Comtois" in texte
    court = client.get(reverse("recherche"), {"q": "c"}).content.decode()
    assert "au moins 2 caractères" in court


def _env_propre() -> dict:
    """The environment without the test-only overrides set by mife.settings_test."""
    retirer = {
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "TESTING",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }
    return {k: v for k, v in os.environ.items() if k not in retirer}


def test_check_deploy_sans_avertissement():
    env = {
        **_env_propre(),
        "DEBUG": "0",
        "SECRET_KEY": "une-vraie-cle-secrete-de-production-" + "k7Zq9" * 10,
        "ALLOWED_HOSTS": "clauses.mife90.fr",
        "SITE_URL": "https://clauses.mife90.fr",
        "DJANGO_SETTINGS_MODULE": "mife.settings",
    }
    resultat = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=RACINE,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resultat.returncode == 0, resultat.stdout + resultat.stderr
    assert "no issues" in resultat.stdout


def test_production_exige_une_cle_secrete():
    env = {
        **_env_propre(),
        "DEBUG": "0",
        "SECRET_KEY": "",
        "DJANGO_SETTINGS_MODULE": "mife.settings",
    }
    resultat = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=RACINE,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resultat.returncode != 0
    assert "SECRET_KEY doit être défini" in resultat.stderr
