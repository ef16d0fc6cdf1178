"""Design rules of docs/autorisations.md: roles as the only way to grant rights, four-eyes
validation of declarations, the direction sees aggregates only."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.urls import reverse

from heures.models import StatutDeclaration
from heures.services import declarations
from mife import roles
from mife.core.models import Parametres
from mife.models import User
from tests import factories as f
from tests.comptes import donnees_utilisateur
from tests.outils_http import lire

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client_for):
    return client_for(roles.ADMIN, is_staff=True)


# --- roles only --------------------------------------------------------------------------------


def test_la_fiche_utilisateur_propose_un_role_pas_des_permissions(admin, make_user):
    cible = make_user(roles.SUIVI, username="cible")
    page = admin.get(reverse("admin:mife_user_change", args=[cible.pk]))
    assert page.status_code == 200
    formulaire = page.context["adminform"].form
    assert "role" in formulaire.fields
    assert "user_permissions" not in formulaire.fields and "groups" not in formulaire.fields
    assert "is_superuser" not in formulaire.fields  # shown read-only
    assert formulaire["role"].value() == roles.SUIVI
    libelles = [libelle for _, libelle in formulaire.fields["role"].choices]
    assert libelles == ["Aucun rôle", *(r.libelle for r in roles.ROLES)]


def test_donner_un_role(admin, make_user):
    cible = make_user(roles.SUIVI, username="cible")
    url = reverse("admin:mife_user_change", args=[cible.pk])
    assert admin.post(url, donnees_utilisateur(cible, roles.FACILITATEUR)).status_code == 302
    assert list(cible.groups.values_list("name", flat=True)) == ["Facilitateur·rice"]
    cible = User.objects.get(pk=cible.pk)
    assert cible.has_perm("heures.voir_donnees_sensibles")
    admin.post(url, donnees_utilisateur(cible, None))
    assert not cible.groups.exists()


def test_un_post_fabrique_ne_donne_ni_permission_ni_superutilisateur(admin, make_user):
    cible = make_user(None, username="cible")
    autre_groupe = Group.objects.create(name="groupe fabriqué")
    permissions = list(
        Permission.objects.filter(codename__in=["voir_donnees_sensibles", "change_user"])
    )
    donnees = donnees_utilisateur(
        cible,
        None,
        is_superuser="on",
        user_permissions=[p.pk for p in permissions],
        groups=[autre_groupe.pk, Group.objects.get(name="Administrateur").pk],
    )
    response = admin.post(reverse("admin:mife_user_change", args=[cible.pk]), donnees)
    assert response.status_code == 302
    cible = User.objects.get(pk=cible.pk)
    assert not cible.is_superuser
    assert not cible.user_permissions.exists()
    assert not cible.groups.exists()
    assert not cible.has_perm("heures.voir_donnees_sensibles")


def test_creer_un_compte_avec_son_role_jamais_superutilisateur(admin):
    donnees = {
        "username": "nouvelle",
        "usable_password": "true",
        "password1": "Une phrase de passe assez longue",
        "password2": "Une phrase de passe assez longue",
        "first_name": "Nina",
        "last_name": "Roy",
        "email": "",
        "fonction": "",
        "telephone": "",
        "role": roles.DIRECTION,
        "is_superuser": "on",
        "user_permissions": [Permission.objects.get(codename="voir_donnees_sensibles").pk],
    }
    response = admin.post(reverse("admin:mife_user_add"), donnees)
    assert response.status_code == 302, response.context["adminform"].form.errors
    nouvelle = User.objects.get(username="nouvelle")
    assert list(nouvelle.groups.values_list("name", flat=True)) == ["Direction"]
    assert not nouvelle.is_superuser and not nouvelle.user_permissions.exists()


def test_un_superutilisateur_hors_d_atteinte_de_l_administrateur(admin, make_user):
    racine = make_user(None, username="racine", is_superuser=True, is_staff=True)
    url = reverse("admin:mife_user_change", args=[racine.pk])
    page = admin.get(url)
    assert page.status_code == 200 and not page.context["has_change_permission"]
    admin.post(url, donnees_utilisateur(racine, None, is_active=""))
    racine.refresh_from_db()
    assert racine.is_active
    mot_de_passe = reverse("admin:auth_user_password_change", args=[racine.pk])
    assert admin.get(mot_de_passe).status_code == 403
    assert admin.post(reverse("admin:mife_user_delete", args=[racine.pk])).status_code == 403


def test_un_superutilisateur_peut_tout(client, make_user):
    racine = make_user(None, username="racine", is_superuser=True, is_staff=True)
    autre = make_user(None, username="autre2", is_superuser=True, is_staff=True)
    client.force_login(racine)
    url = reverse("admin:mife_user_change", args=[autre.pk])
    assert client.get(url).context["has_change_permission"]


# --- four eyes -----------------------------------------------------------------------------


@pytest.fixture
def soumise(make_user):
    lot = f.ClauseFactory(
        heures_requises=Decimal("500"),
        lot__date_debut=dt.date(2026, 1, 5),
        lot__date_fin=dt.date(2027, 6, 30),
    ).lot
    mission = f.MissionFactory(
        lot=lot, employeur=lot.titulaire, date_debut=dt.date(2026, 2, 1), date_fin=None
    )
    saisie = make_user(roles.SUIVI, username="saisie")
    d = declarations.creer(lot.titulaire, lot, dt.date(2026, 3, 1), saisie)
    d = declarations.enregistrer_lignes(d, {mission.pk: Decimal("12")}, d.version, saisie)
    return declarations.soumettre(d, d.version, saisie), saisie


def test_qui_a_saisi_ne_valide_pas(soumise):
    d, saisie = soumise
    assert not declarations.peut_valider(d, saisie)
    with pytest.raises(ValidationError, match="Validation à quatre yeux"):
        declarations.valider(d, d.version, saisie)
    d.refresh_from_db()
    assert d.statut == StatutDeclaration.SOUMISE


def test_qui_a_saisi_sans_soumettre_ne_valide_pas_non_plus(soumise, make_user):
    d, saisie = soumise
    aide = make_user(roles.SUIVI, username="aide")
    d = declarations.rejeter(d, "Vérifier le mois", d.version, aide)
    # Someone else submits again: the history still says who typed the hours.
    d = declarations.soumettre(d, d.version, make_user(roles.SUIVI, username="tiers"))
    assert d.soumise_par.username == "tiers"
    assert not declarations.peut_valider(d, saisie)
    assert declarations.peut_valider(d, aide)  # rejecting is not entering


def test_une_autre_personne_valide(soumise, make_user):
    d, _ = soumise
    controle = make_user(roles.SUIVI, username="controle")
    d, _ = declarations.valider(d, d.version, controle)
    assert d.statut == StatutDeclaration.VALIDEE and d.traitee_par == controle


def test_bouton_cache_et_message_en_francais(client, soumise, make_user):
    d, saisie = soumise
    client.force_login(saisie)
    url = reverse("heures:declaration_saisie", args=[d.pk])
    texte = client.get(url).content.decode()
    assert "Valider et émettre l'attestation" not in texte
    assert "Validation à quatre yeux : vous avez saisi ou soumis cette déclaration" in texte
    assert "Rejeter" in texte
    response = client.post(
        reverse("heures:declaration_action", args=[d.pk, "valider"]),
        {"version_lue": d.version},
        follow=True,
    )
    assert "Validation à quatre yeux" in response.content.decode()
    d.refresh_from_db()
    assert d.statut == StatutDeclaration.SOUMISE
    client.force_login(make_user(roles.SUIVI, username="controle"))
    assert "Valider et émettre l'attestation" in client.get(url).content.decode()


def test_reglage_desactivable(soumise):
    d, saisie = soumise
    parametres = Parametres.get()
    assert parametres.validation_quatre_yeux is True  # on by default
    parametres.validation_quatre_yeux = False
    parametres.save()
    d, _ = declarations.valider(d, d.version, saisie)
    assert d.statut == StatutDeclaration.VALIDEE


# --- the direction sees aggregates only ---------------------------------------------------------


@pytest.fixture
def attestation(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    a = f.AttestationFactory()
    a.fichier.save("a.pdf", ContentFile(b"%PDF-1.4 A.Z."))
    g = f.GenerationAttestationsFactory(mois=a.mois)
    g.fichier_zip.save("a.zip", ContentFile(b"PK"))
    g.fichier_pdf.save("a.pdf", ContentFile(b"%PDF-1.4 tout"))
    return a, g


@pytest.mark.parametrize(
    ("role", "statut"),
    [
        (roles.DIRECTION, 403),
        (roles.ANIMATEUR, 403),
        (None, 403),
        (roles.SUIVI, 200),
        (roles.FACILITATEUR, 200),
        (roles.ADMIN, 200),
    ],
)
def test_pdf_d_attestation_reserves_a_qui_voit_les_participants(
    client_for, attestation, role, statut
):
    a, g = attestation
    client = client_for(role)
    for url in (
        reverse("heures:attestation_pdf", args=[a.pk]),
        reverse("heures:generation_zip", args=[g.pk]),
        reverse("heures:generation_pdf", args=[g.pk]),
    ):
        response = client.get(url)
        assert response.status_code == statut, url
        lire(response)


def test_la_direction_voit_la_liste_des_attestations_sans_document(client_for, attestation):
    a, _ = attestation
    response = client_for(roles.DIRECTION).get(reverse("heures:attestation_liste"))
    assert response.status_code == 200
    texte = response.content.decode()
    assert a.numero in texte
    assert reverse("heures:attestation_pdf", args=[a.pk]) not in texte


def test_fiche_entreprise_sans_initiales_pour_la_direction(client_for):
    mission = f.MissionFactory(
        participant=f.ParticipantFactory(nom="Zébulonnière", prenom="Xavière")
    )
    texte = client_for(roles.DIRECTION).get(mission.employeur.get_absolute_url()).content.decode()
    assert mission.reference in texte
    assert "Zébulonnière" not in texte and "X.Z." not in texte
    facilitateur = client_for(roles.FACILITATEUR, username="fanny")
    assert (
        "ZÉBULONNIÈRE Xavière"
        in facilitateur.get(mission.employeur.get_absolute_url()).content.decode()
    )
