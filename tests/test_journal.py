"""Access log of personal data and security events (app ``journal``), its page for the
data-protection officer and its retention."""

import datetime as dt
import io
import json
import logging
from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from heures.models import Participant
from journal import services, sessions, views
from journal.models import Action, Categorie, EntreeJournal
from mife import roles
from tests import factories as f
from tests.comptes import donnees_utilisateur
from tests.outils_http import lire

pytestmark = pytest.mark.django_db


def entrees(**filtres):
    return list(EntreeJournal.objects.filter(**filtres).order_by("pk"))


def derniere(**filtres) -> EntreeJournal:
    return EntreeJournal.objects.filter(**filtres).latest("pk")


# --- reads and exports of personal data ----------------------------------------------------


def test_consulter_une_fiche_participant_est_journalise(client_for):
    p = f.ParticipantFactory(nom="Zébulonnière")
    client = client_for(roles.FACILITATEUR)
    response = client.get(p.get_absolute_url(), REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 200
    e = derniere(action=Action.CONSULTATION)
    assert e.categorie == Categorie.ACCES
    assert (e.utilisateur, e.identifiant) == (client.user, client.user.username)
    assert e.participant_id == p.pk and e.adresse_ip == "203.0.113.7"
    assert e.objet == f"Participant n° {p.pk}"
    assert e.moment >= timezone.now() - dt.timedelta(minutes=1)
    # The log names people by number only: nothing to rewrite when they are deleted.
    assert "Zébulonnière" not in str(e.details) + e.objet


def test_une_fiche_refusee_n_est_pas_une_consultation(client_for):
    p = f.ParticipantFactory()
    client = client_for(roles.DIRECTION)
    assert client.get(p.get_absolute_url()).status_code == 403
    assert not entrees(action=Action.CONSULTATION)
    refus = derniere(action=Action.ACCES_REFUSE)
    assert refus.utilisateur == client.user and refus.objet == f"GET {p.get_absolute_url()}"


def test_ouvrir_la_modification_d_un_participant_est_journalise(client_for):
    """The edit page shows the identity and the criteria (protected ones included): a read."""
    p = f.ParticipantFactory()
    client = client_for(roles.FACILITATEUR)
    url = reverse("heures:participant_modifier", args=[p.pk])
    assert client.get(url, REMOTE_ADDR="203.0.113.9").status_code == 200
    e = derniere(action=Action.CONSULTATION)
    assert (e.participant_id, e.utilisateur, e.adresse_ip) == (p.pk, client.user, "203.0.113.9")
    assert e.details["chemin"] == url
    # Creating a participant reads nobody.
    client.get(reverse("heures:participant_creer"))
    assert len(entrees(action=Action.CONSULTATION)) == 1


@pytest.mark.parametrize("nom_url", ["heures:participant_export_json", "heures:participant_export"])
def test_export_droit_d_acces_journalise(client_for, nom_url):
    p = f.ParticipantFactory()
    client = client_for(roles.FACILITATEUR)
    assert client.get(reverse(nom_url, args=[p.pk]), REMOTE_ADDR="198.51.100.4").status_code == 200
    e = derniere(action=Action.EXPORT_DROIT_ACCES)
    assert e.participant_id == p.pk and e.utilisateur == client.user
    assert e.adresse_ip == "198.51.100.4"
    assert e.details["chemin"] == reverse(nom_url, args=[p.pk])


def test_export_excel_des_participants_journalise_avec_ses_filtres(client_for):
    f.ParticipantFactory(commune="Delle")
    client = client_for(roles.FACILITATEUR)
    url = reverse("heures:participant_liste")
    response = client.get(url, {"commune": "Delle", "sexe": "F", "export": "xlsx"})
    assert response.status_code == 200
    lire(response)
    e = derniere(action=Action.EXPORT_LISTE)
    assert e.categorie == Categorie.ACCES and e.utilisateur == client.user
    assert e.objet == "Liste « Participants »"
    assert e.details["filtres"] == {"commune": "Delle", "sexe": "F"}
    assert e.details["liste"] == "Participants"
    # Browsing the list is not an export.
    client.get(url, {"commune": "Delle"})
    assert len(entrees(action=Action.EXPORT_LISTE)) == 1


def test_liste_des_participants_avec_criteres_proteges_journalisee(client_for):
    """The participants list shows protected criteria to those allowed: each page they view
    is a read of sensitive data, logged with its filters and the people on it (numbers)."""
    a = f.ParticipantFactory(commune="Delle")
    f.ParticipantFactory(commune="Belfort")
    url = reverse("heures:participant_liste")
    facilitateur = client_for(roles.FACILITATEUR)
    assert facilitateur.user.has_perm("heures.voir_donnees_sensibles")
    assert a.nom.upper() in facilitateur.get(url, {"commune": "Delle"}).content.decode()
    e = derniere(action=Action.CONSULTATION_LISTE)
    assert e.categorie == Categorie.ACCES and e.utilisateur == facilitateur.user
    assert e.objet == "Liste « Participants »"
    assert e.details["filtres"] == {"commune": "Delle"} and e.details["participants"] == [a.pk]
    assert e.details["page"] == 1
    # An empty page shows nobody: nothing to log.
    facilitateur.get(url, {"commune": "Nulle-part"})
    assert len(entrees(action=Action.CONSULTATION_LISTE)) == 1
    # The suivi does not see protected criteria: its browsing is not a sensitive read.
    suivi = client_for(roles.SUIVI)
    assert not suivi.user.has_perm("heures.voir_donnees_sensibles")
    assert suivi.get(url).status_code == 200
    assert len(entrees(action=Action.CONSULTATION_LISTE)) == 1


def test_export_de_toute_liste_journalise(client_for):
    """Missions carry participants' names; every list export is traced the same way."""
    f.MissionFactory()
    client = client_for(roles.FACILITATEUR)
    lire(client.get(reverse("heures:mission_liste"), {"export": "xlsx"}))
    assert derniere(action=Action.EXPORT_LISTE).objet == "Liste « Missions »"


def test_telechargement_d_une_attestation_journalise(client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    attestation = f.AttestationFactory(numero="ATT-2026-03-00007")
    attestation.fichier.save("a.pdf", ContentFile(b"%PDF-1.4 test"))
    client = client_for(roles.SUIVI)
    response = client.get(reverse("heures:attestation_pdf", args=[attestation.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    lire(response)
    assert derniere(action=Action.EXPORT_FICHIER).objet == "Attestation ATT-2026-03-00007"


def test_consultation_dans_l_administration_journalisee(client_for):
    p = f.ParticipantFactory()
    client = client_for(roles.ADMIN, is_staff=True)
    url = reverse("admin:heures_participant_change", args=[p.pk])
    assert client.get(url).status_code == 200
    assert derniere(action=Action.CONSULTATION).participant_id == p.pk
    historique = reverse("admin:heures_participant_history", args=[p.pk])
    assert client.get(historique).status_code == 200
    assert len(entrees(action=Action.CONSULTATION, participant_id=p.pk)) == 2


# --- security events -------------------------------------------------------------------------


def test_connexion_reussie_et_echouee_journalisees(client, make_user):
    user = make_user(roles.SUIVI, username="suzanne")
    client.post(
        reverse("login"),
        {"username": "suzanne", "password": "faux"},
        REMOTE_ADDR="192.0.2.10",
    )
    echec = derniere(action=Action.CONNEXION_ECHOUEE)
    assert (echec.utilisateur, echec.identifiant, echec.adresse_ip) == (
        user,
        "suzanne",
        "192.0.2.10",
    )
    assert echec.categorie == Categorie.SECURITE
    client.post(reverse("login"), {"username": "inconnu", "password": "faux"})
    inconnu = derniere(action=Action.CONNEXION_ECHOUEE)
    assert inconnu.utilisateur is None and inconnu.identifiant == "inconnu"
    assert views._utilisateur(inconnu) == ""  # the typed name is in « Identifiant »
    client.post(reverse("login"), {"username": "suzanne", "password": "mot-de-passe-de-test"})
    assert derniere(action=Action.CONNEXION).utilisateur == user
    client.post(reverse("logout"))
    assert derniere(action=Action.DECONNEXION).utilisateur == user


def test_connexion_bloquee_journalisee(client, make_user):
    user = make_user(roles.SUIVI, username="suzanne")
    for _ in range(6):
        client.post(
            reverse("login"), {"username": "suzanne", "password": "faux"}, REMOTE_ADDR="192.0.2.9"
        )
    bloque = derniere(action=Action.COMPTE_BLOQUE)
    assert bloque.utilisateur == user and bloque.identifiant == "suzanne"
    assert bloque.adresse_ip == "192.0.2.9"
    assert bloque.details["adresse_bloquee"] == "192.0.2.9"


def test_acces_refuse_journalise_avec_l_utilisateur(client_for):
    client = client_for(roles.ANIMATEUR)
    url = reverse("heures:participant_liste")
    assert client.get(url, REMOTE_ADDR="192.0.2.44").status_code == 403
    e = derniere(action=Action.ACCES_REFUSE)
    assert (e.utilisateur, e.adresse_ip, e.objet) == (client.user, "192.0.2.44", f"GET {url}")


def test_changement_de_role_journalise_avec_son_auteur(client_for, make_user):
    cible = make_user(roles.SUIVI, username="cible")
    admin = client_for(roles.ADMIN, is_staff=True)
    avant = EntreeJournal.objects.latest("pk").pk
    url = reverse("admin:mife_user_change", args=[cible.pk])
    assert admin.post(url, donnees_utilisateur(cible, roles.DIRECTION)).status_code == 302
    changements = entrees(action=Action.ROLE_MODIFIE, pk__gt=avant)
    assert {e.objet for e in changements} == {
        "cible : retrait de Assistant·e de suivi",
        "cible : ajout de Direction",
    }
    assert {e.utilisateur for e in changements} == {admin.user}
    assert {e.details["origine"] for e in changements} == {"application"}


def test_changement_de_droits_hors_application_journalise(make_user):
    """From the shell: no request, the author is « système »."""
    user = make_user(None, username="bob")
    user.user_permissions.add(Permission.objects.get(codename="view_participant"))
    e = derniere(action=Action.PERMISSIONS_MODIFIEES)
    assert e.utilisateur is None and e.objet == "bob : ajout de heures.view_participant"
    assert e.details["origine"] == "ligne de commande"
    assert views._utilisateur(e) == "système"
    Group.objects.get(name="Direction").user_set.add(user)
    assert derniere(action=Action.ROLE_MODIFIE).objet == "bob : ajout de Direction"
    user.groups.clear()
    assert derniere(action=Action.ROLE_MODIFIE).objet == "bob : retrait de Direction"


def test_superutilisateur_cree_en_ligne_de_commande_journalise():
    call_command(
        "createsuperuser",
        "--noinput",
        "--username=racine",
        "--email=racine@exemple.fr",
        stdout=StringIO(),
    )
    e = derniere(action=Action.STATUT_COMPTE_MODIFIE)
    assert e.objet == "racine (création) : superutilisateur : oui, accès à l'administration : oui"
    assert e.details["origine"] == "ligne de commande"


def test_statut_superutilisateur_modifie_journalise(make_user):
    user = make_user(None, username="bob")
    avant = EntreeJournal.objects.count()
    user.first_name = "Robert"
    user.save()
    assert EntreeJournal.objects.count() == avant  # nothing watched changed
    user.is_superuser = True
    user.save()
    assert derniere(action=Action.STATUT_COMPTE_MODIFIE).objet == "bob : superutilisateur : oui"


# --- the page of the data-protection officer ------------------------------------------------


@pytest.mark.parametrize(
    "role", [roles.FACILITATEUR, roles.SUIVI, roles.ANIMATEUR, roles.DIRECTION, None]
)
def test_journal_reserve_a_l_administrateur(client_for, role):
    client = client_for(role)
    assert client.get(reverse("journal:liste")).status_code == 403
    assert client.get(reverse("journal:liste"), {"export": "xlsx"}).status_code == 403
    assert not EntreeJournal.objects.filter(action=Action.EXPORT_LISTE).exists()


def test_journal_liste_filtres_et_export(client_for, make_user):
    p = f.ParticipantFactory()
    lecteur = client_for(roles.FACILITATEUR)
    lecteur.get(p.get_absolute_url(), REMOTE_ADDR="203.0.113.8")
    autre = f.ParticipantFactory()
    lecteur.get(autre.get_absolute_url())
    admin = client_for(roles.ADMIN, username="dpo")
    url = reverse("journal:liste")
    page = admin.get(url, {"participant_id": p.pk, "categorie": "acces"})
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    texte = page.content.decode()
    assert "Journal des accès et de la sécurité" in texte
    assert "203.0.113.8" in texte and "Consultation d&#x27;une fiche" in texte
    assert page.context["total"] == 1
    # Export for the data-protection officer: the same filtered rows, and itself traced.
    export = admin.get(url, {"participant_id": p.pk, "export": "xlsx"})
    feuille = load_workbook(io.BytesIO(lire(export))).active
    lignes = list(feuille.iter_rows(values_only=True))
    assert lignes[0][:4] == ("Date et heure (Paris)", "Catégorie", "Action", "Utilisateur")
    assert [ligne[6] for ligne in lignes[1:]] == [p.pk]
    assert lignes[1][5] == "203.0.113.8"
    trace = derniere(action=Action.EXPORT_LISTE)
    assert trace.objet == "Liste « Journal des accès et de la sécurité »"
    assert trace.details["filtres"] == {"participant_id": str(p.pk)}


def test_journal_dans_la_navigation_de_l_administrateur_seulement(make_user):
    from mife.navigation import navigation_pour

    def entrees_de(user):
        return {e["libelle"] for s in navigation_pour(user) for e in s["entrees"]}

    assert "Journal des accès" in entrees_de(make_user(roles.ADMIN))
    assert "Journal des accès" not in entrees_de(make_user(roles.FACILITATEUR))


def test_filtre_invalide_ne_montre_rien(client_for):
    services.journaliser(Action.CONNEXION)
    admin = client_for(roles.ADMIN)
    response = admin.get(reverse("journal:liste"), {"du": "pas-une-date"})
    assert response.status_code == 200
    assert "Un filtre est invalide" in response.content.decode()


# --- retention ---------------------------------------------------------------------------------


def _vieillir(entree, jours):
    EntreeJournal.objects.filter(pk=entree.pk).update(
        moment=timezone.now() - dt.timedelta(days=jours)
    )


def test_purge_apres_la_duree_de_conservation(settings):
    settings.JOURNAL_CONSERVATION_MOIS = 12
    ancienne = services.journaliser(Action.CONNEXION)
    _vieillir(ancienne, 370)
    recente = services.journaliser(Action.CONNEXION)
    _vieillir(recente, 300)
    sortie = StringIO()
    call_command("purger_journaux", "--dry-run", stdout=sortie)
    assert "Entrées du journal à supprimer : 1" in sortie.getvalue()
    assert EntreeJournal.objects.count() == 2
    sortie = StringIO()
    call_command("purger_journaux", stdout=sortie)
    assert "Entrées du journal supprimées : 1" in sortie.getvalue()
    assert list(EntreeJournal.objects.all()) == [recente]
    settings.JOURNAL_CONSERVATION_MOIS = 6
    call_command("purger_journaux", stdout=StringIO())
    assert not EntreeJournal.objects.exists()


def test_l_anonymisation_purge_aussi_le_journal():
    ancienne = services.journaliser(Action.CONNEXION)
    _vieillir(ancienne, 400)
    sortie = StringIO()
    call_command("anonymiser_participants", stdout=sortie)
    assert "Entrées du journal supprimées : 1" in sortie.getvalue()
    assert not EntreeJournal.objects.exists()


def test_date_limite_fin_de_mois():
    moment = dt.datetime(2026, 3, 31, 12, tzinfo=dt.UTC)
    assert services.date_limite(moment, 1) == dt.datetime(2026, 2, 28, 12, tzinfo=dt.UTC)
    assert services.date_limite(moment, 12) == dt.datetime(2025, 3, 31, 12, tzinfo=dt.UTC)
    assert services.date_limite(moment, 25) == dt.datetime(2024, 2, 29, 12, tzinfo=dt.UTC)


def test_la_purge_oublie_les_sessions_expirees(client_for):
    client = client_for(roles.SUIVI)
    assert client.user.sessions_ouvertes.count() == 1
    client.session.delete()  # expired and cleared by clearsessions
    call_command("purger_journaux", stdout=StringIO())
    assert client.user.sessions_ouvertes.count() == 0


def test_adresse_illisible_ne_casse_rien(rf):
    requete = rf.get("/")
    requete.META.pop("REMOTE_ADDR")
    assert services.adresse_ip(requete) is None
    assert services.adresse_ip(None) is None
    assert sessions.appareil("") == "Navigateur inconnu"


def test_participant_supprime_reste_un_numero_dans_le_journal(client_for):
    p = f.ParticipantFactory()
    client_for(roles.FACILITATEUR).get(p.get_absolute_url())
    pk = p.pk
    Participant.objects.filter(pk=pk).delete()
    assert derniere(action=Action.CONSULTATION).participant_id == pk


def test_copie_console_une_ligne_json_sans_retour_a_la_ligne_injectable(caplog):
    """ASVS 16.4.1: a typed username cannot forge a second log line on the console."""
    with caplog.at_level(logging.INFO, logger="journal"):
        services.securite(None, Action.CONNEXION_ECHOUEE, identifiant='x\n{"action": "faux"}\r\n')
    (ligne,) = [r.getMessage() for r in caplog.records if r.name == "journal"]
    assert "\n" not in ligne and "\r" not in ligne
    assert json.loads(ligne)["identifiant"] == 'x\n{"action": "faux"}\r\n'
