"""« Mes sessions »: the open sessions of an account, and ending them."""

import time

import pytest
from django.test import Client
from django.urls import reverse

from journal import sessions
from journal.models import Action, EntreeJournal, SessionUtilisateur
from mife import roles

pytestmark = pytest.mark.django_db
MOT_DE_PASSE = "mot-de-passe-de-test"

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)


def connecter(username: str, agent: str, adresse: str) -> Client:
    client = Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=adresse)
    response = client.post(reverse("login"), {"username": username, "password": MOT_DE_PASSE})
    assert response.status_code == 302
    return client


@pytest.fixture
def sam(make_user):
    return make_user(roles.SUIVI, username="sam")


def test_mes_sessions_liste_appareil_adresse_activite(sam):
    bureau = connecter("sam", FIREFOX, "192.0.2.1")
    telephone = connecter("sam", ANDROID, "198.51.100.2")
    page = bureau.get(reverse("compte_sessions"))
    assert page.status_code == 200
    texte = page.content.decode()
    assert "Firefox sur Windows" in texte and "Chrome sur Android" in texte
    assert "192.0.2.1" in texte and "198.51.100.2" in texte
    assert texte.count("cette session") == 1
    assert texte.index("Firefox sur Windows") < texte.index("cette session")
    assert "Fermer toutes les autres sessions" in texte
    assert telephone.get(reverse("accueil")).status_code == 200
    # Session keys never reach the page.
    for ligne in SessionUtilisateur.objects.all():
        assert ligne.cle not in texte


def test_fermer_une_autre_session(sam):
    bureau = connecter("sam", FIREFOX, "192.0.2.1")
    telephone = connecter("sam", ANDROID, "198.51.100.2")
    cle_telephone = telephone.session.session_key
    ligne = SessionUtilisateur.objects.get(cle=cle_telephone)
    # The password is asked again first.
    refus = bureau.post(
        reverse("compte_sessions_fermer"), {"session": ligne.pk, "mot_de_passe": "faux"}
    )
    assert "Mot de passe incorrect." in refus.content.decode()
    assert telephone.get(reverse("accueil")).status_code == 200
    response = bureau.post(
        reverse("compte_sessions_fermer"),
        {"session": ligne.pk, "mot_de_passe": MOT_DE_PASSE},
        follow=True,
    )
    assert "1 session fermée" in response.content.decode()
    # The phone is logged out on its next request; the office stays in.
    assert telephone.get(reverse("accueil"))["Location"].startswith(reverse("login"))
    assert bureau.get(reverse("accueil")).status_code == 200
    assert not SessionUtilisateur.objects.filter(cle=cle_telephone).exists()
    e = EntreeJournal.objects.filter(action=Action.SESSIONS_FERMEES).latest("pk")
    assert e.utilisateur == sam and e.objet == "1 session fermée"


def test_fermer_toutes_les_autres(sam):
    bureau = connecter("sam", FIREFOX, "192.0.2.1")
    autres = [connecter("sam", ANDROID, f"198.51.100.{i}") for i in range(3)]
    response = bureau.post(
        reverse("compte_sessions_fermer"),
        {"toutes": "1", "mot_de_passe": MOT_DE_PASSE},
        follow=True,
    )
    assert "3 sessions fermées" in response.content.decode()
    for autre in autres:
        assert autre.get(reverse("accueil")).status_code == 302
    assert bureau.get(reverse("accueil")).status_code == 200
    assert SessionUtilisateur.objects.filter(utilisateur=sam).count() == 1


def test_on_ne_ferme_pas_la_session_d_un_autre(sam, make_user):
    make_user(roles.SUIVI, username="victor")
    victor = connecter("victor", FIREFOX, "192.0.2.3")
    ligne = SessionUtilisateur.objects.get(cle=victor.session.session_key)
    pirate = connecter("sam", FIREFOX, "192.0.2.4")
    response = pirate.post(
        reverse("compte_sessions_fermer"),
        {"session": ligne.pk, "mot_de_passe": MOT_DE_PASSE},
        follow=True,
    )
    assert "Aucune autre session à fermer" in response.content.decode()
    assert victor.get(reverse("accueil")).status_code == 200


