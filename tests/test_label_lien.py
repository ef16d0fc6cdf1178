"""The company's personal link: one dossier, expiring, revocable, token stored as a hash,
changes recorded with the contact as author, nothing else reachable."""

import datetime as dt
import hashlib
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from label.models import ActionLabel, Axe, LienEntreprise, PieceJointe, StatutDossier
from tests import factories as f
from tests.outils_label import EXE, PDF, fichier

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_temporaire(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = "https://clauses.mife90.fr"


@pytest.fixture
def dossier():
    entreprise = f.EntrepriseFactory(raison_sociale="Menuiserie Vauban")
    return f.DossierLabelFactory(entreprise=entreprise, statut=StatutDossier.EN_PREPARATION)


@pytest.fixture
def contact(dossier):
    return f.ContactFactory(
        entreprise=dossier.entreprise,
        civilite="Mme",
        prenom="Claire",
        nom="Perrin",
        email="c.perrin@vauban.fr",
    )


def creer_lien(client, dossier, contact, jours=30):
    return client.post(
        reverse("label:lien_creer", args=[dossier.pk]),
        {"contact": contact.pk, "duree_jours": jours},
    )


@pytest.fixture
def jeton(client_for, dossier, contact):
    response = creer_lien(client_for("animateur"), dossier, contact)
    url = re.search(r'value="(https://clauses\.mife90\.fr/label/espace/[^"]+/)"', texte(response))
    return url.group(1).rstrip("/").rsplit("/", 1)[1]


def texte(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


def entreprise_client() -> Client:
    return Client()  # not logged in: the company has no account


def test_creation_et_envoi(client_for, dossier, contact):
    client = client_for("animateur")
    response = creer_lien(client, dossier, contact, jours=15)
    assert response.status_code == 200
    lien = LienEntreprise.objects.get()
    page = texte(response)
    url = re.search(r'value="(https://[^"]+)"', page).group(1)
    jeton = url.rstrip("/").rsplit("/", 1)[1]
    assert len(jeton) >= 40
    # Only the SHA-256 is stored; the token appears in no column.
    assert lien.empreinte == hashlib.sha256(jeton.encode()).hexdigest()
    assert jeton not in str(LienEntreprise.objects.values().get())
    assert lien.contact == contact and lien.cree_par == client.user
    assert lien.expire_le - lien.cree_le == dt.timedelta(days=15)
    # E-mailed to the contact
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["c.perrin@vauban.fr"]
    assert "Label Empl'itudes" in message.subject and url in message.body
    assert "Menuiserie Vauban" in message.body
    assert "il donne accès à ce seul dossier" in message.body
    # Traced, and listed on the dossier's page (never the token again)
    assert dossier.journal.get().description.startswith("Lien personnel envoyé à Mme Claire Perrin")
    fiche = texte(client.get(dossier.get_absolute_url()))
    assert "Claire Perrin" in fiche and "Actif" in fiche and jeton not in fiche


@pytest.mark.parametrize(
    "cas, message",
    [
        ("autre_entreprise", "Contact de l'entreprise : Sélectionnez un choix valide"),
        ("sans_email", "n'a pas d'adresse e-mail"),
        ("duree", "Valable (jours)"),
    ],
)
def test_creation_refusee(client_for, dossier, cas, message):
    client = client_for("animateur")
    jours = 30
    if cas == "autre_entreprise":
        contact = f.ContactFactory()
    elif cas == "sans_email":
        contact = f.ContactFactory(entreprise=dossier.entreprise, email="")
    else:
        contact = f.ContactFactory(entreprise=dossier.entreprise)
        jours = 400
    response = client.post(
        reverse("label:lien_creer", args=[dossier.pk]),
        {"contact": contact.pk, "duree_jours": jours},
        follow=True,
    )
    assert message in texte(response)
    assert not LienEntreprise.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize("role", ["facilitateur", "direction", "suivi", None])
def test_creation_interdite(client_for, dossier, contact, role):
    assert creer_lien(client_for(role), dossier, contact).status_code == 403
    assert not LienEntreprise.objects.exists()


# --- the company's side ------------------------------------------------------------------------


def test_l_entreprise_remplit_son_dossier(client_for, dossier, jeton, make_user):
    entreprise = entreprise_client()
    espace = reverse("label:espace", args=[jeton])
    page = texte(entreprise.get(espace))
    assert "Dossier de labellisation Empl'itudes" in page and "Menuiserie Vauban" in page
    assert "Espace personnel de Mme Claire Perrin" in page
    assert 'name="robots" content="noindex' in page

    # An action
    response = entreprise.post(
        reverse("label:espace_action_creer", args=[jeton]),
        {
            "axe": Axe.SCOLAIRES,
            "theme": "",
            "intitule": "Stages de 3e",
            "description": "Deux collégiens par an.",
            "date_debut": "2026-01-12",
            "date_fin": "2026-01-16",
            "personnes": "2",
            "heures": "70",
            "indicateur": "",
            "version_lue": "",
        },
    )
    assert response.status_code == 302 and response.url == espace + "#actions"
    action = ActionLabel.objects.get()
    assert action.dossier == dossier and action.personnes == 2

    # Its evidence, then a bad file
    entreprise.post(
        reverse("label:espace_piece_ajouter", args=[jeton]),
        {
            "libelle": "Convention de stage",
            "fichier": fichier("conv.pdf", PDF),
            "action": action.pk,
        },
    )
    refus = entreprise.post(
        reverse("label:espace_piece_ajouter", args=[jeton]),
        {"libelle": "Programme", "fichier": fichier("programme.pdf", EXE)},
        follow=True,
    )
    assert "n'est pas un PDF, PNG, JPEG, DOCX, XLSX ou ODT" in texte(refus)
    piece = PieceJointe.objects.get()
    assert piece.ajoutee_par_contact.nom == "Perrin" and piece.action == action
    telechargement = entreprise.get(reverse("label:espace_piece", args=[jeton, piece.pk]))
    assert b"".join(telechargement.streaming_content) == PDF

    # The plan
    entreprise.post(
        reverse("label:espace_contenu", args=[jeton]),
        {
            "bonnes_pratiques": "Témoignage au forum de l'alternance.",
            "engagements_annee1": "Livret d'accueil.",
            "engagements_annee2": "",
            "engagements_annee3": "",
            "plan_amelioration": "",
            "version_lue": dossier.version,
        },
    )
    dossier.refresh_from_db()
    assert dossier.bonnes_pratiques == "Témoignage au forum de l'alternance."

    # The animator sees who changed what
    journal = list(dossier.journal.order_by("pk"))
    par_le_contact = [j for j in journal if j.contact_id]
    assert len(par_le_contact) == 3 and all(j.auteur is None for j in par_le_contact)
    fiche = texte(client_for("animateur", username="animatrice").get(dossier.get_absolute_url()))
    assert "Mme Claire Perrin (entreprise, lien personnel)" in fiche
    assert "Action « Stages de 3e » ajoutée (axe Scolaires)" in fiche
    assert "Pièce « Convention de stage » ajoutée (action « Stages de 3e ») : conv.pdf" in fiche
    assert "partage de bonnes pratiques : « " in fiche


def test_rien_d_autre_n_est_accessible(client_for, dossier, jeton):
    autre_action = f.ActionLabelFactory()
    autre_piece = f.PieceJointeFactory()
    entreprise = entreprise_client()
    assert (
        entreprise.get(reverse("label:espace_action_modifier", args=[jeton, autre_action.pk]))
    ).status_code == 404
    assert (
        entreprise.post(reverse("label:espace_action_supprimer", args=[jeton, autre_action.pk]))
    ).status_code == 404
    assert (
        entreprise.get(reverse("label:espace_piece", args=[jeton, autre_piece.pk]))
    ).status_code == 404
    # The internal pages still need a login.
    for url in (
        dossier.get_absolute_url(),
        reverse("label:dossier_liste"),
        reverse("label:piece_telecharger", args=[autre_piece.pk]),
        reverse("entreprises:detail", args=[dossier.entreprise.pk]),
    ):
        response = entreprise.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert ActionLabel.objects.filter(pk=autre_action.pk).exists()


def test_modification_concurrente_par_le_lien(client_for, dossier, jeton):
    entreprise = entreprise_client()
    version_ouverte = dossier.version
    client_for("animateur", username="autre").post(
        reverse("label:dossier_contenu", args=[dossier.pk]),
        {
            "bonnes_pratiques": "Par l'animatrice.",
            "engagements_annee1": "",
            "engagements_annee2": "",
            "engagements_annee3": "",
            "plan_amelioration": "",
            "diagnostic": "",
            "version_lue": version_ouverte,
        },
    )
    response = entreprise.post(
        reverse("label:espace_contenu", args=[jeton]),
        {
            "bonnes_pratiques": "Par l'entreprise.",
            "engagements_annee1": "",
            "engagements_annee2": "",
            "engagements_annee3": "",
            "plan_amelioration": "",
            "version_lue": version_ouverte,
        },
    )
    assert response.status_code == 200
    assert "Enregistrement refusé : Autre" in texte(response)
    dossier.refresh_from_db()
    assert dossier.bonnes_pratiques == "Par l'animatrice."


@pytest.mark.parametrize("etat", ["expire", "revoque", "inconnu"])
def test_lien_invalide(client_for, dossier, jeton, etat):
    lien = LienEntreprise.objects.get()
    if etat == "expire":
        lien.cree_le = timezone.now() - dt.timedelta(days=31)
        lien.expire_le = timezone.now() - dt.timedelta(minutes=1)
        lien.save()
        attendu = "Ce lien a expiré le"
    elif etat == "revoque":
        client = client_for("animateur", username="animatrice")
        client.post(reverse("label:lien_revoquer", args=[lien.pk]))
        attendu = "Ce lien a été révoqué le"
    else:
        jeton = jeton[:-4] + "abcd"
        attendu = "Ce lien n'est pas valide."
    entreprise = entreprise_client()
    page = entreprise.get(reverse("label:espace", args=[jeton]))
    assert page.status_code == 403 and attendu in texte(page)
    assert "Menuiserie Vauban" not in texte(page)
    response = entreprise.post(
        reverse("label:espace_action_creer", args=[jeton]),
        {"axe": Axe.SCOLAIRES, "intitule": "Intrusion", "version_lue": ""},
    )
    assert response.status_code == 403 and attendu in texte(response)
    response = entreprise.post(
        reverse("label:espace_piece_ajouter", args=[jeton]),
        {"libelle": "X", "fichier": fichier("x.pdf", PDF)},
    )
    assert response.status_code == 403
    assert not ActionLabel.objects.exists() and not PieceJointe.objects.exists()


def test_dossier_depose_en_lecture_seule(client_for, dossier, jeton):
    dossier.statut = StatutDossier.DEPOSE
    dossier.save()
    entreprise = entreprise_client()
    page = texte(entreprise.get(reverse("label:espace", args=[jeton])))
    assert "il ne peut plus être modifié en ligne" in page and "Ajouter une action" not in page
    response = entreprise.post(
        reverse("label:espace_action_creer", args=[jeton]),
        {"axe": Axe.SCOLAIRES, "intitule": "Trop tard", "version_lue": ""},
        follow=True,
    )
    assert "Ce dossier ne peut plus être modifié." in texte(response)
    assert not ActionLabel.objects.exists()


@pytest.mark.parametrize("role", ["facilitateur", "direction", "suivi", None])
def test_revocation_interdite(client_for, dossier, jeton, role):
    lien = LienEntreprise.objects.get()
    assert (
        client_for(role, username=f"u-{role}")
        .post(reverse("label:lien_revoquer", args=[lien.pk]))
        .status_code
        == 403
    )
    lien.refresh_from_db()
    assert lien.revoque_le is None