def test_fermer_exige_un_post(sam):
    bureau = connecter("sam", FIREFOX, "192.0.2.1")
    assert bureau.get(reverse("compte_sessions_fermer")).status_code == 405


def test_la_deconnexion_oublie_la_session(sam):
    bureau = connecter("sam", FIREFOX, "192.0.2.1")
    assert SessionUtilisateur.objects.filter(utilisateur=sam).count() == 1
    bureau.post(reverse("logout"))
    assert not SessionUtilisateur.objects.filter(utilisateur=sam).exists()


def test_derniere_activite_rafraichie_au_plus_une_fois_par_minute(sam, monkeypatch):
    bureau = connecter("sam", FIREFOX, "192.0.2.1")
    ligne = SessionUtilisateur.objects.get(utilisateur=sam)
    bureau.get(reverse("accueil"), REMOTE_ADDR="192.0.2.99")
    ligne.refresh_from_db()
    assert ligne.adresse_ip == "192.0.2.1"  # less than a minute: nothing written
    maintenant = time.time()
    monkeypatch.setattr(time, "time", lambda: maintenant + 120)
    bureau.get(reverse("accueil"), REMOTE_ADDR="192.0.2.99")
    ligne.refresh_from_db()
    assert ligne.adresse_ip == "192.0.2.99"
    assert ligne.derniere_activite > ligne.ouverte_le


def test_les_sessions_expirees_disparaissent(sam):
    bureau = connecter("sam", FIREFOX, "192.0.2.1")
    ancien = connecter("sam", ANDROID, "198.51.100.2")
    ancien.session.delete()  # expired, cleared by `clearsessions`
    texte = bureau.get(reverse("compte_sessions")).content.decode()
    assert "Chrome sur Android" not in texte
    assert SessionUtilisateur.objects.filter(utilisateur=sam).count() == 1


def test_changer_de_mot_de_passe_ferme_les_autres_sessions(sam):
    bureau = connecter("sam", FIREFOX, "192.0.2.1")
    telephone = connecter("sam", ANDROID, "198.51.100.2")
    nouveau = "Une autre phrase de passe assez longue"
    response = bureau.post(
        reverse("password_change"),
        {"old_password": MOT_DE_PASSE, "new_password1": nouveau, "new_password2": nouveau},
        follow=True,
    )
    assert "Vos autres sessions ont été fermées" in response.content.decode()
    assert telephone.get(reverse("accueil")).status_code == 302
    texte = bureau.get(reverse("compte_sessions")).content.decode()
    assert "Chrome sur Android" not in texte and "Firefox sur Windows" in texte


def test_l_administrateur_ferme_les_sessions_d_un_compte(sam, client_for):
    telephone = connecter("sam", ANDROID, "198.51.100.2")
    admin = client_for(roles.ADMIN, is_staff=True)
    response = admin.post(
        reverse("admin:mife_user_changelist"),
        {"action": "fermer_les_sessions", "_selected_action": [sam.pk]},
        follow=True,
    )
    assert "1 session(s) fermée(s)." in response.content.decode()
    assert telephone.get(reverse("accueil")).status_code == 302
    e = EntreeJournal.objects.filter(action=Action.SESSIONS_FERMEES).latest("pk")
    assert e.utilisateur == admin.user
    assert e.objet == "sam : 1 session(s) fermée(s) par l'administrateur"


def test_menu_utilisateur(client_for):
    texte = client_for(roles.DIRECTION).get(reverse("accueil")).content.decode()
    assert 'href="/compte/sessions/">Mes sessions</a>' in texte
    assert 'href="/compte/double-facteur/">Double authentification</a>' in texte


@pytest.mark.parametrize(
    ("agent", "attendu"),
    [
        (FIREFOX, "Firefox sur Windows"),
        (ANDROID, "Chrome sur Android"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like "
            "Gecko) Version/17.5 Safari/605.1.15",
            "Safari sur macOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
            "Edge sur Windows",
        ),
        ("python-requests/2.32", "Programme"),
        ("", "Navigateur inconnu"),
    ],
)
def test_appareil_lisible(agent, attendu):
    assert sessions.appareil(agent) == attendu
